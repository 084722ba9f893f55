// Every BENCH_* variable the bench reads, validated once by the same parsers
// as the server's own config: a bad value stops the run with a message naming
// the variable, the value and what is allowed.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, integer, oneOf, text, type Env } from '../src/config/env';

export type Balancer = 'handoff' | 'proxy' | 'reuseport';
export type LedgerKind = 'redis' | 'embedded';
export type GeneratorKind = 'wrk' | 'autocannon';

export interface Cell {
  readonly balancer: Balancer;
  readonly ledger: LedgerKind;
}

export interface BenchSettings {
  readonly users: number;
  /** Run the waiting-room cell (bench/queue-cell.ts). */
  readonly queue: boolean;
  readonly queueWatchers: number;
  readonly tickets: number;
  /** Tickets of the selling cell's sale per ledger (bench/selling-cell.ts); 0 skips it. */
  readonly sellingTickets: number;
  readonly matrix: readonly Cell[];
  readonly connections: number;
  readonly threads: number;
  readonly generator: GeneratorKind;
  /** Each generator run lasts at most this long; the slices give the time series. */
  readonly sliceMs: number;
  /** A cell stops after this long even if not every buyer was sent. */
  readonly maxSeconds: number;
  readonly baselineSeconds: number;
  readonly timeoutSeconds: number;
  /** The Redis the cells use: BENCH_REDIS_URL, or a private redis-server the run starts (see privateRedis). */
  readonly redisUrl: string;
  /** No BENCH_REDIS_URL: the run starts its own redis-server on a free port, so its command counts are this run's alone. */
  readonly privateRedis: boolean;
  /** Run the front cells (npm run bench:front) after the matrix. */
  readonly front: boolean;
  readonly micro: boolean;
  readonly microTimeMs: number;
  /** Run the tickets section (bench/tickets.ts). */
  readonly ticketSection: boolean;
  /** QR renders in the tickets section's burst. */
  readonly ticketRenders: number;
  /** Interleaved rounds of the render-burst measurement (alone, renders, idle burner). */
  readonly ticketRounds: number;
  /** Tickets the tickets section checks in (each several times). */
  readonly ticketCheckins: number;
  /** Seconds per round of the metrics-cost phase (METRICS=on against off on the sold-out path); 0 skips it. */
  readonly metricsCostSeconds: number;
  /** Run the `train` cell (bench/train-cell.ts): seats sold per segment, random trips, 100x oversubscribed. */
  readonly train: boolean;
  readonly trainSeats: number;
  /** Run the `cluster` cell (three boxes on a private Redis Cluster, without and with WAIT). */
  readonly cluster: boolean;
  readonly resultsDir: string;
  /** When set, the server runs with node --cpu-prof and writes its profiles under this directory, one folder per cell. */
  readonly cpuProfDir: string | null;
  /** Extra environment for the server under test (WORKERS, WORKER_WEIGHTS, LOCAL_BUFFER, JOURNAL_FSYNC ... pass through). */
  readonly serverEnv: Record<string, string>;
}

/** A bad BENCH_* value; the same error the server's config raises. */
export { ConfigError as BenchSettingsError };

export const ALL_CELLS: readonly Cell[] = [
  { balancer: 'handoff', ledger: 'redis' },
  { balancer: 'proxy', ledger: 'redis' },
  { balancer: 'reuseport', ledger: 'redis' },
  { balancer: 'handoff', ledger: 'embedded' },
  { balancer: 'proxy', ledger: 'embedded' },
  { balancer: 'reuseport', ledger: 'embedded' },
];

export function cellName(cell: Cell): string {
  return `${cell.balancer}:${cell.ledger}`;
}

function matrixFrom(env: Env): Cell[] {
  const raw = env.BENCH_MATRIX;
  if (raw === undefined || raw.trim() === '' || raw.trim() === 'all') return [...ALL_CELLS];
  const cells: Cell[] = [];
  for (const part of raw.split(',').map((p) => p.trim()).filter(Boolean)) {
    const [balancer, ledger] = part.split(':');
    if ((balancer !== 'handoff' && balancer !== 'proxy' && balancer !== 'reuseport') || (ledger !== 'redis' && ledger !== 'embedded')) {
      throw new ConfigError('BENCH_MATRIX', raw, 'expected "all" or a comma-separated list of <handoff|proxy|reuseport>:<redis|embedded>, e.g. handoff:redis,reuseport:embedded');
    }
    if (!cells.some((c) => c.balancer === balancer && c.ledger === ledger)) cells.push({ balancer, ledger });
  }
  return cells;
}

function wrkInstalled(): boolean {
  return (process.env.PATH ?? '').split(':').some((dir) => dir !== '' && existsSync(join(dir, 'wrk')));
}

/**
 * A Redis shared with other clients made the ledger-call bound fail on calls
 * that were not this run's, so the bench starts its own redis-server unless
 * BENCH_REDIS_URL names one (loopback only: the bench floods what it points at).
 * REDIS_URL is not read: it is the server's variable, and the bench sets it per cell.
 */
function benchRedis(env: Env): { redisUrl: string; privateRedis: boolean } {
  const named = text(env, 'BENCH_REDIS_URL', '');
  if (named === '') return { redisUrl: '', privateRedis: true };
  const loopback = /^redis:\/\/(127\.0\.0\.1|localhost|\[::1\])(:\d+)?(\/\d+)?$/;
  if (!loopback.test(named)) throw new ConfigError('BENCH_REDIS_URL', named, 'the bench only talks to a Redis on loopback, e.g. redis://127.0.0.1:6379');
  return { redisUrl: named, privateRedis: false };
}

/**
 * Where a run writes latest.*: BENCH_RESULTS_DIR; else the committed
 * bench/results/ only with BENCH_SAVE=1, so an ad-hoc run never overwrites the
 * figures the README quotes; else bench/results/unsaved/ (git ignores it).
 */
function resultsDir(env: Env): string {
  const committed = join(__dirname, '..', '..', 'bench', 'results');
  const save = oneOf(env, 'BENCH_SAVE', ['0', '1'], '0') === '1';
  return text(env, 'BENCH_RESULTS_DIR', save ? committed : join(committed, 'unsaved'));
}

/** The server variables a user may tune for the run; everything else the bench sets per cell. */
const SERVER_PASSTHROUGH = [
  'WORKERS', 'WORKER_WEIGHTS', 'LOCAL_BUFFER', 'JOURNAL_FSYNC', 'REDIS_AUTO_PIPELINING', 'REDIS_RESERVE_BATCH',
  'REDIS_BATCH_WINDOW_MS', 'LEDGER_TIMEOUT_MS', 'SALE_VIEW_TTL_MS', 'ALLOWANCE_REFRESH_MS', 'WARMUP_REQUESTS',
  'WARMUP_FRONT_REQUESTS',
];

export function loadBenchSettings(env: Env = process.env): BenchSettings {
  const chosen = oneOf<GeneratorKind | ''>(env, 'BENCH_GENERATOR', ['wrk', 'autocannon'], '');
  const generator: GeneratorKind = chosen === '' ? (wrkInstalled() ? 'wrk' : 'autocannon') : chosen;
  if (generator === 'wrk' && !wrkInstalled()) throw new ConfigError('BENCH_GENERATOR', 'wrk', 'no wrk is on PATH; install wrk or use BENCH_GENERATOR=autocannon');
  const { redisUrl, privateRedis } = benchRedis(env);
  const serverEnv: Record<string, string> = {};
  for (const name of SERVER_PASSTHROUGH) if (env[name] !== undefined && env[name] !== '') serverEnv[name] = env[name]!;
  const micro = oneOf(env, 'BENCH_MICRO', ['0', '1'], '1');

  return Object.freeze({
    users: integer(env, 'BENCH_USERS', 1_000_000, 1, 100_000_000),
    tickets: integer(env, 'BENCH_TICKETS', 10_000, 1, 10_000_000),
    sellingTickets: integer(env, 'BENCH_SELLING_TICKETS', 200_000, 0, 10_000_000),
    matrix: Object.freeze(matrixFrom(env)),
    connections: integer(env, 'BENCH_CONNECTIONS', 100, 1, 10_000),
    threads: integer(env, 'BENCH_THREADS', 1, 1, 64),
    generator,
    sliceMs: integer(env, 'BENCH_SLICE_MS', 1000, 100, 60_000),
    maxSeconds: integer(env, 'BENCH_MAX_SECONDS', 60, 1, 3600),
    baselineSeconds: integer(env, 'BENCH_BASELINE_SECONDS', 5, 1, 600),
    timeoutSeconds: integer(env, 'BENCH_TIMEOUT_SECONDS', 2, 1, 60),
    redisUrl,
    privateRedis,
    front: oneOf(env, 'BENCH_FRONT', ['0', '1'], '1') === '1',
    micro: micro === '1',
    microTimeMs: integer(env, 'BENCH_MICRO_TIME_MS', 500, 50, 60_000),
    ticketSection: oneOf(env, 'BENCH_TICKET_SECTION', ['0', '1'], '1') === '1',
    ticketRenders: integer(env, 'BENCH_TICKET_RENDERS', 2000, 10, 1_000_000),
    ticketRounds: integer(env, 'BENCH_TICKET_ROUNDS', 10, 1, 100),
    ticketCheckins: integer(env, 'BENCH_TICKET_CHECKINS', 2000, 10, 1_000_000),
    metricsCostSeconds: integer(env, 'BENCH_METRICS_COST_SECONDS', 4, 0, 600),
    cluster: oneOf(env, 'BENCH_CLUSTER', ['0', '1'], '1') === '1',
    queue: oneOf(env, 'BENCH_QUEUE', ['0', '1'], '1') === '1',
    train: oneOf(env, 'BENCH_TRAIN', ['0', '1'], '1') === '1',
    trainSeats: integer(env, 'BENCH_TRAIN_SEATS', 1000, 1, 100_000),
    queueWatchers: integer(env, 'BENCH_QUEUE_WATCHERS', 10_000, 1, 20_000),
    resultsDir: resultsDir(env),
    cpuProfDir: text(env, 'BENCH_CPU_PROF_DIR', '') || null,
    serverEnv: Object.freeze(serverEnv),
  });
}

/** The front cells' settings (bench/front-bench.ts). */
export interface FrontSettings {
  readonly abRequests: number;
  readonly wrkSeconds: number;
  readonly connections: number;
  readonly redisUrl: string;
  readonly privateRedis: boolean;
  /** The seed's Go service (build.sh, main.go): ../shared/seed-peer beside the checkout, or one level further up from a worktree. */
  readonly seedPeer: string;
  readonly resultsDir: string;
}

function defaultSeedPeer(): string {
  const root = join(__dirname, '..', '..');
  const candidates = [join(root, '..', 'shared', 'seed-peer'), join(root, '..', '..', 'shared', 'seed-peer')];
  return candidates.find((dir) => existsSync(dir)) ?? candidates[0]!;
}

export function loadFrontSettings(env: Env = process.env): FrontSettings {
  return {
    abRequests: integer(env, 'BENCH_FRONT_AB_REQUESTS', 10_000, 100, 10_000_000),
    wrkSeconds: integer(env, 'BENCH_FRONT_SECONDS', 5, 1, 600),
    connections: integer(env, 'BENCH_CONNECTIONS', 100, 1, 10_000),
    ...benchRedis(env),
    seedPeer: text(env, 'BENCH_SEED_PEER', defaultSeedPeer()),
    resultsDir: resultsDir(env),
  };
}
