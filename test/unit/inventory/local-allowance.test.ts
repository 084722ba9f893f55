import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LocalAllowance, weightedShare } from '../../../src/inventory/local-allowance';

describe('local allowance', () => {
  it('shares stock by weight, rounding up so no ticket is stranded', () => {
    assert.deepEqual([1, 2, 3, 4].map((w) => weightedShare(500, w, 10)), [50, 100, 150, 200]);
    assert.deepEqual([1, 1, 1].map((w) => weightedShare(10, w, 3)), [4, 4, 4]);
    assert.equal(weightedShare(0, 1, 4), 0);
  });

  it('takes exactly its units, then refuses without I/O', () => {
    const allowance = new LocalAllowance(3);
    assert.deepEqual([1, 2, 3, 4].map(() => allowance.take()), [true, true, true, false]);
    allowance.giveBack();
    assert.equal(allowance.take(), true);
    assert.equal(allowance.take(), false);
  });

  it('refuses while marked sold out, and sells again once stock returns', () => {
    const allowance = new LocalAllowance(5);
    allowance.markSoldOut(1000);
    assert.equal(allowance.take(), false);
    assert.equal(allowance.soldOutFor(1500), 500);
    allowance.clearSoldOut();
    assert.equal(allowance.take(), true);
    assert.equal(allowance.soldOutFor(2000), 0);
  });

  it('counts extensions for the ledger-call audit', () => {
    const allowance = new LocalAllowance(0);
    allowance.extend(7);
    allowance.extend(3);
    assert.equal(allowance.available, 10);
    assert.equal(allowance.extensions, 2);
    assert.equal(allowance.extendedUnits, 10);
  });
});
