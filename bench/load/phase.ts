// Drives a generator through a series of slices until the buyers run out or
// the time cap hits, and folds the slices into one summary. Slices give the
// time series; during the selling phase a probe ends the slice the moment the
// ledger reports sold out, so the selling and sold-out phases measure apart.
import type { LoadGenerator, SliceResult } from './slice';

export interface PhaseOptions {
  readonly generator: LoadGenerator;
  readonly url: string;
  readonly pathPrefix: string;
  /** Distinct buyers to send; 0 means run until maxMs. */
  readonly users: number;
  readonly maxMs: number;
  readonly sliceMs: number;
  readonly connections: number;
  readonly threads: number;
  readonly timeoutSeconds: number;
  /** Percent of requests that reuse an earlier buyer id (see SliceRequest). */
  readonly repeatPercent?: number;
  /** Resolves true once the sale is sold out; slices before that are "selling". */
  readonly soldOut?: () => Promise<boolean>;
  /** Label for every slice when there is no soldOut probe. */
  readonly label?: string;
  readonly onSlice?: (slice: SliceResult, index: number) => void;
}

export interface PhaseRun {
  readonly slices: SliceResult[];
  readonly wallMs: number;
  /** Milliseconds after the start at which the probe saw the sale sold out, if it did. */
  readonly soldOutAtMs: number | null;
  readonly stoppedBy: 'users' | 'time cap';
}

export async function runPhase(options: PhaseOptions): Promise<PhaseRun> {
  const slices: SliceResult[] = [];
  const t0 = performance.now();
  const elapsed = () => performance.now() - t0;
  let firstId = 0;
  let remaining = options.users;
  let soldOutAtMs: number | null = null;
  let stoppedBy: PhaseRun['stoppedBy'] = 'time cap';
  const probe = options.soldOut;
  let selling = probe !== undefined;
  while (elapsed() < options.maxMs) {
    if (options.users > 0 && remaining <= 0) {
      stoppedBy = 'users';
      break;
    }
    const request = {
      url: options.url,
      pathPrefix: options.pathPrefix,
      firstId,
      quota: options.users > 0 ? remaining : 0,
      connections: options.connections,
      threads: options.threads,
      durationMs: Math.max(50, Math.min(options.sliceMs, options.maxMs - elapsed())),
      timeoutSeconds: options.timeoutSeconds,
      repeatPercent: options.repeatPercent,
      stopWhen: selling ? probe : undefined,
    };
    const startMs = elapsed();
    const slice = await options.generator.runSlice(request);
    slice.startMs = startMs;
    slice.endMs = elapsed();
    slice.phase = probe ? (selling ? 'selling' : 'sold-out') : (options.label ?? 'load');
    if (selling && (slice.endedBy === 'stop' || (await probe!()))) {
      selling = false;
      soldOutAtMs = slice.endMs;
    }
    slices.push(slice);
    options.onSlice?.(slice, slices.length - 1);
    remaining -= slice.sent;
    firstId = options.generator.nextId(request, slice);
  }
  if (options.users > 0 && remaining <= 0) stoppedBy = 'users';
  return { slices, wallMs: elapsed(), soldOutAtMs, stoppedBy };
}

export interface LoadSummary {
  readonly slices: number;
  readonly sent: number;
  /** Of the requests sent, those that reused an earlier buyer id. */
  readonly repeats: number;
  readonly responses: number;
  /** Sent but unanswered when a slice ended: the generator hung up, no error on either side. */
  readonly abandoned: number;
  /** Time the generator was loading (sum of slices), and wall time including the gaps between slices. */
  readonly loadMs: number;
  readonly wallMs: number;
  /** Responses per second of load time. */
  readonly rps: number;
  readonly statuses: Record<string, number>;
  readonly errors: { connect: number; read: number; write: number; timeout: number };
  /** Microseconds. p50/p90/p99 are merged from per-slice quantile sketches. */
  readonly latencyUs: { p50: number; p90: number; p99: number; max: number; mean: number };
  readonly generatorCpuMs: number;
}

/**
 * Quantile of the union of slices. Each slice's sketch assigns the mass
 * between two listed percentiles to the upper one (and the tail past the last
 * to its max), so the merged figure errs high, never low.
 */
export function mergedQuantile(slices: readonly SliceResult[], percentile: number): number {
  const points: Array<[value: number, mass: number]> = [];
  let total = 0;
  for (const slice of slices) {
    if (slice.responses === 0) continue;
    let previous = 0;
    for (const [p, value] of slice.latency.quantiles) {
      points.push([value, ((p - previous) / 100) * slice.responses]);
      previous = p;
    }
    points.push([slice.latency.max, ((100 - previous) / 100) * slice.responses]);
    total += slice.responses;
  }
  if (total === 0) return 0;
  points.sort((a, b) => a[0] - b[0]);
  const target = (percentile / 100) * total;
  let cumulative = 0;
  for (const [value, mass] of points) {
    cumulative += mass;
    if (cumulative >= target - 1e-9) return value;
  }
  return points[points.length - 1]![0];
}

export function summarise(slices: readonly SliceResult[], wallMs?: number): LoadSummary {
  const statuses: Record<string, number> = {};
  const errors = { connect: 0, read: 0, write: 0, timeout: 0 };
  let sent = 0;
  let repeats = 0;
  let responses = 0;
  let loadMs = 0;
  let cpu = 0;
  let meanSum = 0;
  let max = 0;
  for (const slice of slices) {
    sent += slice.sent;
    repeats += slice.repeats ?? 0;
    responses += slice.responses;
    loadMs += slice.durationMs;
    cpu += slice.cpuMs;
    meanSum += slice.latency.mean * slice.responses;
    if (slice.responses > 0) max = Math.max(max, slice.latency.max);
    for (const [status, count] of Object.entries(slice.statuses)) statuses[status] = (statuses[status] ?? 0) + count;
    errors.connect += slice.errors.connect;
    errors.read += slice.errors.read;
    errors.write += slice.errors.write;
    errors.timeout += slice.errors.timeout;
  }
  const wall = wallMs ?? (slices.length > 0 ? slices[slices.length - 1]!.endMs - slices[0]!.startMs : 0);
  return {
    slices: slices.length,
    sent,
    repeats,
    responses,
    abandoned: Math.max(0, sent - responses - errors.timeout),
    loadMs,
    wallMs: wall,
    rps: loadMs > 0 ? (responses * 1000) / loadMs : 0,
    statuses,
    errors,
    latencyUs: {
      p50: mergedQuantile(slices, 50),
      p90: mergedQuantile(slices, 90),
      p99: mergedQuantile(slices, 99),
      max,
      mean: responses > 0 ? meanSum / responses : 0,
    },
    generatorCpuMs: cpu,
  };
}
