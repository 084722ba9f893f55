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

// Redis only: the worker's reservations of one sale go to Redis in batches
// (ReservationBatcher, reserveTickets-8.lua). The contract above already runs
// through them; these cases pin what a batch must keep: every order of a
// batch is decided alone, in order, seeing the orders before it.
describe('reservation batches on Redis', () => {
  let ledger: RedisLedger;
  let prefix: string;
  /** The number of orders of each reserveTickets call the ledger made to Redis. */
  const batches: number[] = [];
  before(async () => {
    prefix = uniquePrefix('batches');
    ledger = new RedisLedger({ url: REDIS_URL, prefix, timeoutMs: 2000, autoPipelining: false, reserveBatch: 64 });
    await ledger.connect();
    const real = ledger.redis.reserveTickets.bind(ledger.redis);
    ledger.redis.reserveTickets = ((...args: Parameters<typeof real>) => {
      batches.push((args.length - 8) / 6);
      return real(...args);
    }) as typeof real;
  });
  after(async () => {
    await ledger.close();
    const admin = adminRedis();
    await dropPrefix(admin, prefix);
    await admin.quit();
  });

  function reserve(saleId: string, userId: string, key: string) {
    return ledger.reserve({ saleId, userId, requestKey: key, orderId: newOrderId(saleId), now: Date.now() });
  }

  it('200 concurrent buyers of 150 tickets: one lone call, then batches of at most 64; exactly 150 sold, one per buyer', async () => {
    const saleId = `batch-${randomBytes(4).toString('hex')}`;
    await ledger.createSale({ id: saleId, name: saleId, total: 150, perUserLimit: 1, holdSeconds: 900, opensAt: null, closesAt: null }, Date.now());
    batches.length = 0;
    const outcomes = await Promise.all(Array.from({ length: 200 }, (_, i) => reserve(saleId, `b${i}`, `k:${i}`)));
    assert.equal(outcomes.filter((o) => o.kind === 'reserved').length, 150);
    assert.equal(outcomes.filter((o) => o.kind === 'sold_out').length, 50);
    assert.equal(batches[0], 1, 'the first order waits for nobody');
    assert.equal(Math.max(...batches), 64);
    assert.equal(batches.reduce((sum, n) => sum + n, 0), 200);
    const audit = (await ledger.audit(saleId))!;
    assert.equal(audit.sold, 150);
    assert.equal(audit.orders.reserved, 150);
    assert.equal(audit.buyersOverLimit, 0);
  });

  it('in one batch, each order sees the ones before it: a replay, the buyer limit, a reused key, the last ticket and sold out', async () => {
    const saleId = `batch-${randomBytes(4).toString('hex')}`;
    await ledger.createSale({ id: saleId, name: saleId, total: 2, perUserLimit: 1, holdSeconds: 900, opensAt: null, closesAt: null }, Date.now());
    batches.length = 0;
    const first = reserve(saleId, 'alice', 'k:1');
    const rest = [reserve(saleId, 'alice', 'k:1'), reserve(saleId, 'alice', 'k:2'), reserve(saleId, 'bob', 'k:1'), reserve(saleId, 'carol', 'k:4'), reserve(saleId, 'dave', 'k:5')];
    const outcomes = [await first, ...(await Promise.all(rest))];
    assert.deepEqual(batches, [1, 5]);
    assert.deepEqual(outcomes.map((o) => o.kind), ['reserved', 'replayed', 'limit_reached', 'key_reused', 'reserved', 'sold_out']);
    const [alice, replay] = outcomes as [Extract<ReserveOutcome, { kind: 'reserved' }>, Extract<ReserveOutcome, { kind: 'replayed' }>];
    assert.equal(replay.order.orderId, alice.order.orderId);
    assert.equal((await ledger.getSale(saleId))!.sold, 2);
  });
});
