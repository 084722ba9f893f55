// The stock keeper's answers and bookkeeping around each ledger reply: which
// buyers it turns away from memory, when it marks a sale sold out, which units
// go back to the allowance, and what a 503 tells the buyer to retry with. Over
// a real in-process embedded ledger (no fsync); a proxy fails it on demand.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { LedgerUnavailableError } from '../../../src/errors/errors';
import { StockKeeper } from '../../../src/inventory/stock-keeper';
import type { Ledger, ReserveOutcome, SaleSpec } from '../../../src/ledger';
import { EmbeddedLedger } from '../../../src/ledger/embedded/embedded-ledger';
import { tempDir } from '../../helpers/temp-dir';

let embedded: EmbeddedLedger;
before(() => {
  embedded = EmbeddedLedger.open({ dataDir: tempDir('spike-keeper-answers-'), fsync: 'off' });
});
after(() => embedded.close());

let sales = 0;
async function newSale(overrides: Partial<SaleSpec> = {}): Promise<string> {
  const id = `ka${sales++}`;
  await embedded.createSale({ id, name: id, total: 10, perUserLimit: 1, holdSeconds: 60, opensAt: null, closesAt: null, ...overrides }, Date.now());
  return id;
}

/** The embedded ledger, whose reserve fails while `failing` is set. */
function flaky() {
  const state = { failing: false, reserves: 0 };
  const ledger = new Proxy(embedded, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver);
      if (key === 'reserve') {
        return (...args: Parameters<Ledger['reserve']>) => {
          state.reserves++;
          return state.failing ? Promise.reject(new LedgerUnavailableError('the test pulled the plug')) : target.reserve(...args);
        };
      }
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return { ledger: ledger as Ledger, state };
}

function keeper(ledger: Ledger, localBuffer = 0): StockKeeper {
  return new StockKeeper(ledger, { weight: 1, totalWeight: 1, localBuffer, allowanceRefreshMs: 0, saleViewTtlMs: 60_000 });
}

const kind = (outcome: ReserveOutcome) => outcome.kind;

describe('stock keeper answers', () => {
  it('turns away from memory only what it knows: not open, closed, sold out; never a request with an Idempotency-Key, never an unknown sale', async () => {
    const now = Date.now();
    const later = await newSale({ opensAt: now + 3_600_000 });
    const over = await newSale({ closesAt: now + 1 });
    const open = await newSale({ total: 1 });
    const k = keeper(embedded);
    assert.equal(k.quickRefusal(open, undefined, now), undefined, 'a sale not cached yet goes through purchase()');
    await k.sales.get(later);
    await k.sales.get(over);
    await k.sales.get(open);
    assert.equal(k.quickRefusal(later, undefined, now), 'not_open');
    assert.equal(k.quickRefusal(later, 'some-key', now), undefined);
    assert.equal(k.quickRefusal(over, undefined, now + 1), 'closed');
    assert.equal(k.quickRefusal(open, undefined, now), undefined, 'open with stock');
    assert.equal(kind(await k.purchase(open, 'alice')), 'reserved');
    assert.equal(k.quickRefusal(open, undefined, Date.now()), 'sold_out', 'the last ticket sold here marks the sale sold out');
    assert.equal(k.quickRefusal(open, 'retry-key', Date.now()), undefined);
  });

  it('marks sold out when a reservation takes the last ticket, not before', async () => {
    const id = await newSale({ total: 2 });
    const k = keeper(embedded, 5);
    assert.equal(kind(await k.purchase(id, 'a')), 'reserved');
    assert.equal(k.allowanceStats()[id]!.soldOut, false, 'one ticket is left');
    assert.equal(k.peekSale(id)!.sold, 1, "the reply's sold count updates the cached view");
    assert.equal(kind(await k.purchase(id, 'b')), 'reserved');
    assert.equal(k.allowanceStats()[id]!.soldOut, true);
    assert.equal(k.allowanceStats()[id]!.reserveCalls, 2);
  });

  it('a refusal from the ledger hands the unit back; a sold_out keeps the mark and the next release time', async () => {
    const id = await newSale({ total: 3, perUserLimit: 1 });
    const k = keeper(embedded, 0);
    assert.equal(kind(await k.purchase(id, 'same')), 'reserved');
    const available = k.allowanceStats()[id]!.available;
    assert.equal(kind(await k.purchase(id, 'same')), 'limit_reached');
    assert.equal(k.allowanceStats()[id]!.available, available, 'the unit taken for the refused buyer came back');

    // Another worker sells the rest behind this keeper's back: the ledger's sold_out marks it here.
    const other = await newSale({ total: 1, holdSeconds: 60 });
    const k2 = keeper(embedded, 5);
    await k2.sales.get(other);
    const outside = await embedded.reserve({ saleId: other, userId: 'elsewhere', requestKey: 'k:elsewhere', orderId: `${other}.x`, now: Date.now() });
    assert.equal(outside.kind, 'reserved');
    const refused = await k2.purchase(other, 'late');
    assert.equal(refused.kind, 'sold_out');
    assert.equal(k2.allowanceStats()[other]!.soldOut, true);
    const expiresAt = (outside as { order: { expiresAt: number } }).order.expiresAt;
    assert.equal(k2.nextReleaseAt(other, Date.now()), expiresAt, 'the ledger said when the hold runs out');
    assert.equal(k2.nextReleaseAt(other, expiresAt), 0, 'a release time passed is no longer news');
    k2.stockReturned(other);
    assert.equal(k2.allowanceStats()[other]!.soldOut, false, 'returned stock clears the mark at once');
  });

  it('a ledger that fails hands the unit back, and the 503 names the key to retry with', async () => {
    const id = await newSale({ total: 5 });
    const { ledger, state } = flaky();
    const k = keeper(ledger, 0);
    assert.equal(kind(await k.purchase(id, 'first')), 'reserved');
    const available = k.allowanceStats()[id]!.available;
    state.failing = true;
    await assert.rejects(k.purchase(id, 'unlucky', 'my-key'), (error: LedgerUnavailableError) => {
      assert.match(error.message, /retry with the header Idempotency-Key: my-key/);
      assert.deepEqual(error.headers, { 'idempotency-key': 'my-key' });
      return true;
    });
    await assert.rejects(k.purchase(id, 'unlucky2'), (error: LedgerUnavailableError) => {
      assert.match(error.message, /retry with the header Idempotency-Key: \S+/, 'a key is made for a request that sent none');
      assert.ok(error.headers?.['idempotency-key']);
      return true;
    });
    assert.equal(k.allowanceStats()[id]!.available, available);
    state.failing = false;
    assert.equal(kind(await k.purchase(id, 'unlucky', 'my-key')), 'reserved', 'the retry with the key buys');
  });

  it('one outage failing many buyers at once (a failed batch of reservations) gives each buyer their own key', async () => {
    const id = await newSale({ total: 5 });
    // The same error object for every reservation, as the Redis ledger's batcher rejects a whole batch.
    const shared = new LedgerUnavailableError('the batch was cut');
    const ledger = new Proxy(embedded, {
      get(target, key, receiver) {
        const value = Reflect.get(target, key, receiver);
        if (key === 'reserve') return () => Promise.reject(shared);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    }) as Ledger;
    const k = keeper(ledger, 0);
    const errors = await Promise.all(['ann', 'ben', 'cat'].map((buyer, i) => k.purchase(id, buyer, `key-${i}`).then(() => null, (error: LedgerUnavailableError) => error)));
    errors.forEach((error, i) => {
      assert.deepEqual(error!.headers, { 'idempotency-key': `key-${i}` });
      assert.ok(error!.message.endsWith(`the batch was cut; retry with the header Idempotency-Key: key-${i}`), error!.message);
    });
    assert.equal(shared.headers, undefined, 'the shared error is left as it was');
  });

  it('a sale the ledger no longer knows drops its gate', async () => {
    const id = await newSale({ total: 5 });
    const k = keeper(embedded, 0);
    await k.sales.get(id);
    assert.equal(kind(await k.purchase(id, 'a')), 'reserved');
    // Cached here, deleted in the ledger (it had no order when deleted): the reservation finds no sale.
    const orderless = await newSale({ total: 5 });
    await k.sales.get(orderless);
    assert.equal((await embedded.deleteSale(orderless)).kind, 'deleted');
    assert.equal(kind(await k.purchase(orderless, 'a')), 'not_found');
    assert.equal(k.allowanceStats()[orderless], undefined);
    assert.ok(k.allowanceStats()[id], 'other sales keep theirs');
  });
});
