import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { newOrderId } from '../../src/inventory/order-ids';
import type { ReserveOutcome } from '../../src/ledger';
import { RedisLedger } from '../../src/ledger/redis/redis-ledger';
import { adminRedis, dropPrefix, REDIS_URL, uniquePrefix } from '../helpers/redis';
import { ledgerContract } from './ledger-contract';

ledgerContract('redis', async () => {
  const prefix = uniquePrefix('contract');
  const ledger = new RedisLedger({ url: REDIS_URL, prefix, timeoutMs: 2000, autoPipelining: true });
  await ledger.connect();
  return {
    ledger,
    async close() {
      await ledger.close();
      const admin = adminRedis();
      await dropPrefix(admin, prefix);
      await admin.quit();
    },
  };
});

/**
 * A RedisLedger of its own for one describe (reservations and check-ins batched
 * up to 64), recording how many requests each call of `script` carried: its
 * arguments past the `keys` keys, `perRequest` to a request.
 */
function ledgerCountingBatches(label: string, script: 'reserveTickets' | 'checkInTickets', keys: number, perRequest: number) {
  const counted = { ledger: undefined as unknown as RedisLedger, batches: [] as number[] };
  let prefix: string;
  before(async () => {
    prefix = uniquePrefix(label);
    counted.ledger = new RedisLedger({ url: REDIS_URL, prefix, timeoutMs: 2000, autoPipelining: false, reserveBatch: 64 });
    await counted.ledger.connect();
    const redis = counted.ledger.redis as unknown as Record<string, (...args: unknown[]) => unknown>;
    const real = redis[script]!.bind(redis);
    redis[script] = (...args: unknown[]) => {
      counted.batches.push((args.length - keys) / perRequest);
      return real(...args);
    };
  });
  after(async () => {
    await counted.ledger.close();
    const admin = adminRedis();
    await dropPrefix(admin, prefix);
    await admin.quit();
  });
  return counted;
}

// Redis only: the worker's reservations of one sale go to Redis in batches
// (ScriptBatcher, reserveTickets-8.lua). The contract above already runs
// through them; these cases pin what a batch must keep: every order of a
// batch is decided alone, in order, seeing the orders before it.
describe('reservation batches on Redis', () => {
  /** `batches`: the number of orders of each reserveTickets call (8 keys, 6 arguments an order). */
  const counted = ledgerCountingBatches('batches', 'reserveTickets', 8, 6);

  function reserve(saleId: string, userId: string, key: string) {
    return counted.ledger.reserve({ saleId, userId, requestKey: key, orderId: newOrderId(saleId), now: Date.now() });
  }

  it('200 concurrent buyers of 150 tickets: one lone call, then batches of at most 64; exactly 150 sold, one per buyer', async () => {
    const saleId = `batch-${randomBytes(4).toString('hex')}`;
    await counted.ledger.createSale({ id: saleId, name: saleId, total: 150, perUserLimit: 1, holdSeconds: 900, opensAt: null, closesAt: null }, Date.now());
    counted.batches.length = 0;
    const outcomes = await Promise.all(Array.from({ length: 200 }, (_, i) => reserve(saleId, `b${i}`, `k:${i}`)));
    assert.equal(outcomes.filter((o) => o.kind === 'reserved').length, 150);
    assert.equal(outcomes.filter((o) => o.kind === 'sold_out').length, 50);
    assert.equal(counted.batches[0], 1, 'the first order waits for nobody');
    assert.equal(Math.max(...counted.batches), 64);
    assert.equal(counted.batches.reduce((sum, n) => sum + n, 0), 200);
    const audit = (await counted.ledger.audit(saleId))!;
    assert.equal(audit.sold, 150);
    assert.equal(audit.orders.reserved, 150);
    assert.equal(audit.buyersOverLimit, 0);
  });

  it('in one batch, each order sees the ones before it: a replay, the buyer limit, a reused key, the last ticket and sold out', async () => {
    const saleId = `batch-${randomBytes(4).toString('hex')}`;
    await counted.ledger.createSale({ id: saleId, name: saleId, total: 2, perUserLimit: 1, holdSeconds: 900, opensAt: null, closesAt: null }, Date.now());
    counted.batches.length = 0;
    const first = reserve(saleId, 'alice', 'k:1');
    const rest = [reserve(saleId, 'alice', 'k:1'), reserve(saleId, 'alice', 'k:2'), reserve(saleId, 'bob', 'k:1'), reserve(saleId, 'carol', 'k:4'), reserve(saleId, 'dave', 'k:5')];
    const outcomes = [await first, ...(await Promise.all(rest))];
    assert.deepEqual(counted.batches, [1, 5]);
    assert.deepEqual(outcomes.map((o) => o.kind), ['reserved', 'replayed', 'limit_reached', 'key_reused', 'reserved', 'sold_out']);
    const [alice, replay] = outcomes as [Extract<ReserveOutcome, { kind: 'reserved' }>, Extract<ReserveOutcome, { kind: 'replayed' }>];
    assert.equal(replay.order.orderId, alice.order.orderId);
    assert.equal((await counted.ledger.getSale(saleId))!.sold, 2);
  });
});

// Redis only: check-ins of one sale go to Redis in batches too (ScriptBatcher,
// checkInTickets-3.lua). Each check-in of a batch is decided alone, in order,
// seeing the ones before it: a ticket scanned twice in one batch admits once.
describe('check-in batches on Redis', () => {
  /** `batches`: the number of check-ins of each checkInTickets call (3 keys, 4 arguments a check-in). */
  const counted = ledgerCountingBatches('checkin-batches', 'checkInTickets', 3, 4);

  /** A sale whose orders are paid at once (holdSeconds 0), and `count` paid orders in it. */
  async function paidOrders(count: number): Promise<{ saleId: string; orders: Array<{ orderId: string; userId: string }> }> {
    const saleId = `checkins-${randomBytes(4).toString('hex')}`;
    await counted.ledger.createSale({ id: saleId, name: saleId, total: count, perUserLimit: 1, holdSeconds: 0, opensAt: null, closesAt: null }, Date.now());
    const orders = [];
    for (let i = 0; i < count; i++) {
      const outcome = await counted.ledger.reserve({ saleId, userId: `b${i}`, requestKey: `k:${i}`, orderId: newOrderId(saleId), now: Date.now() });
      assert.equal(outcome.kind, 'reserved');
      const order = (outcome as Extract<ReserveOutcome, { kind: 'reserved' }>).order;
      assert.equal(order.state, 'paid');
      orders.push({ orderId: order.orderId, userId: order.userId });
    }
    return { saleId, orders };
  }

  it('200 concurrent scans of 100 tickets at two gates: one lone call, then batches of at most 64; each ticket admitted exactly once', async () => {
    const { saleId, orders } = await paidOrders(100);
    counted.batches.length = 0;
    const scans = [...orders, ...orders].map((o, i) => counted.ledger.checkIn({ ...o, gate: i < 100 ? 'north' : 'south', now: Date.now() }));
    const outcomes = await Promise.all(scans);
    assert.equal(counted.batches[0], 1, 'the first check-in waits for nobody');
    assert.ok(Math.max(...counted.batches) <= 64, `batches ${counted.batches.join(',')}`);
    assert.ok(counted.batches.length < 200, 'check-ins that came while a call was in flight went together');
    assert.equal(counted.batches.reduce((sum, n) => sum + n, 0), 200);
    assert.equal(outcomes.filter((o) => o.kind === 'admitted').length, 100);
    assert.equal(outcomes.filter((o) => o.kind === 'already_used').length, 100);
    for (let i = 0; i < 100; i++) {
      const [first, second] = [outcomes[i]!, outcomes[i + 100]!];
      assert.equal(first.kind, 'admitted', 'the north gate scanned each ticket first');
      // The refusal names the one admission: when and at which gate.
      assert.deepEqual(second.kind === 'already_used' && first.kind === 'admitted' ? [second.at, second.gate] : null, [first.at, 'north']);
    }
    const counts = (await counted.ledger.ticketCounts(saleId))!;
    assert.equal(counts.checkedIn, 100);
  });

  it('in one batch, each check-in sees the ones before it: a second scan, a new ticket scanned twice, another buyer', async () => {
    const [a, b] = (await paidOrders(2)).orders as [{ orderId: string; userId: string }, { orderId: string; userId: string }];
    counted.batches.length = 0;
    const first = counted.ledger.checkIn({ ...a, gate: 'g1', now: 1000 });
    const rest = [
      counted.ledger.checkIn({ ...a, gate: 'g2', now: 1001 }),
      counted.ledger.checkIn({ ...b, gate: 'g2', now: 1002 }),
      counted.ledger.checkIn({ ...b, gate: 'g3', now: 1003 }),
      counted.ledger.checkIn({ orderId: b.orderId, userId: 'mallory', gate: 'g3', now: 1004 }),
    ];
    const outcomes = [await first, ...(await Promise.all(rest))];
    assert.deepEqual(counted.batches, [1, 4]);
    assert.deepEqual(outcomes.map((o) => o.kind), ['admitted', 'already_used', 'admitted', 'already_used', 'unknown']);
    assert.deepEqual(outcomes[3]!.kind === 'already_used' ? [outcomes[3]!.at, outcomes[3]!.gate] : null, [1002, 'g2']);
  });
});
