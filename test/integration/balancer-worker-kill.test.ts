// A worker SIGKILLed mid sell-out, in both relaying balancer modes: no
// ticket lost or sold twice, the dead worker masked. (SIGTERM under load per
// mode is in balancer-drain.test.ts; one file each keeps within the runner's
// per-file time.)
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { crowd, request, type Reply } from '../helpers/client';
import { adminRedis, dropPrefix, REDIS_URL, uniquePrefix } from '../helpers/redis';
import { ADMIN_TOKEN, eventually, startServer, type RunningServer } from '../helpers/server';
import { saleKeys } from '../../src/ledger/redis/keys';

const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };

interface WorkerStats {
  slot: number;
  state: string;
  pid: number | null;
  connections: number | null;
  restarts: number;
  outages: Array<{ downAt: string; upAt: string | null; downForMs: number | null; connectionsAtDown: number; connectionsAtUp: number | null }>;
}

async function workers(server: RunningServer): Promise<WorkerStats[]> {
  const reply = await request(`${server.url}/api/cluster`, { headers: admin });
  assert.equal(reply.status, 200, reply.text);
  return reply.body.workers;
}

async function createSale(server: RunningServer, id: string, total: number): Promise<void> {
  const reply = await request(`${server.url}/api/sales`, { method: 'POST', headers: admin, body: { id, total } });
  assert.equal(reply.status, 201, reply.text);
}

/** The ledger's own state: sold, orders, and whether any buyer holds more than one ticket. */
async function ledgerState(redisUrl: string, prefix: string, saleId: string) {
  const redis = adminRedis(redisUrl);
  try {
    const sold = Number(await redis.hget(saleKeys(prefix, saleId).sale, 'sold'));
    const orders = await redis.hgetall(saleKeys(prefix, saleId).orders);
    const held = await redis.hvals(saleKeys(prefix, saleId).buyers);
    return { sold, orders, buyers: held.length, overLimit: held.filter((count) => count !== '1').length };
  } finally {
    await redis.quit();
  }
}

function acknowledged(replies: Reply[]): Reply[] {
  return replies.filter((reply) => reply?.status === 201);
}

for (const mode of ['handoff', 'proxy'] as const) describe(`a worker SIGKILLed in the middle of a sell-out, BALANCER=${mode}`, () => {
  const prefix = uniquePrefix(`workerkill-${mode}`);
  let server: RunningServer;
  before(async () => {
    server = await startServer({ WORKERS: '4', WORKER_WEIGHTS: '1,2,3,4', BALANCER: mode, LEDGER: 'redis', REDIS_URL, REDIS_PREFIX: prefix, LOCAL_BUFFER: '10' });
  });
  after(async () => {
    await server.stop();
    const redis = adminRedis();
    await dropPrefix(redis, prefix);
    await redis.quit();
  });

  it('still sells exactly total, to distinct buyers; the worker comes back; it got no connection while down', async () => {
    const total = 1000;
    await createSale(server, 'wk', total);
    const victim = (await workers(server)).find((w) => w.slot === 3)!;
    let killed = false;
    const replies = await crowd({
      count: 6000,
      concurrency: 100,
      freshConnections: true,
      tolerateErrors: true,
      make: (i) => ({ url: `${server.url}/api/sales/wk/purchases`, method: 'POST', body: { userId: `u${i}` } }),
      onReply: (_reply, done) => {
        if (!killed && done === 300) {
          killed = true;
          process.kill(victim.pid!, 'SIGKILL');
        }
      },
    });
    assert.ok(killed);

    // Buyers past the stock may still be arriving; mop up so the sale ends.
    await crowd({ count: 500, concurrency: 50, make: (i) => ({ url: `${server.url}/api/sales/wk/purchases`, method: 'POST', body: { userId: `late${i}` } }) });
    const state = await ledgerState(REDIS_URL, prefix, 'wk');
    assert.equal(state.sold, total, 'no oversell, no undersell');
    assert.equal(Object.keys(state.orders).length, total);
    assert.equal(state.buyers, total);
    assert.equal(state.overLimit, 0, 'no buyer holds two tickets');
    const acked = acknowledged(replies);
    for (const reply of acked) assert.ok(state.orders[reply.body.orderId], `acknowledged order ${reply.body.orderId} is in the ledger`);
    const failedAtSocket = replies.filter((r) => r.status === 0).length;
    assert.ok(failedAtSocket < 150, `only requests in flight on the killed worker may fail, got ${failedAtSocket}`);

    const back = await eventually(async () => {
      const slot = (await workers(server)).find((w) => w.slot === 3)!;
      return slot.state === 'ready' && slot.pid !== victim.pid ? slot : null;
    }, 10_000, 'the killed worker to come back');
    assert.equal(back.restarts, 1);
    const outage = back.outages.at(-1)!;
    assert.ok(outage.upAt !== null);
    assert.match(outage.downAt, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/, 'outage times are ISO 8601');
    assert.equal(outage.downForMs, Date.parse(outage.upAt) - Date.parse(outage.downAt));
    assert.equal(outage.connectionsAtUp, outage.connectionsAtDown, 'the balancer gave the dead worker no connection while it was down');
    console.log(`# worker restart (${mode}): serving again ${outage.downForMs} ms after SIGKILL; ${failedAtSocket} requests were cut at the socket`);
  });
});

