// Smoke test of the bench harness itself (npm run bench), so it cannot rot
// silently: 1,000 buyers for 100 tickets in every matrix cell, the audit
// checked, and the JSON, table and SVG produced. The full spike is not run here.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { mergedQuantile } from '../../bench/load/phase';
import type { SliceResult } from '../../bench/load/slice';
import { renderReport } from '../../bench/report';
import { runBench } from '../../bench/run';
import { loadBenchSettings } from '../../bench/settings';

const resultsDir = mkdtempSync(join(tmpdir(), 'spike-bench-smoke-'));
after(() => rmSync(resultsDir, { recursive: true, force: true }));

function slice(responses: number, quantiles: Array<[number, number]>, max: number): SliceResult {
  return {
    startMs: 0, endMs: 1000, durationMs: 1000, sent: responses, responses, statuses: {}, cpuMs: 0, endedBy: 'time',
    errors: { connect: 0, read: 0, write: 0, timeout: 0 },
    latency: { min: 1, max, mean: 1, quantiles },
  };
}

test('merged quantiles weigh each slice by its responses and never err low', () => {
  const fast = slice(900, [[50, 100], [90, 200], [99, 300]], 400);
  const slow = slice(100, [[50, 1000], [90, 2000], [99, 3000]], 4000);
  assert.equal(mergedQuantile([fast], 99), 300);
  // 90% of all responses come from the fast slice: the true p50 lies between
  // its p50 and p90 (100-200 µs), and the sketch answers the upper end.
  assert.equal(mergedQuantile([fast, slow], 50), 200);
  // The slowest 10% are the slow slice, so the merged p99 sits in its upper half.
  assert.equal(mergedQuantile([fast, slow], 99), 2000);
  assert.equal(mergedQuantile([fast, slow], 100), 4000);
});

test('bench harness: 1,000 buyers for 100 tickets in four cells, audit perfect', { timeout: 120_000 }, async () => {
  const settings = loadBenchSettings({
    PATH: process.env.PATH,
    BENCH_USERS: '1000',
    BENCH_TICKETS: '100',
    // Four of the six cells keep the smoke run short; every balancer and both ledgers appear.
    BENCH_MATRIX: 'handoff:redis,proxy:redis,reuseport:embedded,handoff:embedded',
    BENCH_MICRO: '0',
    BENCH_CLUSTER: '0',
    // The waiting-room cell has its own run; see bench/queue-cell.ts.
    BENCH_QUEUE: '0',
    // The train cell has its own run (node dist/bench/train-cell.js); see bench/train-cell.ts.
    BENCH_TRAIN: '0',
    BENCH_TICKET_RENDERS: '50',
    BENCH_TICKET_ROUNDS: '1',
    BENCH_TICKET_CHECKINS: '50',
    // Its own test (bench-metrics-cost.test.ts): six server starts would not fit this one's time.
    BENCH_METRICS_COST_SECONDS: '0',
    // The selling cell at a size that still shows it works: one sale per ledger, and each ledger's own limit.
    BENCH_SELLING_TICKETS: '3000',
    BENCH_BASELINE_SECONDS: '1',
    BENCH_SLICE_MS: '1000',
    BENCH_MAX_SECONDS: '15',
    BENCH_CONNECTIONS: '50',
    // No BENCH_REDIS_URL: the run starts a private redis-server, as a user's does.
    BENCH_RESULTS_DIR: resultsDir,
  });
  const lines: string[] = [];
  const results = await runBench({ settings, log: (line) => lines.push(line) });
  const context = `bench log:\n${lines.join('\n')}\n\n${renderReport(results)}`;

  assert.equal(results.baseline.status, 'ok', context);
  assert.ok(lines.some((line) => /a private redis-server on redis:\/\/127\.0\.0\.1:\d+ for this run/.test(line)), context);
  for (const tickets of results.tickets!.ledgers) {
    assert.equal(tickets.status, 'ok', `tickets on ${tickets.ledger}: ${tickets.error}\n${context}`);
    assert.equal(tickets.checkins!.ok, true, `tickets on ${tickets.ledger}: ${JSON.stringify(tickets.checkins)}`);
    assert.equal(tickets.burst!.burst.ok, 50);
  }
  assert.ok(results.baseline.load!.responses > 0, context);
  assert.equal(results.cells.length, 4);
  for (const cell of results.cells) {
    assert.equal(cell.status, 'ok', `${cell.cell}: ${cell.error}\n${context}`);
    assert.equal(cell.audit?.ok, true, `${cell.cell} audit: ${JSON.stringify(cell.audit?.checks ?? cell.auditError)}\n${context}`);
    assert.equal(cell.audit!.sold, 100);
    assert.equal(cell.audit!.orders, 100);
    assert.equal(cell.audit!.duplicateBuyers, 0);
    assert.equal(cell.answers!.failed, 0, `${cell.cell}: ${JSON.stringify(cell.answers)}\n${context}`);
    assert.ok(cell.load!.sent >= 1000 && cell.load!.sent <= 1000 + settings.connections, `${cell.cell} sent ${cell.load!.sent}`);
    assert.ok(cell.answers!.bought <= 100, `${cell.cell}: ${cell.answers!.bought} buyers told yes`);
    assert.ok(cell.series!.length >= 1);
    if (cell.ledgerCalls) assert.ok(cell.ledgerCalls.calls >= 100 && cell.ledgerCalls.ok, `${cell.cell} ledger calls ${JSON.stringify(cell.ledgerCalls)}`);
    const splitTotal = cell.split!.workers.reduce((sum, w) => sum + w.count, 0);
    assert.ok(splitTotal > 0, `${cell.cell}: no per-worker split`);
  }
  assert.deepEqual(results.selling!.map((s) => s.ledger).sort(), ['embedded', 'redis']);
  for (const selling of results.selling!) {
    assert.equal(selling.cell.status, 'ok', `selling ${selling.ledger}: ${selling.cell.error}\n${context}`);
    assert.equal(selling.cell.audit?.ok, true, `selling ${selling.ledger} audit: ${JSON.stringify(selling.cell.audit?.checks ?? selling.cell.auditError)}`);
    assert.equal(selling.cell.audit!.sold, 3000);
    assert.equal(selling.balancer, 'handoff');
    assert.ok(selling.limit && selling.limit.perSecond > 0, `selling ${selling.ledger}: ledger limit ${JSON.stringify(selling.limit ?? selling.limitError)}`);
  }
  assert.equal(results.ok, true, context);

  const json = JSON.parse(readFileSync(join(resultsDir, 'latest.json'), 'utf8')) as { cells: unknown[] };
  assert.equal(json.cells.length, 4);
  const svg = readFileSync(join(resultsDir, 'latest.svg'), 'utf8');
  assert.match(svg, /^<svg [^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
  assert.match(svg, /proxy:redis/);
  assert.match(renderReport(results), /reuseport:embedded .* PASS/);
});
