// The bench's own honesty: where an ad-hoc run writes, which Redis it counts
// on, what it names when it fails, and what its chart says of a failed cell.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { renderChart } from '../../../bench/chart';
import type { LoadSummary } from '../../../bench/load/phase';
import { renderReport, runFailures, type BenchResults } from '../../../bench/report';
import { steadySellingRate } from '../../../bench/selling-cell';
import { loadBenchSettings } from '../../../bench/settings';
import { scriptCostTarget, trainVerdicts, type TrainCellResult, type TrainVariantResult } from '../../../bench/train-cell';
import type { CellResult } from '../../../bench/spike-cell';

const env = { BENCH_GENERATOR: 'autocannon' };

function load(loadMs: number): LoadSummary {
  return {
    slices: 1, sent: 1000, repeats: 0, responses: 1000, abandoned: 0, loadMs, wallMs: loadMs, rps: 1000 / (loadMs / 1000),
    statuses: { '201': 100, '409': 900 }, errors: { connect: 0, read: 0, write: 0, timeout: 0 },
    latencyUs: { p50: 900, p90: 1500, p99: 4200, max: 9000, mean: 1000 }, generatorCpuMs: 10,
  };
}

function cell(overrides: Partial<CellResult> = {}): CellResult {
  return {
    cell: 'proxy:redis', balancer: 'proxy', ledger: 'redis', status: 'ok', ledgerDescription: 'Redis', workers: 2, weights: [1, 1], localBuffer: 2, stoppedBy: 'every buyer sent',
    load: load(5000), answers: { bought: 100, soldOut: 900, failed: 0, failedStatuses: {} },
    series: [{ t: 0.5, rps: 1000, p99Ms: 4.2, phase: 'selling' }],
    audit: { source: 'redis', ok: true, sold: 100, total: 100, orders: 100, buyers: 100, oversell: 0, undersell: 0, duplicateBuyers: 0, checks: [] } as unknown as CellResult['audit'],
    ledgerCalls: { source: 'INFO commandstats', calls: 104, bound: 106, ok: true, tickets: 100, workers: 2, localBuffer: 2, roundingUnits: 2, extendedUnits: 0, extensions: 0, repeats: 0 } as unknown as CellResult['ledgerCalls'],
    ...overrides,
  };
}

function results(cells: CellResult[]): BenchResults {
  const settings = loadBenchSettings(env);
  return {
    startedAt: '2026-12-06T00:00:00.000Z', durationSeconds: 10,
    machine: { cpu: 'test', cores: 2, memoryGb: 24, os: 'Linux', node: process.version, redis: '7.0.15' },
    settings, generator: 'autocannon', baseline: { status: 'failed', error: 'skipped' }, cells, micro: null, ok: false,
  };
}

describe('bench settings', () => {
  it('start a private redis-server unless BENCH_REDIS_URL names one, and never read the server\'s REDIS_URL', () => {
    assert.equal(loadBenchSettings({ ...env, REDIS_URL: 'redis://127.0.0.1:6379' }).privateRedis, true);
    const named = loadBenchSettings({ ...env, BENCH_REDIS_URL: 'redis://127.0.0.1:6380' });
    assert.deepEqual([named.privateRedis, named.redisUrl], [false, 'redis://127.0.0.1:6380']);
    assert.throws(() => loadBenchSettings({ ...env, BENCH_REDIS_URL: 'redis://10.0.0.5:6379' }), /BENCH_REDIS_URL.*loopback/);
  });

  it('write an ad-hoc run under bench/results/unsaved, the committed bench/results only with BENCH_SAVE=1', () => {
    const adHoc = loadBenchSettings(env).resultsDir;
    const saved = loadBenchSettings({ ...env, BENCH_SAVE: '1' }).resultsDir;
    assert.equal(adHoc, join(saved, 'unsaved'));
    assert.match(saved, /bench[/\\]results$/);
    assert.equal(loadBenchSettings({ ...env, BENCH_SAVE: '1', BENCH_RESULTS_DIR: '/tmp/x' }).resultsDir, '/tmp/x');
    assert.throws(() => loadBenchSettings({ ...env, BENCH_SAVE: 'yes' }), /BENCH_SAVE/);
  });
});

describe('bench verdicts', () => {
  it('name the ledger-call bound, not the audit, when only the bound failed', () => {
    const over = cell({ ledgerCalls: { ...cell().ledgerCalls!, calls: 528, bound: 521, ok: false } });
    const failures = runFailures(results([over]));
    assert.equal(failures.length, 1);
    assert.match(failures[0]!, /^proxy:redis: ledger calls 528 over the bound 521 .*the audit passed$/);
  });

  it('a passing cell fails nothing', () => {
    assert.deepEqual(runFailures(results([cell()])), []);
  });

  it('the chart says "audit pass" only for a cell that failed nothing', () => {
    const passing = renderChart(results([cell()]));
    assert.match(passing, /proxy:redis[^<]*, audit pass/);
    const over = renderChart(results([cell({ ledgerCalls: { ...cell().ledgerCalls!, calls: 528, bound: 521, ok: false } })]));
    assert.doesNotMatch(over, /audit pass/);
    assert.match(over, /proxy:redis[^<]*FAILED: ledger calls 528 over the bound 521/);
  });

  it("a one-slice cell still shows its p99 as a point", () => {
    const svg = renderChart(results([cell()]));
    assert.equal((svg.match(/<circle [^>]*fill="[^"]+"\/>/g) ?? []).length >= 2, true);
    assert.match(svg, /<circle [^>]*r="2" /);
  });

  it("the selling cell's steady rate is the median of its selling slices, the ramp-up and the cut-short last one left out", () => {
    const point = (sold: number, phase = 'selling') => ({ t: 0, rps: sold, sold, p99Ms: 1, phase });
    const series = [point(4000), point(15000), point(17000), point(14000), point(2500), point(0, 'sold-out')];
    assert.deepEqual(steadySellingRate({ series }), { rate: 15000, slices: 5 });
    assert.deepEqual(steadySellingRate({ series: [point(4000), point(9000)] }), { rate: null, slices: 2 });
  });

  it('a cell under 2 s of load warns that its ratios mean little', () => {
    assert.match(renderReport(results([cell({ load: load(900) })])), /WARNING: this cell's load lasted 0\.9 s; under 2 s its rates and ratios mean little/);
    assert.doesNotMatch(renderReport(results([cell()])), /WARNING/);
  });
});

describe('train cell verdicts', () => {
  const variant = (stops: number, sellingMicrosPerCall: number, ofOptimum = 1) =>
    ({ stops, seatChoice: 'best-fit', sellingMicrosPerCall, ofOptimum }) as unknown as TrainVariantResult;
  const result = (saleSellingMicrosPerCall: number, variants: TrainVariantResult[]) => ({ variants, saleSellingMicrosPerCall }) as unknown as TrainCellResult;

  it("judge the script's cost as a ratio to the one-pool script in the same run: 35/19 at 20 stops, 45/19 at 40", () => {
    assert.ok(Math.abs(scriptCostTarget(20) - 35 / 19) < 1e-9 && Math.abs(scriptCostTarget(40) - 45 / 19) < 1e-9);
    const [fast, slow, long] = trainVerdicts(result(60, [variant(20, 108), variant(20, 112), variant(40, 140)]));
    assert.match(fast!, /x1\.80 .*target <= x1\.84\): met/);
    assert.match(slow!, /x1\.87 .*: MISSED/);
    assert.match(long!, /x2\.33 .*target <= x2\.37\): met/);
  });

  it('judge seat-km against 99.5% of late numbering', () => {
    const [ok, short] = trainVerdicts(result(60, [variant(20, 60, 0.996), variant(20, 60, 0.99)]));
    assert.match(ok!, /99\.60% .*: met$/);
    assert.match(short!, /99\.00% .*: MISSED$/);
  });
});
