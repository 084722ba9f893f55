// A train and a route as a client sends them: every field checked, table-driven.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SpikeError } from '../../../src/errors/errors';
import { seatLabel } from '../../../src/ledger';
import { parseRoute, parseTrainSpec } from '../../../src/trains/train-input';

const NOW = Date.parse('2030-01-01T00:00:00Z');
const good = { id: 'G1', stations: ['A', 'B', 'C'], seats: 10 };

describe('train input', () => {
  it('fills the defaults of a minimal train', () => {
    assert.deepEqual(parseTrainSpec(good, NOW), { id: 'G1', name: 'G1', stations: ['A', 'B', 'C'], seats: 10, perUserLimit: 1, holdSeconds: 900, opensAt: null, closesAt: null, seatChoice: 'best-fit' });
  });

  const refused: Array<[string, Record<string, unknown>, RegExp]> = [
    ['one station', { ...good, stations: ['A'] }, /stations must be an array of 2-50/],
    ['51 stations', { ...good, stations: Array.from({ length: 51 }, (_, i) => `S${i}`) }, /stations must be/],
    ['a repeated station', { ...good, stations: ['A', 'B', 'A'] }, /distinct/],
    ['a station with a space', { ...good, stations: ['A', 'B C'] }, /stations must be/],
    ['a number for a station', { ...good, stations: ['A', 2] }, /stations must be/],
    ['no seats', { ...good, seats: 0 }, /seats must be an integer from 1 to 100000/],
    ['fractional seats', { ...good, seats: 1.5 }, /seats must be/],
    ['seats as text', { ...good, seats: '10' }, /seats must be/],
    ['an unknown seat choice', { ...good, seatChoice: 'random' }, /seatChoice must be "best-fit" or "first-fit"/],
    ['a quota past the last seat', { ...good, quotas: [{ firstSeat: 8, seats: 3, minSegments: 2, releaseAt: NOW + 1000 }] }, /quotas\[0\]\.seats must be an integer from 1 to 2/],
    ['a quota closing nothing', { ...good, quotas: [{ firstSeat: 0, seats: 3, minSegments: 1, releaseAt: NOW + 1000 }] }, /quotas\[0\]\.minSegments must be an integer from 2/],
    ['a quota without releaseAt', { ...good, quotas: [{ firstSeat: 0, seats: 3, minSegments: 2 }] }, /quotas\[0\]\.releaseAt/],
    ['a quota with an unknown field', { ...good, quotas: [{ firstSeat: 0, seats: 3, minSegments: 2, releaseAt: NOW, until: 1 }] }, /unknown field "until"/],
    ['quotas not an array', { ...good, quotas: {} }, /quotas must be an array/],
    ['a misspelled field', { ...good, perUserLimt: 2 }, /did you mean perUserLimit/],
    ['closesAt before opensAt', { ...good, opensAt: NOW + 2000, closesAt: NOW + 1000 }, /closesAt must be later than opensAt/],
  ];
  for (const [what, body, message] of refused) {
    it(`refuses ${what}`, () => {
      assert.throws(() => parseTrainSpec(body, NOW), (error: unknown) => error instanceof SpikeError && error.status === 400 && message.test(error.message));
    });
  }

  it('reads quotas, times as for a sale', () => {
    const spec = parseTrainSpec({ ...good, quotas: [{ firstSeat: 6, seats: 4, minSegments: 2, releaseAt: '2030-01-02T00:00:00Z' }] }, NOW);
    assert.deepEqual(spec.quotas, [{ firstSeat: 6, seats: 4, minSegments: 2, releaseAt: Date.parse('2030-01-02T00:00:00Z') }]);
  });

  it('reads a route by station names, from before to; anything else is a bad route', () => {
    assert.deepEqual(parseRoute('G1', { stations: ['A', 'B', 'C'] }, 'A', 'C'), { from: 0, to: 2 });
    for (const [from, to] of [['C', 'A'], ['B', 'B'], ['A', 'Z'], [1, 'B']] as const) {
      assert.throws(() => parseRoute('G1', { stations: ['A', 'B', 'C'] }, from, to), (error: unknown) => error instanceof SpikeError && error.code === 'bad_route');
    }
  });

  it('labels a seat index with its coach and number, 100 seats to a coach', () => {
    assert.deepEqual(seatLabel(0), { index: 0, coach: 1, number: 1 });
    assert.deepEqual(seatLabel(99), { index: 99, coach: 1, number: 100 });
    assert.deepEqual(seatLabel(100), { index: 100, coach: 2, number: 1 });
  });
});
