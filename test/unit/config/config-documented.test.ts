// The README's tables and the code agree both ways: every variable the server
// config or the bench settings read is documented with its default, and no
// documented variable is one that nothing reads.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { it } from 'node:test';
import { readmeSection, tableKeys } from '../../helpers/readme';

const root = join(__dirname, '..', '..', '..', '..');

/** Variable names a settings module reads: `env.NAME`, `env['NAME']`, or a parser call `(env, 'NAME'`. */
function variablesReadBy(file: string): Set<string> {
  const source = readFileSync(join(root, file), 'utf8');
  const names = [...source.matchAll(/\benv(?:\.|\[')([A-Z][A-Z0-9_]+)|\(env, '([A-Z][A-Z0-9_]+)'/g)].map((m) => (m[1] ?? m[2])!);
  // PATH is the system's, looked up to find wrk; it is not a setting of ours.
  return new Set(names.filter((name) => name !== 'PATH'));
}

it("documents every server variable in the README's configuration table, and nothing else", () => {
  const read = variablesReadBy('src/config/config.ts');
  assert.ok(read.size >= 20, `found only ${read.size} variables in config.ts`);
  assert.deepEqual([...tableKeys(readmeSection('## Configuration'))].sort(), [...read].sort());
});

it("documents every bench variable in the README's bench table, and nothing else", () => {
  // The bench also falls back to a few server variables (REDIS_URL); those are the server table's.
  const server = variablesReadBy('src/config/config.ts');
  const read = new Set([...variablesReadBy('bench/settings.ts')].filter((name) => !server.has(name)));
  assert.ok(read.size >= 10, `found only ${read.size} variables in bench/settings.ts`);
  assert.deepEqual([...tableKeys(readmeSection('## Benchmark: `npm run bench`'))].sort(), [...read].sort());
});
