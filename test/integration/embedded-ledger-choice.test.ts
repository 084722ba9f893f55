// Which ledger starts: LEDGER wins, else REDIS_URL means Redis, else embedded.
// A configured Redis that cannot be reached stops the start quickly and says what to do.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { request } from '../helpers/client';
import { ADMIN_TOKEN, MAIN, startServer } from '../helpers/server';

const UNREACHABLE = 'redis://127.0.0.1:1';

describe('choosing the ledger', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'spike-choice-'));
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  it('LEDGER=redis with an unreachable REDIS_URL exits non-zero within seconds, naming the URL and suggesting LEDGER=embedded', async () => {
    const started = Date.now();
    const child = spawn(process.execPath, [MAIN], {
      env: { ...process.env, LEDGER: 'redis', REDIS_URL: UNREACHABLE, PORT: '0', HOST: '127.0.0.1', ADMIN_TOKEN, WORKERS: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
    const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
    clearTimeout(killer);
    const elapsed = Date.now() - started;
    assert.notEqual(code, 0, out);
    assert.notEqual(code, null, `killed after hanging; output:\n${out}`);
    assert.ok(elapsed < 6000, `took ${elapsed} ms`);
    assert.ok(out.includes(UNREACHABLE), out);
    assert.match(out, /LEDGER=embedded/);
  });

  it('LEDGER=embedded wins over a set REDIS_URL and needs no Redis at all', async () => {
    const server = await startServer({ LEDGER: 'embedded', REDIS_URL: UNREACHABLE, DATA_DIR: dataDir, WORKERS: '1', DEFAULT_SALE_TOTAL: '3' });
    try {
      assert.match(server.output(), new RegExp(`ledger embedded journal ${dataDir} \\(fsync batch\\)`));
      const health = await request(`${server.url}/healthz`);
      assert.equal(health.status, 200, health.text);
      assert.equal(health.body.ledger, `embedded journal ${dataDir} (fsync batch)`);
      const bought = await request(`${server.url}/buy/ticket?user=solo`);
      assert.equal(bought.status, 201, bought.text);
    } finally {
      assert.equal(await server.stop(), 0);
    }
  });

  it('JOURNAL_FSYNC=off is announced loudly at start-up', async () => {
    const server = await startServer({ LEDGER: 'embedded', DATA_DIR: dataDir, JOURNAL_FSYNC: 'off', WORKERS: '1' });
    try {
      assert.match(server.output(), /"level":40[^\n]*JOURNAL_FSYNC=off/);
      assert.match(server.output(), /ledger embedded journal .* \(fsync off\)/);
    } finally {
      await server.stop();
    }
  });
});
