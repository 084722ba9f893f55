// The README's example session runs as written, against a real started server:
// every command answers, alice's first order ends paid and her second cancelled.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, it } from 'node:test';
import { readmeSection } from '../helpers/readme';
import { ADMIN_TOKEN, startServer, type RunningServer } from '../helpers/server';
import { tempDir } from '../helpers/temp-dir';

let server: RunningServer;
before(async () => {
  server = await startServer({ WORKERS: '2', LEDGER: 'embedded', DATA_DIR: tempDir('spike-readme-') });
});
after(() => server.stop());

it('the HTTP API example session runs as written', () => {
  const section = readmeSection('## HTTP API');
  const block = /<!-- example:start -->\n```sh\n([\s\S]*?)```\n<!-- example:end -->/.exec(section);
  assert.ok(block, 'the README marks its example session');
  const script = `set -eu\n${block[1]!.replace(/localhost:3005/g, `127.0.0.1:${server.port}`).replace('TOKEN=change-me-please', `TOKEN=${ADMIN_TOKEN}`)}`;
  const run = spawnSync('bash', ['-c', script], { encoding: 'utf8', timeout: 30_000 });
  assert.equal(run.status, 0, `the example failed:\n${run.stderr}\n${run.stdout}`);
  const answers = run.stdout.split(/(?<=\})(?=\{)/).map((text) => JSON.parse(text) as Record<string, unknown>);
  const states = answers.filter((a) => typeof a.orderId === 'string').map((a) => `${a.userId}:${a.state}`);
  assert.deepEqual(states, ['alice:reserved', 'alice:paid', 'alice:cancelled', 'bob:reserved']);
  assert.ok(answers.some((a) => a.id === 'G1234' && a.total === 500), 'the sale was created and read');
  assert.ok(!answers.some((a) => 'error' in a), `no command was refused: ${run.stdout}`);
});
