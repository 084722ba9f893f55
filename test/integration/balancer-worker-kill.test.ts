// A worker SIGKILLed mid sell-out, in both relaying balancer modes: no
// ticket lost or sold twice, the dead worker masked. (SIGTERM under load per
// mode is in balancer-drain.test.ts; one file each keeps within the runner's
// per-file time.)
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { crowd } from '../helpers/client';
import { REDIS_URL, uniquePrefix, dropTestPrefix } from '../helpers/redis';
import { eventually, startServer, type RunningServer } from '../helpers/server';
import { acknowledged, createSale, ledgerState, workers } from '../helpers/cluster-state';

for (const mode of ['handoff', 'proxy'] as const) describe(`a worker SIGKILLed in the middle of a sell-out, BALANCER=${mode}`, () => {
  const prefix = uniquePrefix(`workerkill-${mode}`);
  let server: RunningServer;
  before(async () => {
    server = await startServer({ WORKERS: '4', WORKER_WEIGHTS: '1,2,3,4', BALANCER: mode, LEDGER: 'redis', REDIS_URL, REDIS_PREFIX: prefix, LOCAL_BUFFER: '10' });
  });
  after(async () => {
    await server.stop();
    await dropTestPrefix(prefix);
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

