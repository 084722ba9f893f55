// What metrics cost where it matters most: the sold-out refusal of
// GET /buy/ticket, with METRICS=on against METRICS=off, rounds interleaved in
// one run (on, off, off, on, on, off: a drift in the machine's load hits both
// alike) after a warm-up slice each, so the JIT has settled before measuring.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LoadGenerator } from './load/slice';
import { startServerProcess } from './server-process';
import type { BenchSettings } from './settings';

export interface MetricsCostRound {
  readonly metrics: 'on' | 'off';
  readonly rps: number;
  readonly p99Us: number | null;
  readonly refusals: number;
}

export interface MetricsCostResult {
  readonly rounds: MetricsCostRound[];
  /** Medians of the rounds. */
  readonly onRps: number;
  readonly offRps: number;
  /** onRps / offRps. */
  readonly ratio: number;
  /** The best round of each: other work on a shared machine only ever slows a round down. */
  readonly bestOnRps: number;
  readonly bestOffRps: number;
  /** bestOnRps / bestOffRps: 0.95 or more meets the target (at most 5% lost to metrics). */
  readonly bestRatio: number;
  readonly ok: boolean;
  readonly error?: string;
}

const ORDER = ['on', 'off', 'off', 'on', 'on', 'off'] as const;
const WARM_UP_MS = 1000;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

async function round(metrics: 'on' | 'off', settings: BenchSettings, generator: LoadGenerator, firstId: number): Promise<MetricsCostRound> {
  const dataDir = mkdtempSync(join(tmpdir(), 'spike-metrics-cost-'));
  // reuseport and the embedded ledger: the workers themselves are the bottleneck, not the primary's relay or Redis.
  const server = await startServerProcess({
    ...settings.serverEnv,
    PORT: '0',
    HOST: '127.0.0.1',
    BALANCER: 'reuseport',
    LEDGER: 'embedded',
    DATA_DIR: dataDir,
    JOURNAL_FSYNC: 'off',
    DEFAULT_SALE_ID: 'cost',
    DEFAULT_SALE_TOTAL: '1',
    ADMIN_TOKEN: 'bench-metrics-cost',
    METRICS: metrics,
  });
  try {
    // Sell the one ticket, so every request after it takes the sold-out refusal.
    for (let i = 0; i < 20; i++) await fetch(`${server.url}/buy/ticket?user=warm-${i}`).then((r) => r.text());
    const load = { url: server.url, pathPrefix: '/buy/ticket?user=u', quota: 0, connections: settings.connections, threads: settings.threads, timeoutSeconds: settings.timeoutSeconds };
    await generator.runSlice({ ...load, firstId: firstId + 50_000_000, durationMs: WARM_UP_MS });
    const slice = await generator.runSlice({
      url: server.url,
      pathPrefix: '/buy/ticket?user=u',
      firstId,
      quota: 0,
      connections: settings.connections,
      threads: settings.threads,
      durationMs: settings.metricsCostSeconds * 1000,
      timeoutSeconds: settings.timeoutSeconds,
    });
    const p99 = slice.latency.quantiles.find(([q]) => q === 99)?.[1] ?? null;
    return { metrics, rps: (slice.responses / slice.durationMs) * 1000, p99Us: p99, refusals: slice.statuses['409'] ?? 0 };
  } finally {
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

export async function runMetricsCost(settings: BenchSettings, generator: LoadGenerator, log: (line: string) => void): Promise<MetricsCostResult> {
  const rounds: MetricsCostRound[] = [];
  try {
    for (let i = 0; i < ORDER.length; i++) {
      const metrics = ORDER[i]!;
      const result = await round(metrics, settings, generator, 1 + i * 100_000_000);
      log(`  metrics cost: METRICS=${metrics} ${Math.round(result.rps)} sold-out refusals/s`);
      rounds.push(result);
    }
  } catch (error) {
    return { rounds, onRps: 0, offRps: 0, ratio: 0, bestOnRps: 0, bestOffRps: 0, bestRatio: 0, ok: false, error: (error as Error).message };
  }
  const onRps = median(rounds.filter((r) => r.metrics === 'on').map((r) => r.rps));
  const offRps = median(rounds.filter((r) => r.metrics === 'off').map((r) => r.rps));
  const ratio = offRps > 0 ? onRps / offRps : 0;
  const bestOnRps = Math.max(...rounds.filter((r) => r.metrics === 'on').map((r) => r.rps));
  const bestOffRps = Math.max(...rounds.filter((r) => r.metrics === 'off').map((r) => r.rps));
  const bestRatio = bestOffRps > 0 ? bestOnRps / bestOffRps : 0;
  return { rounds, onRps, offRps, ratio, bestOnRps, bestOffRps, bestRatio, ok: bestRatio >= 0.95 };
}
