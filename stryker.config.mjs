// Mutation testing of the ledger's decisions and the worker's inventory:
// `npm run test:mutation` (slow, not in CI, not in `npm test`). Reports go to
// reports/mutation/ (git-ignored).
//
// Stryker mutates the TypeScript sources in a sandbox and rebuilds them with
// the project's own build (tsc; mutated files carry @ts-nocheck, so a mutant
// that breaks a type still compiles). The tap runner then runs the compiled
// unit tests one file at a time (node:test prints TAP), which gives per-file
// coverage: each mutant runs only the test files that reach it.
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  packageManager: 'npm',
  mutate: [
    'src/ledger/embedded/decisions.ts',
    'src/ledger/embedded/apply-event.ts',
    'src/ledger/sale-rules.ts',
    'src/ledger/outcomes.ts',
    'src/inventory/*.ts',
  ],
  buildCommand: 'npm run build --silent',
  // Stryker rewrites tsconfig.json's extends/references through the
  // TypeScript API, which TypeScript 7 (the native compiler) no longer has;
  // ours has neither, so point it at no file and let the sandbox copy stand.
  tsconfigFile: 'no-tsconfig-rewrite.json',
  testRunner: 'tap',
  tap: {
    testFiles: ['dist/test/unit/**/*.test.js'],
    nodeArgs: ['--test-reporter=tap'],
  },
  coverageAnalysis: 'perTest',
  // Two shared cores: more would only make the timeouts noisy.
  concurrency: Number(process.env.STRYKER_CONCURRENCY ?? 2),
  timeoutMS: 10_000,
  ignorePatterns: ['dist', 'data', 'reports', 'bench/results'],
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: 'reports/mutation/index.html' },
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  tempDirName: 'reports/.stryker-tmp',
};
