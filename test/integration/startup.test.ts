// What a start-up prints: the generated admin token only once the server is up
// (a start that fails on the journal's LOCK or on Redis prints none), the
// reuseport warning for HTTP/1.0 clients, and WORKER_WEIGHTS alone sizing the cluster.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { request } from '../helpers/client';
import { ADMIN_TOKEN, startServer } from '../helpers/server';
import { tempDir } from '../helpers/temp-dir';

const TOKEN_LINE = /generated one for this run: ([A-Za-z0-9_-]+)/;

/** A start expected to fail: its whole output, from startServer's rejection. */
async function failedStart(env: Record<string, string>): Promise<string> {
  try {
    const server = await startServer(env);
    await server.stop();
  } catch (error) {
    return (error as Error).message;
  }
  assert.fail('the start was expected to fail');
}

describe('start-up', () => {
  it('prints a generated admin token after the server is up, and that token works', async () => {
    const dataDir = tempDir('spike-startup-');
    const server = await startServer({ ADMIN_TOKEN: '', DATA_DIR: dataDir, LEDGER: 'embedded', WORKERS: '1' });
    try {
      const out = server.output();
      const token = TOKEN_LINE.exec(out)?.[1];
      assert.ok(token, out);
      assert.ok(out.indexOf('generated one') > out.indexOf('default sale'), 'after the ledger opened');
      const listing = await request(`${server.url}/api/sales`, { headers: { authorization: `Bearer ${token}` } });
      assert.equal(listing.status, 200, listing.text);

      // A second spike on the same DATA_DIR fails on the LOCK and prints no token.
      const out2 = await failedStart({ ADMIN_TOKEN: '', DATA_DIR: dataDir, LEDGER: 'embedded', WORKERS: '1' });
      assert.match(out2, /is in use by another spike/);
      assert.doesNotMatch(out2, TOKEN_LINE);
    } finally {
      await server.stop();
    }
  });

  it('a start that cannot reach Redis prints no token', async () => {
    const out = await failedStart({ ADMIN_TOKEN: '', LEDGER: 'redis', REDIS_URL: 'redis://127.0.0.1:1', WORKERS: '1' });
    assert.match(out, /cannot reach Redis/);
    assert.doesNotMatch(out, TOKEN_LINE);
  });

  it('BALANCER=reuseport warns that HTTP/1.0 clients get no answer; WORKER_WEIGHTS alone sets the worker count', async () => {
    const server = await startServer({ BALANCER: 'reuseport', WORKER_WEIGHTS: '1,2', WORKERS: '', DATA_DIR: tempDir('spike-startup-'), LEDGER: 'embedded' });
    try {
      // On stderr, which may reach us after stdout's "listening" line.
      await server.waitForOutput(/BALANCER=reuseport: .*HTTP\/1\.0 clients \(ab.*get no answer.*BALANCER=handoff or proxy/, 20000);
      const cluster = await request(`${server.url}/api/cluster`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
      assert.deepEqual(cluster.body.workers.map((w: { weight: number }) => w.weight), [1, 2]);
    } finally {
      await server.stop();
    }
  });
});
