// The whole sale path through the real cluster: a primary balancing 4 real
// uWS workers (weights 1,2,3,4), each with its local allowance, over a real Redis.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { crowd, request, statusCounts, type Reply } from '../helpers/client';
import { PrivateRedis } from '../../harness/private-redis';
import { adminRedis, REDIS_URL, scriptCalls, uniquePrefix, dropTestPrefix } from '../helpers/redis';
import { ADMIN_TOKEN, startServer, type RunningServer } from '../helpers/server';
import { saleKeys } from '../../src/ledger/redis/keys';

const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
const WEIGHTS = [1, 2, 3, 4];
const LOCAL_BUFFER = 10;

async function createSale(server: RunningServer, id: string, total: number, extra: Record<string, unknown> = {}): Promise<void> {
  const reply = await request(`${server.url}/api/sales`, { method: 'POST', headers: admin, body: { id, total, ...extra } });
  assert.equal(reply.status, 201, reply.text);
}

async function clusterStats(server: RunningServer): Promise<{ workers: Array<{ slot: number; connections: number | null; requests: number | null; allowances: Record<string, { extendedUnits: number }> | null }> }> {
  const reply = await request(`${server.url}/api/cluster`, { headers: admin });
  assert.equal(reply.status, 200, reply.text);
  return reply.body;
}

/** 5,000 distinct buyers, 200 at a time, each on a fresh connection, for 500 tickets. */
async function sellOut(server: RunningServer, saleId: string, buyers: number): Promise<Reply[]> {
  return crowd({
    count: buyers,
    concurrency: 200,
    freshConnections: true,
    make: (i) => ({ url: `${server.url}/api/sales/${saleId}/purchases`, method: 'POST', body: { userId: `buyer-${i}` } }),
  });
}

function assertSoldExactly(replies: Reply[], total: number): void {
  const counts = statusCounts(replies);
  assert.deepEqual(counts, { 201: total, 409: replies.length - total }, JSON.stringify(counts));
  const sold = replies.filter((r) => r.status === 201);
  assert.equal(new Set(sold.map((r) => r.body.userId)).size, total, 'one ticket per buyer');
  assert.equal(new Set(sold.map((r) => r.body.orderId)).size, total, 'distinct order ids');
  for (const r of replies.filter((reply) => reply.status === 409)) assert.equal(r.body.error.code, 'sold_out');
}

async function assertLedgerState(prefix: string, saleId: string, total: number): Promise<void> {
  const redis = adminRedis();
  try {
    assert.equal(Number(await redis.hget(saleKeys(prefix, saleId).sale, 'sold')), total);
    assert.equal(await redis.hlen(saleKeys(prefix, saleId).orders), total);
    const held = await redis.hvals(saleKeys(prefix, saleId).buyers);
    assert.equal(held.length, total);
    assert.ok(held.every((count) => count === '1'), 'no buyer holds more than one ticket');
  } finally {
    await redis.quit();
  }
}

for (const mode of ['handoff', 'proxy'] as const) describe(`spike path, ${mode} balancer, 4 workers weighted 1,2,3,4`, () => {
  const prefix = uniquePrefix(mode);
  let server: RunningServer;

  before(async () => {
    server = await startServer({ WORKERS: '4', WORKER_WEIGHTS: WEIGHTS.join(','), BALANCER: mode, LEDGER: 'redis', REDIS_URL, REDIS_PREFIX: prefix, LOCAL_BUFFER: String(LOCAL_BUFFER), DEFAULT_SALE_TOTAL: '10000' });
  });
  after(async () => {
    const code = await server.stop();
    assert.equal(code, 0, server.output());
    await dropTestPrefix(prefix);
  });

  it('prints a line per worker and one with the mode, weights and address', () => {
    const out = server.output();
    for (let slot = 0; slot < 4; slot++) assert.match(out, new RegExp(`worker ${slot} ready \\(pid \\d+, weight ${WEIGHTS[slot]}\\)`));
    assert.match(out, new RegExp(`${mode} balancer, weights 1,2,3,4, ledger redis .* listening on http://127\\.0\\.0\\.1:\\d+`));
  });

  it('sells 500 tickets to exactly 500 of 5,000 concurrent buyers, splitting connections 1:2:3:4', async () => {
    await createSale(server, `${mode}-sale`, 500);
    const before = await clusterStats(server);
    const replies = await sellOut(server, `${mode}-sale`, 5000);
    const afterStats = await clusterStats(server);

    assertSoldExactly(replies, 500);
    const sale = await request(`${server.url}/api/sales/${mode}-sale`);
    await assertLedgerState(prefix, `${mode}-sale`, 500);
    // The view may be up to SALE_VIEW_TTL_MS old; poll it rather than sleep.
    let view = sale.body;
    for (let i = 0; i < 40 && view.remaining !== 0; i++) view = (await request(`${server.url}/api/sales/${mode}-sale`)).body;
    assert.equal(view.sold, 500);
    assert.equal(view.remaining, 0);
    assert.equal(view.status, 'sold_out');

    const deltas = afterStats.workers.map((w, i) => w.connections! - before.workers[i]!.connections!);
    const all = deltas.reduce((a, b) => a + b, 0);
    assert.ok(all >= 5000, `at least one connection per buyer, got ${all}`);
    deltas.forEach((delta, i) => {
      const share = delta / all;
      const expected = WEIGHTS[i]! / 10;
      assert.ok(Math.abs(share - expected) <= 0.02 * expected + 1e-9 || Math.abs(share - expected) <= 0.002, `worker ${i} got ${(share * 100).toFixed(2)}% of connections, expected ${expected * 100}% (deltas ${deltas})`);
    });
  });

  it("runs the seed's own `ab -n 10000 -c 100` over HTTP/1.0 with no failed connections", async () => {
    const { stdout } = await promisify(execFile)('ab', ['-n', '10000', '-c', '100', `http://127.0.0.1:${server.port}/buy/ticket`], { maxBuffer: 1 << 20 });
    assert.match(stdout, /Complete requests:\s+10000/);
    assert.match(stdout, /Failed requests:\s+0/);
    assert.doesNotMatch(stdout, /Non-2xx responses/);
    await assertLedgerState(prefix, 'demo', 10000);
  });
});

describe('spike path, reuseport balancer', () => {
  const prefix = uniquePrefix('reuseport');
  let server: RunningServer;

  before(async () => {
    server = await startServer({ WORKERS: '4', WORKER_WEIGHTS: WEIGHTS.join(','), BALANCER: 'reuseport', LEDGER: 'redis', REDIS_URL, REDIS_PREFIX: prefix, LOCAL_BUFFER: String(LOCAL_BUFFER) });
  });
  after(async () => {
    assert.equal(await server.stop(), 0, server.output());
    await dropTestPrefix(prefix);
  });

  it('sells 500 tickets to exactly 500 of 5,000 concurrent buyers', async () => {
    await createSale(server, 'reuse-sale', 500);
    const replies = await sellOut(server, 'reuse-sale', 5000);
    assertSoldExactly(replies, 500);
    await assertLedgerState(prefix, 'reuse-sale', 500);
    const stats = await clusterStats(server);
    // Every worker got some of the load through its own listen sockets.
    for (const worker of stats.workers) assert.ok(worker.requests! > 0, `worker ${worker.slot} served no request`);
  });
});

describe('Redis is spared: buyers past the stock never reach it', () => {
  let redis: PrivateRedis;
  let server: RunningServer;
  const WORKERS = 4;

  before(async () => {
    redis = await PrivateRedis.start();
    // One reservation per script call (no batches), and the primary's own periodic scripts (hold sweeps, ticket
    // issuing: one call per sale every 250 ms, about 20 during the crowd) slowed down, so that Redis's count of
    // scripts is the count of reservations that reached it.
    server = await startServer({
      WORKERS: String(WORKERS), WORKER_WEIGHTS: WEIGHTS.join(','), BALANCER: 'proxy', LEDGER: 'redis', REDIS_URL: redis.url, LOCAL_BUFFER: String(LOCAL_BUFFER),
      REDIS_RESERVE_BATCH: '1', HOLD_SWEEP_MS: '60000', TICKET_ISSUE_MS: '600000',
    });
  });
  after(async () => {
    await server.stop();
    await redis.stop();
  });

  it('makes at most total + workers x LOCAL_BUFFER (+ extensions) reservation calls for 10x more buyers than tickets', async () => {
    const total = 300;
    await createSale(server, 'spared', total);
    const client = redis.client();
    const callsBefore = await scriptCalls(client);
    const replies = await crowd({
      count: total * 10,
      concurrency: 200,
      make: (i) => ({ url: `${server.url}/api/sales/spared/purchases`, method: 'POST', body: { userId: `b${i}` } }),
    });
    const calls = (await scriptCalls(client)) - callsBefore;
    await client.quit();
    assertSoldExactly(replies, total);

    const stats = await clusterStats(server);
    const extended = stats.workers.reduce((sum, w) => sum + (w.allowances?.spared?.extendedUnits ?? 0), 0);
    // One EVAL per worker may follow a NOSCRIPT on its first use of the script.
    const bound = total + WORKERS * LOCAL_BUFFER + extended + WORKERS;
    assert.ok(calls >= total, `each sale is one script call: ${calls} < ${total}`);
    assert.ok(calls <= bound, `reservation calls ${calls} exceed total + workers x LOCAL_BUFFER + extensions = ${bound}`);
  });
});
