// The table a person reads at the end of `npm run bench`.
import type { TicketBenchResults } from './tickets';
import type { BaselineResult } from './baseline';
import type { MetricsCostResult } from './metrics-cost';
import type { MicroResult } from './micro';
import type { LoadSummary } from './load/phase';
import type { BenchSettings } from './settings';
import type { CellResult } from './spike-cell';
import { renderSelling, type SellingResult } from './selling-cell';

export const SEED_ARTICLE_RPS = 4276;
export const TARGET_RATIO: Record<string, number> = { handoff: 0.5, proxy: 0.4, reuseport: 0.7 };

export interface MachineInfo {
  readonly cpu: string;
  readonly cores: number;
  readonly memoryGb: number;
  readonly os: string;
  readonly node: string;
  readonly redis: string | null;
}

export interface BenchResults {
  readonly startedAt: string;
  readonly durationSeconds: number;
  readonly machine: MachineInfo;
  readonly settings: Omit<BenchSettings, 'resultsDir'>;
  readonly generator: string;
  readonly baseline: BaselineResult;
  readonly cells: CellResult[];
  readonly micro: MicroResult | null;
  /** The tickets section (bench/tickets.ts), when it ran. */
  readonly tickets?: TicketBenchResults | null;
  /** Absent in results written before the phase existed. */
  readonly metricsCost?: MetricsCostResult | null;
  /** The selling cells (bench/selling-cell.ts); absent in older results. */
  readonly selling?: SellingResult[] | null;
  /** The waiting-room cell (bench/queue-cell.ts); absent in older results. */
  readonly queue?: unknown;
  readonly ok: boolean;
}

const n = (value: number) => Math.round(value).toLocaleString('en-US');
const ms = (us: number) => (us / 1000 >= 100 ? (us / 1000).toFixed(0) : (us / 1000).toFixed(2));

function pad(cells: string[][]): string {
  const widths = cells[0]!.map((_, i) => Math.max(...cells.map((row) => (row[i] ?? '').length)));
  return cells.map((row) => row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ')).join('\n');
}

function rps(summary: LoadSummary | undefined): string {
  return summary ? n(summary.rps) : '-';
}

/** Under this much load a cell's rates and ratios are mostly start-up and noise. */
export const SHORT_CELL_MS = 2000;

/** The checks that make the run fail (exit 1), by name: not the speed targets, which are reported, not failed. */
export function runFailures(results: BenchResults & { cluster?: { variants: Array<{ status: string; audit?: { ok: boolean } | null; error?: string; name?: string }> } | null }): string[] {
  const failures: string[] = [];
  for (const cell of results.cells) {
    if (cell.status !== 'ok') {
      failures.push(`${cell.cell}: did not run (${cell.error?.split('\n')[0]})`);
      continue;
    }
    if (cell.audit?.ok !== true) failures.push(`${cell.cell}: audit ${cell.audit ? 'failed' : `not available (${cell.auditError})`}`);
    if ((cell.answers?.failed ?? 1) !== 0) failures.push(`${cell.cell}: ${cell.answers?.failed ?? '?'} failed requests ${JSON.stringify(cell.answers?.failedStatuses ?? {})}`);
    if (cell.ledgerCalls && !cell.ledgerCalls.ok) failures.push(`${cell.cell}: ledger calls ${cell.ledgerCalls.calls} over the bound ${cell.ledgerCalls.bound} (${cell.ledgerCalls.source}); the audit ${cell.audit?.ok ? 'passed' : 'failed too'}`);
  }
  for (const variant of results.cluster?.variants ?? []) {
    if (variant.status !== 'ok') failures.push(`cluster ${variant.name ?? ''}: did not run (${variant.error?.split('\n')[0]})`);
    else if (variant.audit?.ok !== true) failures.push(`cluster ${variant.name ?? ''}: audit failed`);
  }
  for (const selling of results.selling ?? []) {
    const cell = selling.cell;
    const name = `selling ${selling.balancer}:${selling.ledger}`;
    if (cell.status !== 'ok') failures.push(`${name}: did not run (${cell.error?.split('\n')[0]})`);
    else if (cell.audit?.ok !== true) failures.push(`${name}: audit ${cell.audit ? 'failed' : `not available (${cell.auditError})`}`);
    else if ((cell.answers?.failed ?? 1) !== 0) failures.push(`${name}: ${cell.answers?.failed ?? '?'} failed requests`);
  }
  for (const ledger of results.tickets?.ledgers ?? []) {
    if (ledger.status !== 'ok') failures.push(`tickets on ${ledger.ledger}: did not run`);
    else if (ledger.checkins?.ok !== true) failures.push(`tickets on ${ledger.ledger}: check-ins not exactly once`);
  }
  return failures;
}

export function cellVerdicts(cell: CellResult, baselineRps: number | null): Array<{ name: string; ok: boolean }> {
  if (cell.status !== 'ok') return [{ name: 'cell ran', ok: false }];
  const verdicts = [
    { name: 'audit', ok: cell.audit?.ok === true },
    { name: 'no failed requests', ok: (cell.answers?.failed ?? 1) === 0 },
  ];
  if (cell.ledgerCalls) verdicts.push({ name: 'ledger calls within bound', ok: cell.ledgerCalls.ok });
  if (baselineRps && cell.load) verdicts.push({ name: `≥ ${TARGET_RATIO[cell.balancer]}× baseline`, ok: cell.load.rps / baselineRps >= TARGET_RATIO[cell.balancer]! });
  if (cell.load) verdicts.push({ name: `≥ 10× seed (${n(SEED_ARTICLE_RPS * 10)} req/s)`, ok: cell.load.rps >= SEED_ARTICLE_RPS * 10 });
  return verdicts;
}

/** The metrics-cost phase's lines of the report. */
export function renderMetricsCost(cost: MetricsCostResult): string[] {
  const out = ['metrics cost on the sold-out refusal (GET /buy/ticket, reuseport, embedded; rounds interleaved)'];
  if (cost.error) {
    out.push(`  FAILED: ${cost.error.split('\n')[0]}`);
    return out;
  }
  out.push(`  best rounds: METRICS=on ${n(cost.bestOnRps)} req/s, METRICS=off ${n(cost.bestOffRps)} req/s: ratio ${cost.bestRatio.toFixed(3)}, target >= 0.95 ${cost.ok ? 'met' : 'MISSED'}`);
  out.push(`  medians: on ${n(cost.onRps)}, off ${n(cost.offRps)} req/s: ratio ${cost.ratio.toFixed(3)} (${cost.rounds.length / 2} rounds each)`);
  out.push(`  rounds: ${cost.rounds.map((r) => `${r.metrics} ${n(r.rps)}`).join(', ')}`);
  return out;
}

export function renderReport(results: BenchResults): string {
  const out: string[] = [];
  const s = results.settings;
  const m = results.machine;
  out.push(`spike bench, ${results.startedAt}: ${m.cpu}, ${m.cores} cores, ${m.memoryGb} GB, ${m.os}, Node ${m.node}${m.redis ? `, Redis ${m.redis}` : ''}`);
  out.push(`${n(s.users)} buyers for ${n(s.tickets)} tickets per cell; generator ${results.generator} (${s.threads} thread${s.threads > 1 ? 's' : ''}, ${s.connections} connections, ${s.sliceMs} ms slices, cap ${s.maxSeconds} s/cell); run took ${results.durationSeconds.toFixed(0)} s`);
  out.push('');

  const base = results.baseline;
  const baseRps = base.status === 'ok' && base.load ? base.load.rps : null;
  if (base.status === 'ok' && base.load && base.generator) {
    out.push(`baseline, bare uWebSockets.js in one process: ${n(base.load.rps)} req/s, p50 ${ms(base.load.latencyUs.p50)} ms, p99 ${ms(base.load.latencyUs.p99)} ms, ${n(base.load.responses)} responses`);
    const g = base.generator;
    out.push(
      `generator ceiling: ${g.name} spent ${g.cpuUsPerRequest.toFixed(2)} µs CPU per request, so one core of it drives ~${n(g.ceilingPerCoreRps)} req/s; ` +
        `against the baseline it used ${g.coresUsed.toFixed(2)} of ${m.cores} cores, the server ${base.serverCpuMs && base.load.loadMs ? (base.serverCpuMs / base.load.loadMs).toFixed(2) : '?'}`,
    );
  } else {
    out.push(`baseline FAILED: ${base.error}`);
  }
  out.push('');

  const header = ['cell', 'req/s', '×base', 'selling', 'sold-out', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms', 'failed', 'audit', 'ledger calls / bound', 'split (share % vs weight %)'];
  const rows: string[][] = [header];
  for (const cell of results.cells) {
    if (cell.status !== 'ok' || !cell.load) {
      rows.push([cell.cell, 'FAILED', '', '', '', '', '', '', '', '', '', '', (cell.error ?? '').split('\n')[0]!.slice(0, 90)]);
      continue;
    }
    const l = cell.load;
    const calls = cell.ledgerCalls ? `${n(cell.ledgerCalls.calls)} / ${n(cell.ledgerCalls.bound)} ${cell.ledgerCalls.ok ? 'ok' : 'OVER'}` : 'n/a';
    const split = cell.split
      ? `${cell.split.by === 'connections' ? 'conns' : 'reqs'} ` + cell.split.workers.map((w) => `${(w.share * 100).toFixed(1)}/${(w.expectedShare * 100).toFixed(1)}`).join(' ')
      : '';
    rows.push([
      cell.cell,
      n(l.rps),
      baseRps ? (l.rps / baseRps).toFixed(2) : '-',
      rps(cell.selling),
      rps(cell.soldOut),
      ms(l.latencyUs.p50),
      ms(l.latencyUs.p90),
      ms(l.latencyUs.p99),
      ms(l.latencyUs.max),
      n(cell.answers?.failed ?? 0),
      cell.audit ? (cell.audit.ok ? 'PASS' : 'FAIL') : 'n/a',
      calls,
      split,
    ]);
  }
  out.push(pad(rows));
  out.push('');

  for (const cell of results.cells) {
    if (cell.status !== 'ok') {
      out.push(`${cell.cell}: FAILED. ${cell.error}`);
      out.push('');
      continue;
    }
    const l = cell.load!;
    out.push(`${cell.cell} (${cell.ledgerDescription}; ${cell.workers} workers, weights ${cell.weights?.join(',')}, LOCAL_BUFFER ${cell.localBuffer})`);
    out.push(
      `  requests: ${n(l.sent)} sent, ${n(l.responses)} answered (${n(cell.answers!.bought)} × 201 bought, ${n(cell.answers!.soldOut)} × 409 sold out or at the buyer's limit; ${n(l.repeats ?? 0)} from repeat buyers), ` +
        `${n(l.abandoned)} in flight when a slice ended, stopped by ${cell.stoppedBy}; ${l.slices} slices, ${(l.loadMs / 1000).toFixed(1)} s load in ${(l.wallMs / 1000).toFixed(1)} s wall`,
    );
    const e = l.errors;
    if (l.loadMs < SHORT_CELL_MS) out.push(`  WARNING: this cell's load lasted ${(l.loadMs / 1000).toFixed(1)} s; under ${SHORT_CELL_MS / 1000} s its rates and ratios mean little (the README's quick run lasts longer)`);
    out.push(`  errors: ${n(cell.answers!.failed)} (connect ${e.connect}, read ${e.read}, write ${e.write}, timeout ${e.timeout}, other statuses ${JSON.stringify(cell.answers!.failedStatuses)})`);
    if (cell.selling) {
      out.push(
        `  selling phase: ${n(cell.selling.rps)} req/s, p99 ${ms(cell.selling.latencyUs.p99)} ms, sold out after ${((cell.soldOutAtMs ?? 0) / 1000).toFixed(2)} s; ` +
          `sold-out phase: ${rps(cell.soldOut)} req/s, p99 ${cell.soldOut ? ms(cell.soldOut.latencyUs.p99) : '-'} ms`,
      );
    }
    if (cell.audit) {
      const a = cell.audit;
      out.push(`  audit (${a.source}): ${a.ok ? 'PASS' : 'FAIL'}; sold ${n(a.sold)} of ${n(a.total)}, orders ${a.orders === null ? '?' : n(a.orders)}, buyers ${a.buyers === null ? '?' : n(a.buyers)}, oversell ${a.oversell}, undersell ${a.undersell}, buyers over the limit ${a.duplicateBuyers ?? '?'}`);
      for (const c of a.checks) out.push(`    ${c.ok ? 'ok  ' : 'FAIL'} ${c.name}: ${c.detail}`);
    } else {
      out.push(`  audit: not available (${cell.auditError})`);
    }
    if (cell.ledgerCalls) {
      const c = cell.ledgerCalls;
      out.push(
        `  ledger calls (${c.source}): ${n(c.calls)} ${c.ok ? '≤' : '>'} bound ${n(c.bound)} = ${n(c.tickets)} tickets + ${c.workers} workers × ${c.localBuffer} buffer + ${c.roundingUnits} rounding + ${n(c.extendedUnits)} extended units (${c.extensions} extensions) + ${n(c.repeats ?? 0)} repeat buyers` +
          (c.note ? `; ${c.note}` : ''),
      );
    } else {
      out.push('  ledger calls: not measured for this ledger (the server exposes no reserve-call counter)');
    }
    if (cell.split) {
      out.push(
        `  split by ${cell.split.by}: ` +
          cell.split.workers.map((w) => `worker ${w.slot} (weight ${w.weight}) ${n(w.count)} = ${(w.share * 100).toFixed(1)}% vs ${(w.expectedShare * 100).toFixed(1)}%`).join('; ') +
          `; max deviation ${cell.split.maxDeviationPoints.toFixed(1)} points`,
      );
    }
    if (cell.cpu) {
      const c = cell.cpu;
      out.push(
        `  CPU over ${(c.wallMs / 1000).toFixed(1)} s: server ${(c.serverMs / 1000).toFixed(1)} s (primary ${(c.primaryMs / 1000).toFixed(1)} s, workers ${((c.serverMs - c.primaryMs) / 1000).toFixed(1)} s), generator ${(c.generatorMs / 1000).toFixed(1)} s` +
          (c.redisMs !== null ? `, Redis ${(c.redisMs / 1000).toFixed(1)} s (whole Redis)` : ''),
      );
    }
    if (cell.profile) {
      if ('error' in cell.profile) out.push(`  CPU profile (${cell.profile.dir}): ${cell.profile.error}`);
      else {
        out.push(`  CPU profile (${cell.profile.files} files in ${cell.profile.dir}, ${(cell.profile.totalMs / 1000).toFixed(1)} s sampled, self time):`);
        for (const f of cell.profile.functions) out.push(`    ${(f.share * 100).toFixed(1).padStart(5)}%  ${f.name}  ${f.where}`);
      }
    }
    const verdicts = cellVerdicts(cell, baseRps);
    out.push(`  targets: ${verdicts.map((v) => `${v.ok ? 'met' : 'MISSED'}: ${v.name}`).join('; ')}`);
    out.push('');
  }

  if (results.metricsCost) out.push(...renderMetricsCost(results.metricsCost), '');
  if (results.selling && results.selling.length > 0) out.push(renderSelling(results.selling), '');

  if (results.micro) {
    out.push('micro-benchmarks (tinybench)');
    const microRows = [['task', 'ops/s', 'mean µs', 'p50 µs', 'p99 µs', 'samples']];
    for (const t of results.micro.tasks) {
      microRows.push([t.name, t.opsPerSecond ? n(t.opsPerSecond) : '-', t.meanUs?.toFixed(3) ?? '-', t.p50Us?.toFixed(3) ?? '-', t.p99Us?.toFixed(3) ?? '-', t.samples ? n(t.samples) : t.note ?? '-']);
    }
    out.push(pad(microRows));
    for (const note of results.micro.notes) out.push(`  ${note}`);
    out.push('');
  }
  out.push(results.ok ? 'all cells ran and passed their audit' : 'SOME CELLS FAILED OR MISSED THE AUDIT: see above');
  return out.join('\n');
}
