// The workers' warm-up (WARMUP_REQUESTS), on a real server and a real Redis:
// each handoff worker sells a scratch sale of its own through the buyer's
// code path before it serves, and leaves nothing of it behind: no key in
// Redis, no sale in the API, the metrics or the audit, no ticket taken from
// the sale buyers see. (Every other test runs with WARMUP_REQUESTS=0; see
// test/run-tests.ts.)
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { request } from '../helpers/client';
import { adminRedis, dropPrefix, REDIS_URL, uniquePrefix } from '../helpers/redis';
import { ADMIN_TOKEN, eventually, startServer, type RunningServer } from '../helpers/server';

const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
const WARMUP = 300;

describe('the workers warm up on a scratch sale before they serve (handoff, Redis)', () => {
  const prefix = uniquePrefix('warmup');
  let server: RunningServer;
  before(async () => {
    server = await startServer({ WORKERS: '2', BALANCER: 'handoff', LEDGER: 'redis', REDIS_URL, REDIS_PREFIX: prefix, WARMUP_REQUESTS: String(WARMUP), DEFAULT_SALE_TOTAL: '20' });
  });
  after(async () => {
    assert.equal(await server.stop(), 0, server.output());
    const redis = adminRedis();
    await dropPrefix(redis, prefix);
    await redis.quit();
  });

  it(`sells ${WARMUP} scratch tickets in each worker, then serves the real sale untouched, with no trace of the scratch one`, async () => {
    const lines = server.output().split('\n').filter((line) => line.includes('warmed up with'));
    assert.equal(lines.length, 2, `one warm-up line per worker:\n${server.output()}`);
    for (const line of lines) assert.deepEqual(JSON.parse(line).warmUp.statuses, { 201: WARMUP }, line);

    const redis = adminRedis();
    try {
      const scratchKeys = await redis.keys(`${prefix}-warmup-*`);
      assert.deepEqual(scratchKeys, [], 'every scratch key is removed');
      const keys = await redis.keys(`${prefix}*`);
      assert.ok(!keys.some((key) => key.includes('spike-warmup')), `no scratch sale under the real prefix: ${keys.join(', ')}`);
    } finally {
      await redis.quit();
    }

    const sales = await request(`${server.url}/api/sales`, { headers: admin });
    assert.equal(sales.status, 200, sales.text);
    assert.ok(!sales.text.includes('spike-warmup'), sales.text);
    const metrics = await request(`${server.url}/metrics`, { headers: admin });
    assert.equal(metrics.status, 200);
    assert.ok(!metrics.text.includes('spike-warmup'), 'the scratch sale is not in the metrics');

    const before = await request(`${server.url}/api/sales/demo/audit`, { headers: admin });
    assert.equal(before.body.sold, 0, 'the warm-up took no ticket of the real sale');
    for (let i = 0; i < 5; i++) assert.equal((await request(`${server.url}/buy/ticket`)).status, 201);
    const audit = await request(`${server.url}/api/sales/demo/audit`, { headers: admin });
    assert.equal(audit.body.sold, 5);
    assert.equal(audit.body.consistent, true);
  });

  it('does not warm up a replacement for a dead worker: it serves at once', async () => {
    const cluster = await request(`${server.url}/api/cluster`, { headers: admin });
    const victim = cluster.body.workers[0].pid as number;
    process.kill(victim, 'SIGKILL');
    await eventually(async () => {
      const now = await request(`${server.url}/api/cluster`, { headers: admin });
      const slot = now.body.workers[0];
      return slot.state === 'ready' && slot.pid !== victim && slot.restarts === 1;
    }, 15_000, 'a replacement worker is ready');
    const warmUps = server.output().split('\n').filter((line) => line.includes('warmed up with'));
    assert.equal(warmUps.length, 2, 'the first two workers warmed up, the replacement did not');
    assert.equal((await request(`${server.url}/buy/ticket`)).status, 201);
  });
});
