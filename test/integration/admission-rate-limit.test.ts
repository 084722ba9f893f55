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

describe('the rate limit behind a proxy (TRUST_PROXY=true): the last X-Forwarded-For entry is the client', () => {
  let server: RunningServer;
  before(async () => {
    server = await startServer({
      BALANCER: 'handoff', WORKERS: '2', LEDGER: 'embedded', REDIS_URL: '', DATA_DIR: join(root, 'trusted', 'data'), SOCKET_DIR: join(root, 'trusted', 'sockets'),
      ADMISSION_SECRET, RATE_LIMIT_PER_SECOND: '1', RATE_LIMIT_BURST: '2', TRUST_PROXY: 'true',
    });
    await createQueueSale(server.url, 'RL2', { total: 100 }, { admitPerSecond: 10 });
  });
  after(() => server.stop());

  const joinAs = (userId: string, forwardedFor: string) =>
    request(`${server.url}/api/sales/RL2/queue`, { method: 'POST', headers: { connection: 'close', 'x-forwarded-for': forwardedFor }, body: { userId } });

  it('limits one forwarded client however many addresses it claims before the proxy\'s entry, and gives other clients their own buckets', async () => {
    // One client behind the proxy: the earlier entries are the client's own claims and change nothing.
    const one = await Promise.all(Array.from({ length: 12 }, (_, i) => joinAs(`tp-a${i}`, `10.9.9.${i}, 203.0.113.7`)));
    const joined = one.filter((r) => r.status === 201).length;
    assert.ok(joined >= 1 && joined <= 6, `one client joined ${joined} times: ${one.map((r) => r.status).join(',')}`);
    assert.ok(one.some((r) => r.status === 429 && r.body.error.code === 'rate_limited'), one.map((r) => r.status).join(','));
    // Twelve other clients, one join each: none is limited by the first one's bucket.
    const many = await Promise.all(Array.from({ length: 12 }, (_, i) => joinAs(`tp-b${i}`, `198.51.100.${i}`)));
    assert.deepEqual(many.map((r) => r.status), Array(12).fill(201));
  });
});
