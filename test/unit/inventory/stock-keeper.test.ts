// The worker's stock path over a real (in-process, journaled) embedded ledger:
// how often it asks the ledger, and that a sold-out sale stays on the fast path.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { StockKeeper } from '../../../src/inventory/stock-keeper';
import { EmbeddedLedger } from '../../../src/ledger/embedded/embedded-ledger';
import type { Ledger, ReserveOutcome } from '../../../src/ledger';
import { eventually } from '../../helpers/server';
import { tempDir } from '../../helpers/temp-dir';

function reserved(outcome: ReserveOutcome) {
  assert.equal(outcome.kind, 'reserved', `expected a reservation, got ${JSON.stringify(outcome)}`);
  return outcome as Extract<ReserveOutcome, { kind: 'reserved' }>;
}

/** The real ledger, with its reads and reservations counted. */
function counted(ledger: Ledger) {
  const calls = { getSale: 0, reserve: 0 };
  const proxy = new Proxy(ledger, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver);
      if (key === 'getSale' || key === 'reserve') {
        return (...args: unknown[]) => {
          calls[key]++;
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      }
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return { ledger: proxy, calls };
}

describe('stock keeper', () => {
  let embedded: EmbeddedLedger;
  before(() => {
    embedded = EmbeddedLedger.open({ dataDir: tempDir('spike-keeper-'), fsync: 'off' });
  });
  after(() => embedded.close());

  it('sells its share, then answers sold-out buyers without the ledger, re-reading at most about once a second', async () => {
    const { ledger, calls } = counted(embedded);
    const keeper = new StockKeeper(ledger, { weight: 1, totalWeight: 1, localBuffer: 2, allowanceRefreshMs: 20, saleViewTtlMs: 100 });
    await keeper.listening;
    await ledger.createSale({ id: 'fast', name: 'fast', total: 5, perUserLimit: 1, holdSeconds: 0, opensAt: null, closesAt: null }, Date.now());
    const bought = await Promise.all(Array.from({ length: 5 }, (_, i) => keeper.purchase('fast', `b${i}`)));
    assert.deepEqual(bought.map((o) => o.kind), Array(5).fill('reserved'));
    assert.equal((await keeper.purchase('fast', 'late')).kind, 'sold_out');
    const reservations = calls.reserve;
    assert.ok(reservations <= 5 + 2, `reservations ${reservations}`);

    // 2.5 s of sold-out traffic: the fast path answers, and the ledger is read about once a second.
    const readsBefore = calls.getSale;
    const started = Date.now();
    let fast = 0;
    let slow = 0;
    while (Date.now() - started < 2500) {
      if (keeper.quickRefusal('fast', undefined, Date.now())) fast++;
      else {
        slow++;
        assert.equal((await keeper.purchase('fast', `s${slow}`)).kind, 'sold_out');
      }
      if ((fast + slow) % 200 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    assert.equal(calls.reserve, reservations, 'no reservation for a sold-out sale');
    const reads = calls.getSale - readsBefore;
    assert.ok(reads >= 1 && reads <= 4, `ledger reads in 2.5 s: ${reads}`);
    assert.ok(slow <= 10, `only the re-checks leave the fast path, got ${slow} of ${fast + slow}`);
  });

  it('sells returned stock again once told, without waiting for the re-check', async () => {
    const { ledger } = counted(embedded);
    const keeper = new StockKeeper(ledger, { weight: 1, totalWeight: 1, localBuffer: 0, allowanceRefreshMs: 20, saleViewTtlMs: 100 });
    await keeper.listening;
    await ledger.createSale({ id: 'back', name: 'back', total: 1, perUserLimit: 1, holdSeconds: 60, opensAt: null, closesAt: null }, Date.now());
    const first = reserved(await keeper.purchase('back', 'alice'));
    assert.equal((await keeper.purchase('back', 'bob')).kind, 'sold_out');
    assert.ok(keeper.quickRefusal('back', undefined, Date.now()));
    await ledger.cancel(first.order.orderId, 'alice', Date.now());
    // The ledger announced the return to the keeper: the next buyer gets the ticket.
    const again = reserved(await keeper.purchase('back', 'bob'));
    assert.equal(again.order.userId, 'bob');
  });

  it('a worker that learns of a sell-out from its sale view asks the ledger once, so buyers hear when a held ticket may come back', async () => {
    await embedded.createSale({ id: 'heard', name: 'heard', total: 1, perUserLimit: 1, holdSeconds: 60, opensAt: null, closesAt: null }, Date.now());
    const seller = new StockKeeper(embedded, { weight: 1, totalWeight: 2, localBuffer: 0, allowanceRefreshMs: 0, saleViewTtlMs: 0 });
    await seller.listening;
    const held = reserved(await seller.purchase('heard', 'alice'));
    // Another worker first meets the sale sold out: its gate starts sold out, with no release time of its own.
    const { ledger, calls } = counted(embedded);
    const other = new StockKeeper(ledger, { weight: 1, totalWeight: 2, localBuffer: 0, allowanceRefreshMs: 0, saleViewTtlMs: 60_000 });
    await other.listening;
    const first = await other.purchase('heard', 'bob');
    assert.deepEqual(first, { kind: 'sold_out', total: 1, nextReleaseAt: held.order.expiresAt });
    assert.equal(calls.reserve, 1, 'one buyer asked the ledger');
    const later = await Promise.all(['carol', 'dave', 'erin'].map((buyer) => other.purchase('heard', buyer)));
    for (const outcome of later) assert.deepEqual(outcome, { kind: 'sold_out', total: 1, nextReleaseAt: held.order.expiresAt });
    assert.equal(calls.reserve, 1, 'the buyers after it are told from memory');
  });

  it("never hands one buyer's order to another buyer's key, even on the no-stock paths (sold out, closed)", async () => {
    const keeper = new StockKeeper(embedded, { weight: 1, totalWeight: 1, localBuffer: 0, allowanceRefreshMs: 0, saleViewTtlMs: 0 });
    await keeper.listening;
    const closesAt = Date.now() + 60_000;
    await embedded.createSale({ id: 'keys', name: 'keys', total: 1, perUserLimit: 1, holdSeconds: 60, opensAt: null, closesAt }, Date.now());
    const alice = reserved(await keeper.purchase('keys', 'alice', 'alice-key-1'));
    // Sold out now: the keeper answers from its allowance, without a reservation.
    assert.deepEqual(await keeper.purchase('keys', 'alice', 'alice-key-1'), { kind: 'replayed', order: alice.order }, 'the buyer gets her own order back');
    // Keys are scoped per buyer: mallory's copy of alice's key is her own attempt, and finds nothing of alice's.
    const mallory = await keeper.purchase('keys', 'mallory', 'alice-key-1');
    assert.equal(mallory.kind, 'sold_out', "another buyer with alice's key learns nothing");
    assert.ok(!('order' in mallory));
    assert.equal((await keeper.purchase('keys', 'mallory', 'mallory-key')).kind, 'sold_out');

    const soon = Date.now() + 150;
    await embedded.createSale({ id: 'keys-closed', name: 'keys-closed', total: 5, perUserLimit: 1, holdSeconds: 60, opensAt: null, closesAt: soon }, Date.now());
    const bob = reserved(await keeper.purchase('keys-closed', 'bob', 'bob-key-1'));
    await eventually(() => Date.now() >= soon, 5000, 'the sale to close');
    assert.deepEqual(await keeper.purchase('keys-closed', 'bob', 'bob-key-1'), { kind: 'replayed', order: bob.order });
    assert.equal((await keeper.purchase('keys-closed', 'mallory', 'bob-key-1')).kind, 'closed');
    assert.equal((await keeper.purchase('keys-closed', 'mallory', 'mallory-key')).kind, 'closed');
  });

  it('follows a changed sale at once: a grown total sells, a closed sale is refused from memory, a missed close is learnt from the ledger', async () => {
    const { ledger, calls } = counted(embedded);
    const keeper = new StockKeeper(ledger, { weight: 1, totalWeight: 2, localBuffer: 0, allowanceRefreshMs: 20, saleViewTtlMs: 100 });
    await keeper.listening;
    await ledger.createSale({ id: 'follow', name: 'follow', total: 2, perUserLimit: 1, holdSeconds: 0, opensAt: null, closesAt: null }, Date.now());
    reserved(await keeper.purchase('follow', 'a'));
    reserved(await keeper.purchase('follow', 'b'));
    assert.equal((await keeper.purchase('follow', 'c')).kind, 'sold_out');
    assert.equal(keeper.quickRefusal('follow', undefined, Date.now()), 'sold_out');

    // The ledger announces the change; the keeper re-reads the sale and sizes its allowance (half of 10 remaining).
    await ledger.updateSale('follow', { total: 12 }, Date.now());
    await eventually(() => keeper.allowanceStats().follow!.available === 5 && !keeper.quickRefusal('follow', undefined, Date.now()), 2000, 'the keeper to follow the new total');
    for (const buyer of ['c', 'd', 'e', 'f', 'g']) reserved(await keeper.purchase('follow', buyer));

    await ledger.closeSale('follow', Date.now());
    await eventually(() => keeper.quickRefusal('follow', undefined, Date.now()) === 'closed', 2000, 'the keeper to see the close');
    const before = calls.reserve;
    assert.equal((await keeper.purchase('follow', 'late')).kind, 'closed');
    assert.equal(calls.reserve, before, 'a closed sale is refused without a reservation');

    // A keeper that never heard of a close (no listener) learns it from the ledger's first "closed".
    const unannounced = new Proxy(ledger, { get: (target, key) => (key === 'onSaleChanged' ? async () => {} : Reflect.get(target, key)) });
    const deaf = new StockKeeper(unannounced, { weight: 1, totalWeight: 1, localBuffer: 0, allowanceRefreshMs: 0, saleViewTtlMs: 100 });
    await ledger.createSale({ id: 'deaf', name: 'deaf', total: 5, perUserLimit: 1, holdSeconds: 0, opensAt: null, closesAt: null }, Date.now());
    reserved(await deaf.purchase('deaf', 'a'));
    await ledger.closeSale('deaf', Date.now());
    assert.equal((await deaf.purchase('deaf', 'b')).kind, 'closed');
    await eventually(() => deaf.quickRefusal('deaf', undefined, Date.now()) === 'closed', 2000, 'the deaf keeper to re-read the sale');
  });
});
