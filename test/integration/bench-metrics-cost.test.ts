// The bench's metrics-cost phase on real servers: METRICS=on and off rounds
// interleaved, each answering the sold-out refusal, and a ratio in the report.
// (Its target is judged on a full `npm run bench`, not on 1-second rounds here.)
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runMetricsCost } from '../../bench/metrics-cost';
import { WrkGenerator } from '../../bench/load/wrk-generator';
import { renderMetricsCost } from '../../bench/report';
import { loadBenchSettings } from '../../bench/settings';

test('metrics cost: interleaved METRICS=on and off rounds on the sold-out refusal, with their ratio', { timeout: 110_000 }, async () => {
  const settings = loadBenchSettings({ BENCH_METRICS_COST_SECONDS: '1', BENCH_CONNECTIONS: '20', BENCH_MICRO: '0' });
  const lines: string[] = [];
  const cost = await runMetricsCost(settings, new WrkGenerator(), (line) => lines.push(line));
  assert.equal(cost.error, undefined, lines.join('\n'));
  assert.deepEqual(cost.rounds.map((r) => r.metrics), ['on', 'off', 'off', 'on', 'on', 'off']);
  for (const round of cost.rounds) assert.ok(round.rps > 0 && round.refusals > 0, JSON.stringify(round));
  assert.ok(cost.bestRatio > 0 && cost.ratio > 0);
  assert.equal(cost.ok, cost.bestRatio >= 0.95);
  const report = renderMetricsCost(cost).join('\n');
  assert.match(report, /metrics cost on the sold-out refusal .*best rounds: METRICS=on [\d,]+ req\/s, METRICS=off [\d,]+ req\/s: ratio \d\.\d{3}/s);
});
