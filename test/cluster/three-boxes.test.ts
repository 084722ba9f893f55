// Three spike boxes on one real Redis Cluster (three masters, three replicas)
// sell one sale out exactly from a flood of distinct buyers spread over all
// three, audited from the cluster's own state; holds that expire come back
// for sale on every box.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RedisLedger } from '../../src/ledger/redis/redis-ledger';
import { saleKeys } from '../../src/ledger/redis/keys';
import { admin, assertSoldExactly, clusterLedger, createSale, startBoxes, stopBoxes, type Box } from '../helpers/boxes';
import { crowd, request, statusCounts } from '../helpers/client';
import { eventually } from '../helpers/server';
import { PrivateRedisCluster } from '../../harness/private-redis-cluster';

const PREFIX = 'boxes';
const LOCAL_BUFFER = 10;
let cluster: PrivateRedisCluster;
let boxes: Box[];
let ledger: RedisLedger;

before(async () => {
  cluster = await PrivateRedisCluster.start({ masters: 3, replicas: 1, nodeTimeoutMs: 1000 });
  // One reservation per script call (no batches), so Redis's own count of scripts checks the workers' count of reservations.
  boxes = await startBoxes(3, cluster, PREFIX, { WORKERS: '2', LOCAL_BUFFER: String(LOCAL_BUFFER), BOX_HEARTBEAT_MS: '500', REDIS_RESERVE_BATCH: '1' });
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

/** PUBLISH commands run (inside scripts too) on every master. */
async function publishCalls(): Promise<number> {
  let sum = 0;
  for (const stats of (await cluster.commandstats()).values()) sum += stats.get('publish') ?? 0;
  return sum;
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

    const buyers = 4500;
    const replies = await crowd({
      count: buyers,
      concurrency: 120,
      tolerateErrors: true,
      make: (i) => ({ url: `${boxes[i % 3]!.url}/api/sales/${saleId}/purchases`, method: 'POST', headers: { 'idempotency-key': `spread-${i}` }, body: { userId: `u${i}` } }),
    });
    // A buyer whose connection broke retries with the same Idempotency-Key on
    // the next box, as the API asks; the retry either replays or buys.
    const failed = replies.flatMap((r, i) => (r.status === 0 ? [`${i}: ${r.error}`] : []));
    if (failed.length > 0) console.log(`# ${failed.length} request(s) failed at the socket and were retried on another box: ${failed.join(', ')}`);
    for (const [i, reply] of replies.entries()) {
      if (reply.status !== 0) continue;
      replies[i] = await request(`${boxes[(i + 1) % 3]!.url}/api/sales/${saleId}/purchases`, { method: 'POST', headers: { 'idempotency-key': `spread-${i}` }, body: { userId: `u${i}` } });
    }
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
    const scripts = await scriptCallsOn(shard);
    const workerCalls = figures.flatMap((f) => f.body.workers).reduce((sum: number, w: any) => sum + (w.allowances?.[saleId]?.reserveCalls ?? 0), 0);
    const workers = 3 * 2;
    // The primaries' own scripts on this shard (hold sweeper, ticket issuer,
    // queue ticker) count in commandstats too; the workers count their
    // reservations themselves, and Redis must have run at least those.
    console.log(`# reservation calls: ${workerCalls} counted by the workers; ${scripts} scripts on the sale's master (${swept} of them the sweepers', the rest the primaries' other tickers) for ${total} tickets, ${buyers} buyers (bound ${total + workers * LOCAL_BUFFER} + extensions ${extensions})`);
    assert.ok(scripts >= total, `${scripts} script calls cannot have sold ${total}`);
    assert.ok(workerCalls >= total && workerCalls <= scripts, `the workers counted ${workerCalls} reservations, Redis ran ${scripts} scripts`);
    assert.ok(workerCalls <= total + workers * LOCAL_BUFFER + extensions, `${workerCalls} reservation calls, over ${total} + ${workers} x ${LOCAL_BUFFER} + ${extensions}`);

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

  /** Every worker's allowance figures for the sale, over the three boxes. */
  async function allowances(saleId: string): Promise<Array<{ soldOut: boolean } | undefined>> {
    const figures = await Promise.all(boxes.map((box) => request(`${box.url}/api/cluster`, { headers: admin })));
    return figures.flatMap((f) => f.body.workers.map((w: any) => w.allowances?.[saleId]));
  }

  const buyOn = (saleId: string, from: number, count: number) =>
    crowd({ count, concurrency: 30, freshConnections: true, make: (i) => ({ url: `${boxes[i % 3]!.url}/api/sales/${saleId}/purchases`, method: 'POST', body: { userId: `${saleId}-${from + i}` } }) });

  it('holds that expire on one box come back for sale on every box, each released exactly once', async () => {
    const saleId = 'returns';
    const total = 30;
    // Holds long enough that the first buyers and the sold-out marks are done before any expires.
    await createSale(boxes[0]!.url, { id: saleId, total, holdSeconds: 8 });
    const released = async () => (await Promise.all(boxes.map((box) => request(`${box.url}/api/cluster`, { headers: admin })))).reduce((sum, f) => sum + (f.body.sweeper.released as number), 0);
    const releasedBefore = await released();
    const busBefore = await cluster.clusterInfoSum('cluster_stats_messages_publish_sent');
    const publishBefore = await publishCalls();

    const first = await buyOn(saleId, 0, 90);
    assert.equal(statusCounts(first)[201], total, JSON.stringify(statusCounts(first)));
    const holdEnds = first.filter((r) => r.status === 201).map((r) => Date.parse(r.body.expiresAt as string));
    const firstEnd = Math.min(...holdEnds);
    // Every worker on every box learns the sale is sold out (one that has not tried yet learns it now).
    let next = 90;
    await eventually(async () => {
      const seen = await allowances(saleId);
      if (seen.length === 6 && seen.every((a) => a?.soldOut)) return true;
      await buyOn(saleId, next, 30);
      next += 30;
      return false;
    }, 20_000, 'every worker marked sold out');

    assert.ok(Date.now() < firstEnd, 'the sold-out marks were set before any hold ended');
    // No buyer now: only the stock-returned announcement can clear the marks.
    await eventually(async () => (await allowances(saleId)).every((a) => a && !a.soldOut), 20_000, 'every worker on every box hears the returned stock');
    console.log(`# returned stock heard by all 6 workers of 3 boxes ${Date.now() - firstEnd} ms after the first hold's end (sweep every 250 ms)`);
    // The holds end over the length of the first flood, and the marks clear at the first release:
    // a second flood that starts then can finish before the last hold has come back (29 of 30 sold once).
    await eventually(async () => (await ledger.audit(saleId))!.orders.expired === total, 20_000, 'every hold has ended and come back');

    const second = await buyOn(saleId, 100_000, 300);
    assert.equal(statusCounts(second)[201], total, JSON.stringify(statusCounts(second)));
    const sellers = new Set(second.flatMap((r, i) => (r.status === 201 ? [i % 3] : [])));
    assert.equal(sellers.size, 3, 'every box sold returned tickets');

    const audit = await ledger.audit(saleId);
    assert.equal(audit!.sold, total);
    assert.equal(audit!.orders.expired, total, 'each first hold expired once');
    assert.equal(audit!.orders.reserved, total);
    assert.equal(audit!.buyersOverLimit, 0);
    await eventually(async () => (await released()) - releasedBefore === total, 10_000, 'the sweepers of all boxes released exactly the expired holds');
    // What a classic PUBLISH costs on a cluster: the node forwards it over the cluster bus to every other node.
    const announcements = (await publishCalls()) - publishBefore;
    const forwarded = (await cluster.clusterInfoSum('cluster_stats_messages_publish_sent')) - busBefore;
    console.log(`# ${announcements} stock-returned PUBLISH(es) in scripts -> ${forwarded} cluster-bus publish messages (${cluster.nodes.length} nodes)`);
  });
});
