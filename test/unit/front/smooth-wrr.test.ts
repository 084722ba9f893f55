import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SmoothWeightedRoundRobin } from '../../../src/front/smooth-wrr';

function peers(weights: number[]) {
  return weights.map((weight, i) => ({ name: String.fromCharCode(97 + i), weight, available: true }));
}

describe('smooth weighted round-robin', () => {
  it("weights 5,1,1 give nginx's a a b a c a a", () => {
    const wrr = new SmoothWeightedRoundRobin(peers([5, 1, 1]));
    const picks = Array.from({ length: 7 }, () => wrr.pick()!.name).join('');
    assert.equal(picks, 'aabacaa');
  });

  it('weights 1,2,3,4 over 1000 picks give exactly 100/200/300/400', () => {
    const wrr = new SmoothWeightedRoundRobin(peers([1, 2, 3, 4]));
    const counts: Record<string, number> = {};
    for (let i = 0; i < 1000; i++) {
      const name = wrr.pick()!.name;
      counts[name] = (counts[name] ?? 0) + 1;
    }
    assert.deepEqual(counts, { a: 100, b: 200, c: 300, d: 400 });
  });

  it('skips an unavailable peer and shares its turns among the others by weight', () => {
    const list = peers([1, 2, 3, 4]);
    const wrr = new SmoothWeightedRoundRobin(list);
    list[3]!.available = false;
    const counts: Record<string, number> = {};
    for (let i = 0; i < 600; i++) {
      const name = wrr.pick()!.name;
      counts[name] = (counts[name] ?? 0) + 1;
    }
    assert.deepEqual(counts, { a: 100, b: 200, c: 300 });
  });

  it('returns undefined when no peer is available', () => {
    const list = peers([1, 1]);
    const wrr = new SmoothWeightedRoundRobin(list);
    for (const peer of list) peer.available = false;
    assert.equal(wrr.pick(), undefined);
  });

  it('pickExcept skips the peers already tried, even the heaviest, and gives up when all were', () => {
    const list = peers([5, 1, 1]);
    const wrr = new SmoothWeightedRoundRobin(list);
    const tried = new Set([list[0]!]);
    for (let i = 0; i < 20; i++) assert.notEqual(wrr.pickExcept(tried), list[0]);
    assert.equal(wrr.pickExcept(new Set(list)), undefined);
    assert.equal(wrr.pickExcept(undefined) !== undefined, true);
  });

  it('rejects a weight that is not a positive integer', () => {
    assert.throws(() => new SmoothWeightedRoundRobin(peers([1, 0])), /positive integer/);
  });
});
