// The waiting room's per-address rate limit in the default balancer mode
// (handoff; proxy shares the relay): uWS sees only the relay's unix socket, so
// the relay names the client in a header that the client cannot forge, and
// the workers' buckets together hold the box to RATE_LIMIT_PER_SECOND.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { request } from '../helpers/client';
import { ADMISSION_SECRET, createQueueSale } from '../helpers/queue';
import { startServer, type RunningServer } from '../helpers/server';

const root = mkdtempSync(join(tmpdir(), 'spike-rate-limit-'));
after(() => rmSync(root, { recursive: true, force: true }));

for (const balancer of ['handoff', 'proxy']) {
  describe(`the rate limit per client address, BALANCER=${balancer}`, () => {
    let server: RunningServer;
    before(async () => {
      server = await startServer({
        BALANCER: balancer, WORKERS: '2', LEDGER: 'embedded', REDIS_URL: '', DATA_DIR: join(root, balancer, 'data'), SOCKET_DIR: join(root, balancer, 'sockets'),
        ADMISSION_SECRET, RATE_LIMIT_PER_SECOND: '2', RATE_LIMIT_BURST: '4',
      });
      await createQueueSale(server.url, 'RL1', { total: 100 }, { admitPerSecond: 10 });
    });
    after(() => server.stop());

    it('lets a burst of the box\'s size through, answers the rest 429 with retry-after, and a forged spike-peer header changes nothing', async () => {
      // Each join on a connection of its own (the client's connections are spread over both workers),
      // half of them claiming to come from elsewhere.
      const started = Date.now();
      const replies = await Promise.all(Array.from({ length: 24 }, (_, i) =>
        request(`${server.url}/api/sales/RL1/queue`, { method: 'POST', headers: { connection: 'close', ...(i % 2 ? { 'spike-peer': `10.0.0.${i}` } : {}) }, body: { userId: `rl-${i}` } })));
      const seconds = (Date.now() - started) / 1000;
      const joined = replies.filter((r) => r.status === 201).length;
      const limited = replies.filter((r) => r.status === 429);
      assert.equal(joined + limited.length, replies.length, replies.map((r) => r.status).join(','));
      // The box's burst (4) plus what two tokens a second refill while the joins run.
      assert.ok(joined >= 2 && joined <= 4 + Math.ceil(seconds * 2) + 1, `${joined} joined in ${seconds.toFixed(2)} s`);
      for (const reply of limited) {
        assert.equal(reply.body.error.code, 'rate_limited');
        assert.ok(Number(reply.headers['retry-after']) >= 1, JSON.stringify(reply.headers));
      }
    });
  });
}
