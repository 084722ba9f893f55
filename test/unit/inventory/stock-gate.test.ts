// One sale's gate in a worker: the weighted share it starts with, how long it
// trusts a sold-out mark, and the refill from the ledger's remaining when the
// allowance runs dry (spaced, shared, and renewing the mark).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SaleDirectory } from '../../../src/inventory/sale-directory';
import { SOLD_OUT_RECHECK_MS, StockGate, type GateShare } from '../../../src/inventory/stock-gate';
import type { Ledger, Sale } from '../../../src/ledger';

function sale(total: number, sold: number): Sale {
  return { id: 's', name: 's', total, perUserLimit: 1, holdSeconds: 0, opensAt: null, closesAt: null, anonymous: false, maxCancelsPerBuyer: 3, sold, paid: sold, createdAt: 0 };
}

/** A directory over a ledger whose one sale the test sets; reads are counted. */
function directoryOf(current: { sale: Sale | null }) {
  const reads = { count: 0 };
  const ledger = {
    async getSale(): Promise<Sale | null> {
      reads.count++;
      return current.sale;
    },
  } as unknown as Ledger;
  return { sales: new SaleDirectory(ledger, 60_000), reads };
}

const share = (overrides: Partial<GateShare> = {}): GateShare => ({ weight: 1, totalWeight: 2, localBuffer: 2, allowanceRefreshMs: 0, ...overrides });

describe('stock gate', () => {
  it("starts with the worker's weighted share of the remaining plus the buffer, never more than the remaining", () => {
    assert.equal(new StockGate(sale(10, 0), share()).allowance.available, 7, 'ceil(10 * 1/2) + 2');
    assert.equal(new StockGate(sale(10, 6), share()).allowance.available, 4, 'min(4, 2 + 2)');
    assert.equal(new StockGate(sale(10, 9), share({ weight: 3, totalWeight: 4 })).allowance.available, 1, 'never above the remaining');
    const open = new StockGate(sale(10, 0), share());
    assert.equal(open.allowance.soldOut, false);
  });

  it('a sale sold out when the gate is made is marked so at once, and the mark is trusted for SOLD_OUT_RECHECK_MS, not a millisecond more', () => {
    const before = Date.now();
    const gate = new StockGate(sale(5, 5), share());
    const after = Date.now();
    assert.equal(gate.allowance.soldOut, true);
    assert.equal(gate.allowance.available, 0);
    assert.equal(gate.trustsSoldOut(after), true);
    assert.equal(gate.trustsSoldOut(before + SOLD_OUT_RECHECK_MS - 1), true);
    assert.equal(gate.trustsSoldOut(after + SOLD_OUT_RECHECK_MS), false);
    assert.equal(new StockGate(sale(5, 4), share()).trustsSoldOut(after), false, 'a sale with stock is not trusted sold out');
  });

  it('takes units without the ledger while they last, then refills once from the remaining', async () => {
    const current = { sale: sale(10, 0) as Sale | null };
    const { sales, reads } = directoryOf(current);
    const gate = new StockGate(sale(10, 0), share({ localBuffer: 0 }));
    for (let i = 0; i < 5; i++) assert.equal(await gate.take(sales, 's', Date.now()), true);
    assert.equal(reads.count, 0, 'the share costs no read');
    // Another worker sold 2 meanwhile: 3 remain, of which this worker's share is ceil(3/2) = 2.
    current.sale = sale(10, 7);
    assert.equal(await gate.take(sales, 's', Date.now()), true);
    assert.equal(reads.count, 1);
    assert.equal(gate.allowance.available, 1);
    assert.equal(gate.allowance.extensions, 1);
    assert.equal(gate.allowance.extendedUnits, 2);
  });

  it('a refill that finds nothing left marks the gate sold out; a trusted mark is not re-read', async () => {
    const current = { sale: sale(4, 4) as Sale | null };
    const { sales, reads } = directoryOf(current);
    const gate = new StockGate(sale(4, 2), share({ localBuffer: 0, weight: 1, totalWeight: 2 }));
    assert.equal(await gate.take(sales, 's', Date.now()), true);
    assert.equal(await gate.take(sales, 's', Date.now()), false);
    assert.equal(reads.count, 1);
    assert.equal(gate.allowance.soldOut, true);
    assert.equal(await gate.take(sales, 's', Date.now()), false);
    assert.equal(reads.count, 1, 'within SOLD_OUT_RECHECK_MS the mark is trusted');
    // Past the window, one re-read: stock came back.
    current.sale = sale(4, 3);
    assert.equal(await gate.take(sales, 's', Date.now() + SOLD_OUT_RECHECK_MS), true);
    assert.equal(reads.count, 2);
    assert.equal(gate.allowance.soldOut, false);
  });

  it('a refill renews the sold-out mark from what the ledger just said', async () => {
    const current = { sale: sale(3, 3) as Sale | null };
    const { sales } = directoryOf(current);
    const gate = new StockGate(sale(3, 3), share());
    // A mark made long ago: no longer trusted, so the next take re-reads.
    gate.allowance.clearSoldOut();
    gate.allowance.markSoldOut(Date.now() - 5 * SOLD_OUT_RECHECK_MS);
    assert.equal(gate.trustsSoldOut(Date.now()), false);
    assert.equal(await gate.take(sales, 's', Date.now()), false);
    assert.equal(gate.allowance.soldOut, true);
    assert.equal(gate.trustsSoldOut(Date.now()), true, 'marked afresh, not kept from before');
  });

  it('refills of one gate are spaced allowanceRefreshMs apart and shared by the requests waiting', async () => {
    const current = { sale: sale(100, 100) as Sale | null };
    const { sales, reads } = directoryOf(current);
    const gate = new StockGate(sale(100, 99), share({ localBuffer: 0, allowanceRefreshMs: 150 }));
    const started = Date.now();
    assert.equal(await gate.take(sales, 's', Date.now()), true);
    const waiting = await Promise.all(Array.from({ length: 5 }, () => gate.take(sales, 's', Date.now() + SOLD_OUT_RECHECK_MS)));
    assert.deepEqual(waiting, [false, false, false, false, false]);
    assert.equal(reads.count, 1, 'one read served every waiting request');
    assert.ok(Date.now() - started >= 140, `the read waited for the refresh spacing (${Date.now() - started} ms)`);
  });

  it('a refill for a sale the ledger no longer has leaves the allowance dry', async () => {
    const current = { sale: null as Sale | null };
    const { sales } = directoryOf(current);
    const gate = new StockGate(sale(2, 1), share({ localBuffer: 0 }));
    assert.equal(await gate.take(sales, 's', Date.now()), true);
    assert.equal(await gate.take(sales, 's', Date.now()), false);
    assert.equal(gate.allowance.soldOut, false);
  });

  it('follow: a changed sale resizes the allowance to the new share and renews the sold-out mark', () => {
    const gate = new StockGate(sale(4, 4), share({ localBuffer: 0 }));
    gate.nextReleaseAt = 123;
    gate.follow(sale(10, 4));
    assert.equal(gate.allowance.soldOut, false);
    assert.equal(gate.allowance.available, 3);
    assert.equal(gate.nextReleaseAt, 0);
    gate.follow(sale(4, 4));
    assert.equal(gate.allowance.soldOut, true);
    assert.equal(gate.allowance.available, 0);
  });
});
