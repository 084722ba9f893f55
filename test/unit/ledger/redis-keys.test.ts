import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { saleKeys, tripSegmentKeys } from '../../../src/ledger/redis/keys';

describe('tripSegmentKeys', () => {
  const sale = saleKeys('spike', 'G1234').sale;

  it('names the trip segments and the segment before it, in order, under the sale hash tag', () => {
    assert.deepEqual(tripSegmentKeys(sale, 2, 4), [`${sale}:seg:1`, `${sale}:seg:2`, `${sale}:seg:3`, `${sale}:seg:4`]);
    assert.ok(tripSegmentKeys(sale, 2, 4).every((key) => key.startsWith('spike:{G1234}:')));
  });

  it('starts at the first segment for a trip from the first station (no segment before it)', () => {
    assert.deepEqual(tripSegmentKeys(sale, 0, 1), [`${sale}:seg:0`, `${sale}:seg:1`]);
  });

  it('names no key for a route no train can have, so the script answers bad_route', () => {
    for (const [from, to] of [[3, 3], [4, 2], [-1, 2], [0, 1.5], [0, 5000], [Number.NaN, 2]] as const) assert.deepEqual(tripSegmentKeys(sale, from, to), []);
  });
});
