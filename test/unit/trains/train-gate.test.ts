// The worker's train gate without a server: the per-segment allowance, what a
// refusal teaches it, and release events clearing exactly the overlapping marks.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SOLD_OUT_RECHECK_MS } from '../../../src/inventory/stock-gate';
import { TrainGate, MAX_SOLD_OUT_TRUST_MS } from '../../../src/trains/train-gate';

const NOW = 1_800_000_000_000;
const share = { weight: 1, totalWeight: 2, localBuffer: 1, allowanceRefreshMs: 0 };
const noRead = async () => {
  throw new Error('no ledger read expected');
};

describe('train gate', () => {
  it('gives each segment the weighted share of the seats plus the buffer, and a purchase takes one from each segment of its trip', async () => {
    const gate = new TrainGate(10, 4, share);
    assert.equal(gate.unitsOn(0), 6);
    assert.equal(await gate.take(1, 3, NOW, noRead), true);
    assert.deepEqual([0, 1, 2, 3].map((s) => gate.unitsOn(s)), [6, 5, 5, 6]);
    gate.giveBack(1, 3);
    assert.deepEqual([0, 1, 2, 3].map((s) => gate.unitsOn(s)), [6, 6, 6, 6]);
  });

  it('a full segment named by the ledger refuses every trip over it, and no other', async () => {
    const gate = new TrainGate(10, 5, share);
    assert.equal(await gate.take(0, 3, NOW, noRead), true);
    gate.refused(0, 3, 0b010, NOW);
    assert.equal(gate.knownSoldOut(1, 2, NOW), true);
    assert.equal(gate.knownSoldOut(0, 5, NOW), true);
    assert.equal(gate.knownSoldOut(0, 1, NOW), false);
    assert.equal(gate.knownSoldOut(2, 5, NOW), false);
    assert.equal(await gate.take(1, 2, NOW, noRead), false);
    assert.equal(gate.unitsOn(0), 6, 'the refused trip gave its units back');
  });

  it('a trip refused by fragmentation refuses the trips containing it, not the ones inside it', () => {
    const gate = new TrainGate(10, 5, share);
    gate.refused(1, 3, 0, NOW);
    assert.equal(gate.knownSoldOut(1, 3, NOW), true);
    assert.equal(gate.knownSoldOut(0, 4, NOW), true);
    assert.equal(gate.knownSoldOut(1, 2, NOW), false);
    assert.equal(gate.knownSoldOut(2, 4, NOW), false);
  });

  it('a sale that leaves no seat for its trip marks the trip', () => {
    const gate = new TrainGate(10, 5, share);
    gate.sold(2, 4, 3, 0, NOW);
    assert.equal(gate.knownSoldOut(2, 4, NOW), false);
    gate.sold(2, 4, 0, 0, NOW);
    assert.equal(gate.knownSoldOut(2, 4, NOW), true);
    assert.equal(gate.knownSoldOut(2, 3, NOW), false);
    // The sale filled segment 3: every trip over it is refused here, none else.
    gate.sold(3, 5, 0, 0b01, NOW);
    assert.equal(gate.knownSoldOut(3, 4, NOW), true);
    assert.equal(gate.knownSoldOut(4, 5, NOW), false);
  });

  it('a release clears the marks over its range only; one without a range clears all', () => {
    const gate = new TrainGate(10, 6, share);
    gate.refused(0, 2, 0, NOW);
    gate.refused(4, 6, 0, NOW);
    gate.refused(2, 3, 0b1, NOW);
    gate.released(1, 3);
    assert.equal(gate.knownSoldOut(0, 2, NOW), false);
    assert.equal(gate.knownSoldOut(2, 3, NOW), false);
    assert.equal(gate.knownSoldOut(4, 6, NOW), true);
    gate.released();
    assert.equal(gate.knownSoldOut(4, 6, NOW), false);
  });

  it('with a quota, a refused short trip does not refuse a longer one the quota is open to', () => {
    const gate = new TrainGate(10, 5, share);
    const quotas = [{ minSegments: 3, releaseAt: NOW + 1000 }];
    gate.refused(1, 2, 0, NOW);
    assert.equal(gate.knownSoldOut(0, 2, NOW, quotas), true, 'both shorter than 3: the same quota closed to both');
    assert.equal(gate.knownSoldOut(0, 3, NOW, quotas), false, 'the quota is open to 3 segments');
    assert.equal(gate.knownSoldOut(0, 3, NOW), true, 'without quotas containment holds');
  });

  it("a quota's release clears the marks once", () => {
    const gate = new TrainGate(10, 3, share);
    gate.refused(0, 1, 0, NOW);
    const quotas = [{ releaseAt: NOW + 500 }];
    assert.equal(gate.passedQuotaRelease(quotas, NOW), false);
    assert.equal(gate.passedQuotaRelease(quotas, NOW + 500), true);
    assert.equal(gate.passedQuotaRelease(quotas, NOW + 600), false);
  });

  it('a mark is trusted for the recheck time, doubling each time the ledger confirms it, up to the cap', () => {
    const gate = new TrainGate(10, 3, share);
    gate.refused(0, 3, 0, NOW);
    assert.equal(gate.knownSoldOut(0, 3, NOW + SOLD_OUT_RECHECK_MS - 1), true);
    assert.equal(gate.knownSoldOut(0, 3, NOW + SOLD_OUT_RECHECK_MS), false);
    let at = NOW + SOLD_OUT_RECHECK_MS;
    let trust = SOLD_OUT_RECHECK_MS;
    for (let i = 0; i < 8; i++) {
      gate.refused(0, 3, 0, at);
      trust = Math.min(trust * 2, MAX_SOLD_OUT_TRUST_MS);
      assert.equal(gate.knownSoldOut(0, 3, at + trust - 1), true);
      assert.equal(gate.knownSoldOut(0, 3, at + trust), false);
      at += trust;
    }
    assert.equal(trust, MAX_SOLD_OUT_TRUST_MS);
  });

  it('a dry segment has every segment re-read in one call for every waiter: free seats extend the dry ones, none marks them full', async () => {
    const gate = new TrainGate(2, 3, { ...share, localBuffer: 0 });
    assert.equal(gate.unitsOn(0), 1);
    assert.equal(await gate.take(0, 1, NOW, noRead), true);
    let reads = 0;
    const read = async () => {
      reads++;
      return [1, 0, 2];
    };
    const [a, b] = await Promise.all([gate.take(0, 1, NOW, read), gate.take(0, 1, NOW, read)]);
    assert.equal(reads, 1);
    assert.deepEqual([a, b].sort(), [false, true]);
    assert.equal(gate.extensions, 1, 'only the dry segment was extended');
    assert.equal(gate.unitsOn(2), 1, 'a segment with units keeps them');
    const now = Date.now();
    assert.equal(gate.knownSoldOut(1, 2, now), true, 'the read found segment 1 full');
    assert.equal(gate.knownSoldOut(2, 3, now), false);
  });
});
