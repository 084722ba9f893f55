// `npm test` (and test:unit / test:contract / test:integration): provisions
// what the chosen kinds of test need, then runs them with node:test. A fresh
// machine with no Redis running still works: a private redis-server is
// started on a free port for the run. A missing binary stops the run with the
// Debian packages that bring it.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { PrivateRedis } from '../harness/private-redis';

type Kind = 'unit' | 'contract' | 'integration' | 'cluster';
const KINDS: readonly Kind[] = ['unit', 'contract', 'integration', 'cluster'];

/** What each kind needs on the PATH, and the Debian package that brings it. */
const NEEDS: Record<Kind, Array<[binary: string, pkg: string]>> = {
  // flock(1) takes DATA_DIR's and the socket directory's kernel locks.
  unit: [['flock', 'util-linux']],
  contract: [['redis-server', 'redis-server'], ['flock', 'util-linux']],
  integration: [['redis-server', 'redis-server'], ['redis-cli', 'redis-tools'], ['ab', 'apache2-utils'], ['chromium', 'chromium'], ['flock', 'util-linux']],
  // Several boxes on a private Redis Cluster of their own, behind a real nginx.
  cluster: [['redis-server', 'redis-server'], ['redis-cli', 'redis-tools'], ['ab', 'apache2-utils'], ['nginx', 'nginx'], ['haproxy', 'haproxy']],
};

function onPath(binary: string): boolean {
  return (process.env.PATH ?? '').split(':').some((dir) => dir !== '' && existsSync(join(dir, binary)));
}

function testFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((name) => name.endsWith('.test.js'))
    .map((name) => join(dir, name))
    .filter((path) => statSync(path).isFile())
    .sort();
}

function redisAnswers(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => done(data.toString().startsWith('+PONG')));
  });
}

function run(kind: Kind, env: NodeJS.ProcessEnv): Promise<number> {
  const files = testFiles(join(__dirname, kind));
  if (files.length === 0) {
    console.error(`test: no ${kind} tests found under ${join(__dirname, kind)}; run npm run build first`);
    return Promise.resolve(1);
  }
  if (kind === 'unit') return runUnit(files, env);
  // The others start servers and run one file at a time.
  // A cluster test starts a whole Redis Cluster and several boxes, and waits out failovers;
  // the render-burst test measures 2,000 renders in ten interleaved rounds (about 70 s quiet, more when loaded).
  const timeout = kind === 'cluster' ? 180_000 : kind === 'integration' ? 300_000 : 120_000;
  const args = ['--test', '--test-concurrency=1', `--test-timeout=${timeout}`, ...files];
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { env, stdio: 'inherit' });
    child.once('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

/** A whole unit process may take this long; a hung test fails the run instead of hanging it. */
const UNIT_PROCESS_MS = 120_000;

/**
 * Unit tests share nothing, so they run in two processes (one per core of
 * these boxes), each holding half the files (unit-process.ts), with their TAP
 * printed one after the other.
 */
async function runUnit(files: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const halves = [files.filter((_, i) => i % 2 === 0), files.filter((_, i) => i % 2 === 1)].filter((half) => half.length > 0);
  const runs = halves.map(
    (half) =>
      new Promise<{ code: number; output: string }>((resolve) => {
        const child = spawn(process.execPath, ['--test-reporter=tap', join(__dirname, 'unit-process.js'), ...half], { env, stdio: ['ignore', 'pipe', 'pipe'] });
        let output = '';
        child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
        child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
        const timer = setTimeout(() => {
          output += `\ntest: unit process still running after ${UNIT_PROCESS_MS / 1000} s (a test hangs); killed\n`;
          child.kill('SIGKILL');
        }, UNIT_PROCESS_MS);
        child.once('exit', (code, signal) => {
          clearTimeout(timer);
          resolve({ code: code ?? (signal ? 1 : 0), output });
        });
      }),
  );
  let worst = 0;
  for (const run of await Promise.all(runs)) {
    process.stdout.write(run.output);
    worst = Math.max(worst, run.code);
  }
  return worst;
}

async function main(): Promise<number> {
  const asked = process.argv.slice(2);
  const unknown = asked.filter((kind) => !(KINDS as readonly string[]).includes(kind));
  if (unknown.length > 0) {
    console.error(`test: unknown kind ${unknown.join(', ')}; expected some of ${KINDS.join(', ')}`);
    return 2;
  }
  const kinds = asked.length > 0 ? (asked as Kind[]) : [...KINDS];

  const missing = new Map<string, string>();
  for (const kind of kinds) for (const [binary, pkg] of NEEDS[kind]) if (!onPath(binary)) missing.set(binary, pkg);
  if (missing.size > 0) {
    console.error(
      `test: ${[...missing.keys()].join(', ')} not found on the PATH; the ${kinds.filter((k) => NEEDS[k].length > 0).join(' and ')} tests need ${missing.size > 1 ? 'them' : 'it'}.\n` +
        `On Debian or Ubuntu: sudo apt-get install -y ${[...new Set(missing.values())].join(' ')}\n` +
        `(npm run test:unit needs nothing; bash .ci/run installs everything.)`,
    );
    return 1;
  }

  const env = { ...process.env };
  // The servers the tests start skip the workers' warm-up (two seconds of scratch purchases per
  // start, over a hundred starts), and the front's (WARMUP_FRONT_REQUESTS); test/integration/warm-up.test.ts
  // turns them on and checks them.
  env.WARMUP_REQUESTS ??= '0';
  env.WARMUP_FRONT_REQUESTS ??= '0';
  let privateRedis: PrivateRedis | undefined;
  if (kinds.some((kind) => NEEDS[kind].length > 0) && !env.TEST_REDIS_URL) {
    if (await redisAnswers('127.0.0.1', 6379)) {
      env.TEST_REDIS_URL = 'redis://127.0.0.1:6379';
    } else {
      privateRedis = await PrivateRedis.start();
      env.TEST_REDIS_URL = privateRedis.url;
      console.log(`test: no Redis answers on 127.0.0.1:6379; started a private redis-server for this run at ${privateRedis.url}`);
    }
  }
  try {
    let failed = 0;
    for (const kind of kinds) {
      const code = await run(kind, env);
      if (code !== 0) failed++;
    }
    return failed === 0 ? 0 : 1;
  } finally {
    await privateRedis?.stop();
  }
}

// A stray redis-server must not outlive an interrupted run.
process.on('SIGINT', () => process.exit(130));
main().then((code) => process.exit(code));
