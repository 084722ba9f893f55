// The plain-number tallies and the Prometheus series they turn into.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { LatencyTally, LATENCY_BUCKETS, OUTCOME, outcomeIndex, PURCHASE_OUTCOMES } from '../../../src/metrics/tallies';
import { histogramValues, registerTallyHistogram } from '../../../src/metrics/tally-histogram';
import { parseMetrics } from '../../helpers/metrics';
import { WorkerMetrics } from '../../../src/metrics/worker-metrics';

describe('tallies', () => {
  it('counts each reserve outcome kind in its own slot, and no slot for not_found', () => {
    for (const kind of PURCHASE_OUTCOMES) assert.equal(outcomeIndex(kind), OUTCOME[kind]);
    assert.equal(outcomeIndex('not_found'), undefined);
    assert.equal(outcomeIndex('toString'), undefined);
  });

  it('puts a value in the first bucket whose bound is at or above it, as Prometheus does (le)', () => {
    const tally = new LatencyTally();
    tally.observe(0.0001); // exactly the first bound
    tally.observe(0.003);
    tally.observe(100); // above every bound: +Inf only
    const values = histogramValues('x', { route: 'r' }, tally);
    const bucket = (le: string) => values.find((v) => v.metricName === 'x_bucket' && v.labels.le === le)!.value;
    assert.equal(bucket('0.0001'), 1);
    assert.equal(bucket('0.0025'), 1);
    assert.equal(bucket('0.005'), 2);
    assert.equal(bucket(String(LATENCY_BUCKETS.at(-1))), 2);
    assert.equal(bucket('+Inf'), 3);
    assert.equal(values.find((v) => v.metricName === 'x_count')!.value, 3);
  });

  it('reads as a Prometheus histogram through a real registry and parser', async () => {
    const registry = new Registry();
    const tally = new LatencyTally([1, 2]);
    tally.observe(1.5);
    registerTallyHistogram(registry, 'spike_test_seconds', 'a test', () => [[{ command: 'c' }, tally] as const]);
    const family = parseMetrics(await registry.metrics()).get('spike_test_seconds')!;
    assert.equal(family.type, 'HISTOGRAM');
    assert.deepEqual(family.metrics[0]!.buckets, { '1': '0', '2': '1', '+Inf': '1' });
    assert.match(await registry.metrics(), /^spike_test_seconds_sum\{command="c"\} 1\.5$/m);
  });

  it("forgets a warm-up's counts in place, so rows and routes the hot paths kept count on from zero", async () => {
    const metrics = new WorkerMetrics({ worker: 0, ledgerKind: 'redis', requests: () => 0, allowances: () => ({}) });
    const route = metrics.http.route('POST /api/sales/:id/purchases');
    const row = metrics.purchases.row('s1');
    const call = metrics.ledger.command('getSale');
    route.answered(404, 0.001);
    row[OUTCOME.sold_out]!++;
    call.observe(0.002);
    metrics.ledger.error('unavailable');
    metrics.forgetTraffic();
    assert.equal(route.statuses[404], 0);
    assert.equal(route.latency.count, 0);
    assert.equal(route.latency.sum, 0);
    assert.equal(row[OUTCOME.sold_out], 0);
    assert.equal(call.count, 0);
    assert.equal(metrics.ledger.errors.size, 0);
    // The kept objects still count, and the registry reads them.
    route.answered(201, 0.001);
    const text = await metrics.registry.metrics();
    assert.match(text, /^spike_http_requests_total\{[^}]*status="201"[^}]*\} 1$/m);
    assert.doesNotMatch(text, /^spike_http_requests_total\{[^}]*status="404"[^}]*\} [1-9]/m);
  });
});
