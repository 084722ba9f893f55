// bench:front's table: spike's ratios are to the mean of the Go service's runs
// (measured before spike's cells and after them), and both runs are shown;
// CPU per connection compares server plus Redis against Go's the same way.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { renderFront, type FrontCell } from '../../../bench/front-bench';

const cell = (target: string, workers: number, rps: number, note?: string, cpu?: { serverUs: number; redisUs: number }): FrontCell => ({
  target,
  workers,
  load: 'ab',
  rps,
  requests: 10_000,
  failed: 0,
  primaryUs: null,
  ...(cpu ?? {}),
  ...(note ? { note } : {}),
});

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

it("sets spike's server and Redis CPU per connection against the mean of Go's, and leaves it out where a figure is missing", () => {
  const table = renderFront({
    seedPeer: 'measured',
    cells: [
      cell('go-seed', 0, 10_000, 'before spike', { serverUs: 50, redisUs: 0.5 }),
      cell('handoff', 2, 6_000, undefined, { serverUs: 95, redisUs: 5 }),
      cell('proxy', 2, 4_000),
      cell('go-seed', 0, 14_000, 'after spike', { serverUs: 49, redisUs: 0.5 }),
    ],
  });
  const row = (target: string) => table.split('\n').find((line) => line.startsWith(target))!;
  // (95 + 5) / mean(50.5, 49.5) = 2.00; the columns: server µs, Redis µs, CPU ÷ Go, × Go, × proxy.
  assert.match(row('handoff'), /95\.0 +5\.0 +2\.00 +0\.50 +1\.50/);
  assert.match(row('proxy'), /— +— +— +0\.33 +1\.00/);
  assert.match(table, /CPU ÷ Go: server \+ Redis against the Go service's mean/);
});
