// bench:front's table: spike's ratios are to the mean of the Go service's runs
// (measured before spike's cells and after them), and both runs are shown.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { renderFront, type FrontCell } from '../../../bench/front-bench';

const cell = (target: string, workers: number, rps: number, note?: string): FrontCell => ({ target, workers, load: 'ab', rps, requests: 10_000, failed: 0, primaryUs: null, ...(note ? { note } : {}) });

it('takes the ratio to Go against the mean of its runs before and after spike, and prints both runs', () => {
  const table = renderFront({
    seedPeer: 'measured',
    cells: [cell('go-seed', 0, 10_000, 'before spike'), cell('handoff', 2, 6_000), cell('proxy', 2, 4_000), cell('go-seed', 0, 14_000, 'after spike')],
  });
  const row = (target: string) => table.split('\n').filter((line) => line.startsWith(target));
  assert.match(row('handoff')[0]!, /6,000 .* 0\.50 +1\.50/);
  assert.match(row('proxy')[0]!, / 0\.33 +1\.00/);
  assert.equal(row('go-seed').length, 2);
  assert.match(row('go-seed')[0]!, /10,000 .* 0\.83 .*\(before spike\)/);
  assert.match(row('go-seed')[1]!, /14,000 .* 1\.17 .*\(after spike\)/);
});
