// Three spike boxes on one real Redis Cluster (three masters, three replicas)
// sell one sale out exactly from a flood of distinct buyers spread over all
// three, audited from the cluster's own state.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RedisLedger } from '../../src/ledger/redis/redis-ledger';
import { saleKeys } from '../../src/ledger/redis/keys';
import { admin, assertSoldExactly, clusterLedger, createSale, startBoxes, stopBoxes, type Box } from '../helpers/boxes';
import { crowd, request, statusCounts } from '../helpers/client';
import { PrivateRedisCluster } from '../helpers/private-redis-cluster';

const PREFIX = 'boxes';
const LOCAL_BUFFER = 10;
let cluster: PrivateRedisCluster;
let boxes: Box[];
let ledger: RedisLedger;

before(async () => {
  cluster = await PrivateRedisCluster.start({ masters: 3, replicas: 1, nodeTimeoutMs: 1000 });
  boxes = await startBoxes(3, cluster, PREFIX, { WORKERS: '2', LOCAL_BUFFER: String(LOCAL_BUFFER), BOX_HEARTBEAT_MS: '500' });
  ledger = await clusterLedger(cluster, PREFIX);
});
after(async () => {
  if (process.env.SHOW_BOXES) for (const box of boxes ?? []) console.log(box.server.output());
  await ledger?.close();
  if (boxes) await stopBoxes(boxes);
  await cluster?.stop();
});

/** Hold-sweeper script calls so far, over every box (they are scripts too, but not reservations). */
async function sweeperCalls(): Promise<number> {
  const figures = await Promise.all(boxes.map((box) => request(`${box.url}/api/cluster`, { headers: admin })));
  return figures.reduce((sum, f) => sum + (f.body.sweeper.ledgerCalls as number), 0);
}

/** Script calls on the master that holds the sale. */
async function scriptCallsOn(port: number): Promise<number> {
  const stats = (await cluster.commandstats()).get(port)!;
  return ['eval', 'evalsha', 'eval_ro', 'evalsha_ro', 'fcall'].reduce((sum, name) => sum + (stats.get(name) ?? 0), 0);
}

describe('three boxes, one sale, one Redis Cluster', () => {
  it('sell 3,000 tickets out exactly from a flood spread over all three; retries on another box replay the same order', async () => {
    const saleId = 'spread';
    const total = 3000;
    await createSale(boxes[0]!.url, { id: saleId, total, holdSeconds: 0 });
    const shard = await cluster.nodeOf(saleKeys(PREFIX, saleId).sale);
    await cluster.resetStats();
    const sweptBefore = await sweeperCalls();

    const buyers = 6000;
    const replies = await crowd({
      count: buyers,
      concurrency: 120,
      tolerateErrors: true,
      make: (i) => ({ url: `${boxes[i % 3]!.url}/api/sales/${saleId}/purchases`, method: 'POST', headers: { 'idempotency-key': `spread-${i}` }, body: { userId: `u${i}` } }),
    });
    const failed = replies.flatMap((r, i) => (r.status === 0 ? [`${i}: ${r.error}`] : []));
    assert.deepEqual(failed, [], 'requests failed at the socket');
    const counts = statusCounts(replies);
    assert.deepEqual(counts, { 201: total, 409: buyers - total });
    const sold = replies.flatMap((r, i) => (r.status === 201 ? [{ i, orderId: r.body.orderId as string }] : []));
    assert.equal(new Set(sold.map((s) => s.orderId)).size, total);
    for (const box of [0, 1, 2]) assert.ok(sold.some((s) => s.i % 3 === box), `box ${box} sold nothing`);

    const audit = await assertSoldExactly(ledger, PREFIX, saleId, total);
    assert.equal(audit.orders.paid, total);

    // Reservation calls across the three boxes: within tickets + every worker's buffer.
    const figures = await Promise.all(boxes.map((box) => request(`${box.url}/api/cluster`, { headers: admin })));
    const extensions = figures.flatMap((f) => f.body.workers).reduce((sum: number, w: any) => sum + (w.allowances?.[saleId]?.extendedUnits ?? 0), 0);
    const swept = (await sweeperCalls()) - sweptBefore;
    const calls = (await scriptCallsOn(shard)) - swept;
    const workers = 3 * 2;
    console.log(`# reservation calls on the sale's master: ${calls} (+ ${swept} sweeper calls) for ${total} tickets, ${buyers} buyers (bound ${total + workers * LOCAL_BUFFER} + extensions ${extensions})`);
    assert.ok(calls >= total, `${calls} script calls cannot have sold ${total}`);
    assert.ok(calls <= total + workers * LOCAL_BUFFER + extensions, `${calls} reservation calls, over ${total} + ${workers} x ${LOCAL_BUFFER} + ${extensions}`);

    // The same request (same buyer, same key) sent again to the next box replays the order.
    const sample = sold.filter((_, n) => n % 100 === 0);
    for (const { i, orderId } of sample) {
      const again = await request(`${boxes[(i + 1) % 3]!.url}/api/sales/${saleId}/purchases`, { method: 'POST', headers: { 'idempotency-key': `spread-${i}` }, body: { userId: `u${i}` } });
      assert.equal(again.status, 201, again.text);
      assert.equal(again.body.orderId, orderId);
      assert.equal(again.headers['idempotent-replayed'], 'true');
    }
    await assertSoldExactly(ledger, PREFIX, saleId, total);
  });
});
