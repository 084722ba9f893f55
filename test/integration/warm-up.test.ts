// The warm-ups, on a real server and a real Redis.
// - The workers' (WARMUP_REQUESTS): each handoff worker sells a scratch sale
//   of its own through the buyer's code path before it serves, and leaves
//   nothing of it behind: no key in Redis, no sale in the API, the metrics or
//   the audit, no ticket taken from the sale buyers see.
// - The front's (WARMUP_FRONT_REQUESTS): the primary sends purchases of a
//   sale that cannot exist through its own accept, pick and handle send before
//   the public port opens; every one is answered 404, and the counts start at
//   zero for the first buyer.
// (Every other test runs with both at 0; see test/run-tests.ts.)
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { request } from '../helpers/client';
import { adminRedis, REDIS_URL, uniquePrefix, dropTestPrefix } from '../helpers/redis';
import { ADMIN_TOKEN, eventually, startServer, type RunningServer } from '../helpers/server';
import { parseMetrics, sumOf } from '../helpers/metrics';
import { RedisLedger } from '../../src/ledger/redis/redis-ledger';
import { FRONT_WARMUP_SALE_ID } from '../../src/front/front-warm-up';

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
    await dropTestPrefix(prefix);
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

describe('the primary warms the front before the public port opens (handoff, Redis)', () => {
  const prefix = uniquePrefix('frontwarm');
  const FRONT = 400;
  let server: RunningServer;
  before(async () => {
    server = await startServer({ WORKERS: '2', BALANCER: 'handoff', LEDGER: 'redis', REDIS_URL, REDIS_PREFIX: prefix, WARMUP_FRONT_REQUESTS: String(FRONT), DEFAULT_SALE_TOTAL: '20' });
  });
  after(async () => {
    assert.equal(await server.stop(), 0, server.output());
    await dropTestPrefix(prefix);
  });

  it(`sends ${FRONT} purchases of a sale that cannot exist through the whole front, each answered 404, and counts from zero after`, async () => {
    const line = server.output().split('\n').find((l) => l.includes('warmed the front with'));
    assert.ok(line, `a warm-up line:\n${server.output()}`);
    assert.deepEqual(JSON.parse(line).frontWarmUp.statuses, { 404: FRONT }, line);
    // The primary warmed before it listened: its "listening" line comes after.
    const output = server.output();
    assert.ok(output.indexOf('warmed the front with') < output.indexOf('listening on http://'), 'warmed before listening');

    const metrics = parseMetrics((await request(`${server.url}/metrics`, { headers: admin })).text);
    assert.equal(sumOf(metrics, 'spike_http_requests_total', { status: '404' }), 0, "the warm-up's 404s are forgotten");
    const handed = sumOf(metrics, 'spike_balancer_connections_total');
    assert.ok(handed < 20, `the primary counts connections from the first buyer's: ${handed}`);
    const served = sumOf(metrics, 'spike_worker_requests_total');
    assert.ok(served < 20, `the workers count requests from the first buyer's: ${served}`);

    const created = await request(`${server.url}/api/sales`, { method: 'POST', headers: { ...admin, 'content-type': 'application/json' }, body: JSON.stringify({ id: FRONT_WARMUP_SALE_ID, total: 5 }) });
    assert.equal(created.status, 400, created.text);
    assert.equal(created.body.error.code, 'invalid_field');
    for (let i = 0; i < 3; i++) assert.equal((await request(`${server.url}/buy/ticket`)).status, 201);
    const audit = await request(`${server.url}/api/sales/demo/audit`, { headers: admin });
    assert.equal(audit.body.sold, 3);
    assert.equal(audit.body.consistent, true);
  });
});

describe('the front warm-up stays off a ledger where its sale exists', () => {
  const prefix = uniquePrefix('frontwarm-taken');
  let server: RunningServer;
  before(async () => {
    // Sale creation refuses the id; a ledger written by other means (another box, an older spike) might still hold it.
    const ledger = new RedisLedger({ url: REDIS_URL, prefix, timeoutMs: 2000, autoPipelining: false });
    await ledger.connect();
    await ledger.createSale({ id: FRONT_WARMUP_SALE_ID, name: 'taken', total: 10, perUserLimit: 1, holdSeconds: 0, opensAt: null, closesAt: null, anonymous: false }, Date.now());
    await ledger.close();
    server = await startServer({ WORKERS: '1', BALANCER: 'handoff', LEDGER: 'redis', REDIS_URL, REDIS_PREFIX: prefix, WARMUP_FRONT_REQUESTS: '200', DEFAULT_SALE_TOTAL: '20' });
  });
  after(async () => {
    assert.equal(await server.stop(), 0, server.output());
    await dropTestPrefix(prefix);
  });

  it('skips the warm-up with a warning and buys nothing of that sale', async () => {
    assert.match(server.output(), /front warm-up skipped: a sale named spike-warmup-front exists/);
    assert.ok(!server.output().includes('warmed the front with'));
    const audit = await request(`${server.url}/api/sales/${FRONT_WARMUP_SALE_ID}/audit`, { headers: admin });
    assert.equal(audit.status, 200, audit.text);
    assert.equal(audit.body.sold, 0);
  });
});
