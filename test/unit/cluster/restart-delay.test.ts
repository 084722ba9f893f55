// The supervisor's restart backoff: quick at first, doubling, capped.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { restartDelayMs } from '../../../src/cluster/supervisor';

it('waits 100 ms after a first crash, doubles per crash in the window, and never more than 5 s', () => {
  assert.deepEqual([1, 2, 3, 4, 5, 6, 7, 10].map(restartDelayMs), [100, 200, 400, 800, 1600, 3200, 5000, 5000]);
});
