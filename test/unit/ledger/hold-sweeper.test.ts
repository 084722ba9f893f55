// The hold sweeper's cost per tick follows the sales with due holds, not the
// number of sales: a ledger stand-in counts what it is asked.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HoldSweeper } from '../../../src/ledger/hold-sweeper';
import type { Ledger } from '../../../src/ledger';

function countingLedger(sales: number, due: string[]) {
  const calls = { expireHolds: [] as string[], dueSales: 0, saleIds: 0 };
  const ledger = {
    saleIds: async () => {
      calls.saleIds++;
      return Array.from({ length: sales }, (_, i) => `s${i}`);
    },
    dueSales: async () => {
      calls.dueSales++;
      return due;
    },
    expireHolds: async (saleId: string) => {
      calls.expireHolds.push(saleId);
      return 0;
    },
  } as unknown as Ledger;
  return { ledger, calls };
}

describe('hold sweeper', () => {
  it('visits only the sales the ledger lists as due, whatever the number of sales; every sale only on a full pass', async () => {
    const { ledger, calls } = countingLedger(10_000, ['s7', 's42']);
    const sweeper = new HoldSweeper(ledger, { intervalMs: 250, batch: 500, fullPassMs: 30_000, warn: () => {} });
    const t0 = 1_000_000;
    await sweeper.sweep(t0);
    assert.equal(calls.saleIds, 1, 'the first sweep is a full pass');
    assert.equal(calls.expireHolds.length, 10_000);
    calls.expireHolds.length = 0;
    for (let tick = 1; tick <= 100; tick++) await sweeper.sweep(t0 + tick * 250);
    assert.equal(calls.saleIds, 1, 'no full pass within fullPassMs');
    assert.equal(calls.dueSales, 100);
    assert.equal(calls.expireHolds.length, 200, 'two due sales per tick, not 10,000');
    await sweeper.sweep(t0 + 30_000);
    assert.equal(calls.saleIds, 2, 'a full pass every fullPassMs');
  });
});
