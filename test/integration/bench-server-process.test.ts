// The bench's server processes keep out of ./data, where `npm start` keeps an
// operator's journal and ticket-signing key: a server started without a
// DATA_DIR gets a temporary one, gone once the server has stopped.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { startServerProcess } from '../../bench/server-process';

test('a bench server without DATA_DIR keeps its files in a temporary directory, removed when it stops', { timeout: 60_000 }, async () => {
  const server = await startServerProcess({ PORT: '0', HOST: '127.0.0.1', WORKERS: '1', LEDGER: 'embedded', REDIS_URL: '', ADMIN_TOKEN: 'bench-process-token' });
  let keyPath: string;
  try {
    // The server says where it wrote the ticket-signing key it generated.
    const match = /generated an Ed25519 ticket signing key into ([^ "]+)/.exec(server.output());
    assert.ok(match, `no key line in:\n${server.output()}`);
    keyPath = match[1]!;
    assert.ok(keyPath.startsWith(join(tmpdir(), 'spike-bench-data-')), `the key went to ${keyPath}`);
    assert.ok(existsSync(keyPath));
    assert.ok(existsSync(join(keyPath, '..', 'ledger.journal')), 'the embedded journal is there too');
    assert.equal((await fetch(`${server.url}/healthz`)).status, 200);
  } finally {
    await server.stop();
  }
  // The exit listener runs as the child exits; give it the turn it needs.
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(existsSync(join(keyPath, '..')), false, 'the temporary DATA_DIR is removed');
});
