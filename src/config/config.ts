// Every environment variable spike reads, validated once at start-up and
// frozen into one typed object. A bad value stops the start; nothing is clamped.
import { existsSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BuyerAuthConfig, BuyerAuthMode } from '../auth/buyer-auth';
import { bool, ConfigError, decimal, integer, matching, oneOf, text, type Env } from './env';
import type { ThreadPriority } from '../system/thread-priority';

export { ConfigError } from './env';

export type BalancerMode = 'handoff' | 'proxy' | 'reuseport';
export type LedgerKind = 'redis' | 'embedded';
export type JournalFsync = 'batch' | 'off';
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
export type LogFormat = 'json' | 'pretty';

export interface Config {
  readonly host: string;
  readonly port: number;
  readonly workers: number;
  readonly weights: readonly number[];
  readonly balancer: BalancerMode;
  readonly ledger: LedgerKind;
  readonly redisUrl: string;
  /** REDIS_URL names one seed node of a Redis Cluster. */
  readonly redisCluster: boolean;
  readonly redisPrefix: string;
  readonly redisAutoPipelining: boolean;
  /** The most reservations of one sale a worker sends in one script call (group commit); 1 sends each alone. */
  readonly redisReserveBatch: number;
  /** REDIS_BATCH_WINDOW_MS: while fewer than 8 of a sale's requests wait, the least time between the starts of two of its script calls from a worker (see ScriptBatcher). */
  readonly redisBatchWindowMs: number;
  /** After a reservation, WAIT for this many replicas to confirm it before answering 201 (0: do not wait). */
  readonly redisWaitReplicas: number;
  readonly redisWaitTimeoutMs: number;
  readonly ledgerTimeoutMs: number;
  readonly localBuffer: number;
  readonly saleViewTtlMs: number;
  readonly allowanceRefreshMs: number;
  readonly adminToken: string | undefined;
  readonly defaultSaleId: string;
  readonly defaultSaleTotal: number;
  readonly defaultSaleHoldSeconds: number;
  readonly holdSweepMs: number;
  /** How often a box renews its entry in the shared Redis; a silent box drops out after two of these. */
  readonly boxHeartbeatMs: number;
  readonly maxBodyBytes: number;
  readonly socketDir: string;
  /** SOCKET_DIR was left unset, so the directory is this primary's own temp dir (and dead primaries' may be cleaned). */
  readonly socketDirIsDefault: boolean;
  readonly dataDir: string;
  readonly journalFsync: JournalFsync;
  /** Each sale's order feed keeps at least its last this many events; older ones are trimmed (Redis XADD MAXLEN ~, the embedded feed alike). */
  readonly feedMaxEvents: number;
  /** The embedded journal is compacted (snapshot plus tail, off the event loop) once its active file passes this many bytes; 0: never. */
  readonly journalCompactBytes: number;
  /** The compaction thread's CPU priority: `idle` (SCHED_IDLE) or a Linux nice value 0-19. */
  readonly journalCompactNice: ThreadPriority;
  /** How long after closing a sale stays in the ledger before it is archived and removed; null: kept forever (SALE_RETENTION_DAYS unset or 0). */
  readonly saleRetentionMs: number | null;
  /** Where retired sales are archived, one gzip'd NDJSON file each. */
  readonly saleArchiveDir: string;
  /** Time between the retention sweeper's passes. */
  readonly retentionSweepMs: number;
  readonly shutdownTimeoutMs: number;
  /** The waiting room (issue 14): defaults for queue sales, the signing secret, proof of work and rate limits. */
  readonly admission: AdmissionConfig;
  /** A client connection silent this long, with no answer pending, is closed (handoff, proxy). */
  readonly idleTimeoutMs: number;
  /** Client connections one relaying process holds; undefined: derived from its open-file limit. */
  readonly maxConnections: number | undefined;
  /** The tickets' Ed25519 signing key: a PEM, or a path to one; null: DATA_DIR/ticket-signing-key.pem, made on first start. */
  readonly ticketSigningKey: string | null;
  /** Render threads per worker (piscina); 0 signs and renders on the worker's own thread. */
  readonly ticketThreads: number;
  /** The render threads' CPU priority: `idle` (SCHED_IDLE, only spare CPU) or a Linux nice value 0-19, per thread. */
  readonly ticketThreadNice: ThreadPriority;
  /** Renders a worker lets wait beyond those its threads are drawing; the next is answered 503 tickets_busy. */
  readonly ticketRenderQueue: number;
  /** How often the primary records due tickets as issued. */
  readonly ticketIssueMs: number;
  /** The gate devices' bearer token for POST /api/checkins; unset: only the admin token checks tickets in. */
  readonly gateToken: string | undefined;
  /** Tickets per worker whose verified signature and ledger-recorded admission the worker remembers for re-scans; 0: none. */
  readonly checkinMemory: number;
  /** Off: no /metrics, no dashboard, and no counting on the request path (for the bench's comparison). */
  readonly metrics: boolean;
  /** A token that may read /metrics but not act as admin; undefined: the admin token. */
  readonly metricsToken: string | undefined;
  /** 0: none; else a localhost-only port serving /metrics without a token. */
  readonly metricsPort: number;
  /** V8's interrupt budget (src/system/jit-tuning.ts): lower optimizes hot code sooner; 0 keeps V8's default. */
  readonly jitInterruptBudget: number;
  /** Purchases a handoff worker on Redis makes of a scratch sale of its own before it serves (src/worker/warm-up.ts); 0 skips it. */
  readonly warmupRequests: number;
  /** BALANCER=handoff: requests the primary sends through its own front before the public port opens (src/front/front-warm-up.ts). */
  readonly warmupFrontRequests: number;
  readonly logLevel: LogLevel;
  readonly logFormat: LogFormat;
  /** Ledger calls slower than this are logged. */
  readonly ledgerSlowMs: number;
  /** In a worker: its slot, set by the primary when it forks the worker (SPIKE_WORKER_SLOT); null in the primary. */
  readonly workerSlot: number | null;
  /** In a worker: how often its slot was restarted before it (SPIKE_WORKER_RESTARTS, set by the primary); 0 in the primary. */
  readonly workerRestarts: number;
  readonly buyerAuth: BuyerAuthConfig;
  /** How often the primary pings each worker over IPC. */
  readonly heartbeatIntervalMs: number;
  /** A worker silent this long gets no new connections until it answers. */
  readonly workerUnresponsiveMs: number;
  /** A worker silent this long is killed and restarted. */
  readonly workerHangRestartMs: number;
}

export interface AdmissionConfig {
  /** Signs queue tickets, passes and challenges; undefined: the primary makes one per run and hands it to its workers. */
  readonly secret: string | undefined;
  readonly admitPerSecond: number;
  readonly overAdmit: number;
  readonly passSeconds: number;
  readonly difficulty: number;
  readonly challengeSeconds: number;
  readonly tickMs: number;
  /** A watcher is pushed a sale's changed figures at most this often. */
  readonly pushMs: number;
  readonly rateLimitPerSecond: number;
  readonly rateLimitBurst: number;
  readonly trustProxy: boolean;
}

function admissionFrom(env: Env): AdmissionConfig {
  const secret = env.ADMISSION_SECRET === '' ? undefined : env.ADMISSION_SECRET;
  if (secret !== undefined && secret.length < 16) throw new ConfigError('ADMISSION_SECRET', '<hidden>', 'expected at least 16 characters');
  const overAdmit = matching(env, 'QUEUE_OVER_ADMIT', /^\d{1,2}(\.\d{1,3})?$/, 'expected a decimal from 1 to 10, e.g. 1.2', '1.2');
  if (Number(overAdmit) < 1 || Number(overAdmit) > 10) throw new ConfigError('QUEUE_OVER_ADMIT', overAdmit, 'expected a decimal from 1 to 10, e.g. 1.2');
  const rateLimitPerSecond = integer(env, 'RATE_LIMIT_PER_SECOND', 20, 0, 1_000_000);
  return {
    secret,
    admitPerSecond: integer(env, 'QUEUE_ADMIT_PER_SECOND', 100, 1, 1_000_000),
    overAdmit: Number(overAdmit),
    passSeconds: integer(env, 'QUEUE_PASS_SECONDS', 120, 5, 86_400),
    difficulty: integer(env, 'POW_DIFFICULTY', 16, 0, 32),
    challengeSeconds: integer(env, 'POW_CHALLENGE_SECONDS', 120, 5, 3600),
    tickMs: integer(env, 'QUEUE_TICK_MS', 250, 10, 10_000),
    pushMs: integer(env, 'QUEUE_PUSH_MS', 250, 0, 10_000),
    rateLimitPerSecond,
    rateLimitBurst: integer(env, 'RATE_LIMIT_BURST', Math.max(1, rateLimitPerSecond * 2), 1, 1_000_000),
    trustProxy: bool(env, 'TRUST_PROXY', false),
  };
}

const ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * WORKERS and WORKER_WEIGHTS together: weights alone set the worker count
 * (one worker per weight); WORKERS alone gives that many workers of weight 1;
 * both must agree.
 */
function workersAndWeights(env: Env): { workers: number; weights: number[] } {
  const raw = env.WORKER_WEIGHTS;
  if (raw === undefined || raw === '') {
    const workers = integer(env, 'WORKERS', availableParallelism(), 1, 64);
    return { workers, weights: Array.from({ length: workers }, () => 1) };
  }
  const parts = raw.split(',').map((part) => part.trim());
  if (!parts.every((part) => /^\d+$/.test(part) && Number(part) >= 1 && Number(part) <= 100)) {
    throw new ConfigError('WORKER_WEIGHTS', raw, 'expected a comma-separated list of integers from 1 to 100, e.g. 1,2,3,4');
  }
  if (parts.length > 64) throw new ConfigError('WORKER_WEIGHTS', raw, `expected at most 64 weights (one per worker), got ${parts.length}`);
  const workers = integer(env, 'WORKERS', parts.length, 1, 64);
  if (parts.length !== workers) {
    throw new ConfigError('WORKER_WEIGHTS', raw, `expected ${workers} weights, one per worker (WORKERS=${workers}); or leave WORKERS unset and the weights set the count`);
  }
  return { workers, weights: parts.map(Number) };
}

/** The ledger rule: LEDGER wins; otherwise a set REDIS_URL means Redis, and no REDIS_URL means embedded. */
function ledgerFrom(env: Env): LedgerKind {
  const explicit = oneOf<LedgerKind | ''>(env, 'LEDGER', ['redis', 'embedded'], '');
  if (explicit !== '') return explicit;
  return env.REDIS_URL ? 'redis' : 'embedded';
}

const JWT_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'] as const;

function buyerAuthFrom(env: Env): BuyerAuthConfig {
  const mode = oneOf<BuyerAuthMode>(env, 'BUYER_AUTH', ['none', 'hmac', 'jwt'], 'none');
  const secret = text(env, 'BUYER_AUTH_SECRET', '');
  const keyFile = text(env, 'BUYER_AUTH_JWT_KEY', '');
  const jwt = {
    keyFile,
    algorithm: oneOf(env, 'BUYER_AUTH_JWT_ALG', JWT_ALGORITHMS, 'RS256'),
    issuer: text(env, 'BUYER_AUTH_JWT_ISSUER', '') || undefined,
    audience: text(env, 'BUYER_AUTH_JWT_AUDIENCE', '') || undefined,
  };
  if (mode === 'hmac' && secret.length < 32) {
    throw new ConfigError('BUYER_AUTH_SECRET', secret === '' ? '' : '<hidden>', 'BUYER_AUTH=hmac needs a secret of at least 32 characters, shared with the login that signs the tokens');
  }
  if (mode === 'jwt' && (keyFile === '' || !existsSync(keyFile))) {
    throw new ConfigError('BUYER_AUTH_JWT_KEY', keyFile, 'BUYER_AUTH=jwt needs the path of a PEM public key or a JWKS JSON file that exists');
  }
  return { mode, secret: secret || undefined, jwt: mode === 'jwt' ? jwt : undefined };
}

function workerSlotFrom(env: Env, workers: number): number | null {
  if (env.SPIKE_WORKER_SLOT === undefined || env.SPIKE_WORKER_SLOT === '') return null;
  return integer(env, 'SPIKE_WORKER_SLOT', 0, 0, workers - 1);
}

/** `idle` (SCHED_IDLE, the default) or a nice value 0-19. */
function threadPriority(env: Env, name: string): ThreadPriority {
  const value = env[name];
  if (value === undefined || value === '' || value === 'idle') return 'idle';
  if (!/^\d+$/.test(value) || Number(value) > 19) throw new ConfigError(name, value, 'expected idle or an integer from 0 to 19');
  return Number(value);
}

export function loadConfig(env: Env = process.env): Config {
  const { workers, weights } = workersAndWeights(env);
  const heartbeatIntervalMs = integer(env, 'HEARTBEAT_INTERVAL_MS', 250, 10, 60_000);
  const workerUnresponsiveMs = integer(env, 'WORKER_UNRESPONSIVE_MS', 1000, 20, 600_000);
  const workerHangRestartMs = integer(env, 'WORKER_HANG_RESTART_MS', 10_000, 40, 3_600_000);
  if (workerUnresponsiveMs < 2 * heartbeatIntervalMs) {
    throw new ConfigError('WORKER_UNRESPONSIVE_MS', String(workerUnresponsiveMs), `expected at least twice HEARTBEAT_INTERVAL_MS (${heartbeatIntervalMs}), or every worker would look silent between two pings`);
  }
  if (workerHangRestartMs <= workerUnresponsiveMs) {
    throw new ConfigError('WORKER_HANG_RESTART_MS', String(workerHangRestartMs), `expected more than WORKER_UNRESPONSIVE_MS (${workerUnresponsiveMs}): a silent worker is first taken out of the rotation, and killed only later`);
  }
  const adminToken = env.ADMIN_TOKEN === '' ? undefined : env.ADMIN_TOKEN;
  if (adminToken !== undefined && adminToken.length < 8) throw new ConfigError('ADMIN_TOKEN', '<hidden>', 'expected at least 8 characters');
  const metricsToken = env.METRICS_TOKEN === '' ? undefined : env.METRICS_TOKEN;
  if (metricsToken !== undefined && metricsToken.length < 8) throw new ConfigError('METRICS_TOKEN', '<hidden>', 'expected at least 8 characters');
  const socketDir = text(env, 'SOCKET_DIR', '');
  const gateToken = env.GATE_TOKEN === '' ? undefined : env.GATE_TOKEN;
  if (gateToken !== undefined && gateToken.length < 8) throw new ConfigError('GATE_TOKEN', '<hidden>', 'expected at least 8 characters');

  return Object.freeze({
    host: text(env, 'HOST', '0.0.0.0'),
    port: integer(env, 'PORT', 3005, 0, 65535),
    workers,
    weights: Object.freeze(weights),
    balancer: oneOf<BalancerMode>(env, 'BALANCER', ['handoff', 'proxy', 'reuseport'], 'handoff'),
    ledger: ledgerFrom(env),
    redisUrl: matching(env, 'REDIS_URL', /^rediss?:\/\//, 'expected a redis:// or rediss:// URL', 'redis://127.0.0.1:6379'),
    redisCluster: bool(env, 'REDIS_CLUSTER', false),
    redisPrefix: matching(env, 'REDIS_PREFIX', /^[A-Za-z0-9_.:-]{1,64}$/, 'expected 1-64 characters of A-Z a-z 0-9 _ - . :', 'spike'),
    redisAutoPipelining: bool(env, 'REDIS_AUTO_PIPELINING', false),
    redisReserveBatch: integer(env, 'REDIS_RESERVE_BATCH', 64, 1, 1000),
    redisBatchWindowMs: integer(env, 'REDIS_BATCH_WINDOW_MS', 2, 0, 1000),
    redisWaitReplicas: integer(env, 'REDIS_WAIT_REPLICAS', 0, 0, 16),
    redisWaitTimeoutMs: integer(env, 'REDIS_WAIT_TIMEOUT_MS', 500, 1, 60_000),
    ledgerTimeoutMs: integer(env, 'LEDGER_TIMEOUT_MS', 1000, 10, 60_000),
    localBuffer: integer(env, 'LOCAL_BUFFER', 10, 0, 1_000_000),
    saleViewTtlMs: integer(env, 'SALE_VIEW_TTL_MS', 100, 0, 60_000),
    allowanceRefreshMs: integer(env, 'ALLOWANCE_REFRESH_MS', 20, 0, 60_000),
    adminToken,
    defaultSaleId: matching(env, 'DEFAULT_SALE_ID', ID_PATTERN, 'expected 1-64 characters of A-Z a-z 0-9 _ -', 'demo'),
    defaultSaleTotal: integer(env, 'DEFAULT_SALE_TOTAL', 10_000, 0, 1_000_000_000),
    defaultSaleHoldSeconds: integer(env, 'DEFAULT_SALE_HOLD_SECONDS', 900, 0, 86_400),
    holdSweepMs: integer(env, 'HOLD_SWEEP_MS', 250, 10, 60_000),
    boxHeartbeatMs: integer(env, 'BOX_HEARTBEAT_MS', 1000, 50, 60_000),
    maxBodyBytes: 4096,
    // Unset, the primary makes its own fresh directory (openSocketDir) and hands that path to its workers.
    socketDir: socketDir || join(tmpdir(), `spike-${process.pid}`),
    socketDirIsDefault: socketDir === '',
    dataDir: text(env, 'DATA_DIR', './data'),
    journalFsync: oneOf<JournalFsync>(env, 'JOURNAL_FSYNC', ['batch', 'off'], 'batch'),
    feedMaxEvents: integer(env, 'FEED_MAX_EVENTS', 100_000, 10, 1_000_000_000),
    journalCompactBytes: Math.round(decimal(env, 'JOURNAL_COMPACT_MB', 64, 0, 1_000_000) * 1e6),
    journalCompactNice: threadPriority(env, 'JOURNAL_COMPACT_NICE'),
    saleRetentionMs: retentionFrom(env),
    saleArchiveDir: text(env, 'SALE_ARCHIVE_DIR', '') || join(text(env, 'DATA_DIR', './data'), 'archive'),
    retentionSweepMs: integer(env, 'RETENTION_SWEEP_MS', 60_000, 100, 86_400_000),
    shutdownTimeoutMs: integer(env, 'SHUTDOWN_TIMEOUT_MS', 10_000, 100, 600_000),
    admission: Object.freeze(admissionFrom(env)),
    idleTimeoutMs: integer(env, 'IDLE_TIMEOUT_MS', 10_000, 100, 3_600_000),
    maxConnections: env.MAX_CONNECTIONS ? integer(env, 'MAX_CONNECTIONS', 0, 1, 10_000_000) : undefined,
    ticketSigningKey: text(env, 'TICKET_SIGNING_KEY', '') || null,
    ticketThreads: integer(env, 'TICKET_THREADS', 1, 0, 64),
    ticketThreadNice: threadPriority(env, 'TICKET_THREAD_NICE'),
    ticketRenderQueue: integer(env, 'TICKET_RENDER_QUEUE', 128, 1, 100_000),
    ticketIssueMs: integer(env, 'TICKET_ISSUE_MS', 250, 10, 600_000),
    gateToken,
    checkinMemory: integer(env, 'CHECKIN_MEMORY', 10_000, 0, 10_000_000),
    metrics: bool(env, 'METRICS', true),
    metricsToken,
    metricsPort: integer(env, 'METRICS_PORT', 0, 0, 65535),
    jitInterruptBudget: integer(env, 'JIT_INTERRUPT_BUDGET', 4000, 0, 10_000_000),
    warmupRequests: integer(env, 'WARMUP_REQUESTS', 2000, 0, 100_000),
    warmupFrontRequests: integer(env, 'WARMUP_FRONT_REQUESTS', 10_000, 0, 1_000_000),
    logLevel: oneOf<LogLevel>(env, 'LOG_LEVEL', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], 'info'),
    logFormat: oneOf<LogFormat>(env, 'LOG_FORMAT', ['json', 'pretty'], 'json'),
    ledgerSlowMs: integer(env, 'LEDGER_SLOW_MS', 100, 1, 600_000),
    workerSlot: workerSlotFrom(env, workers),
    workerRestarts: integer(env, 'SPIKE_WORKER_RESTARTS', 0, 0, Number.MAX_SAFE_INTEGER),
    buyerAuth: Object.freeze(buyerAuthFrom(env)),
    heartbeatIntervalMs,
    workerUnresponsiveMs,
    workerHangRestartMs,
  });
}

/** SALE_RETENTION_DAYS in ms; 0 or unset keeps every sale forever. Fractions of a day are allowed (tests, short-lived demos). */
function retentionFrom(env: Env): number | null {
  const days = decimal(env, 'SALE_RETENTION_DAYS', 0, 0, 36_500);
  return days === 0 ? null : Math.round(days * 86_400_000);
}
