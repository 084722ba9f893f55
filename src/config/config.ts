// Every environment variable spike reads, validated once at start-up and
// frozen into one typed object. A bad value stops the start; nothing is clamped.
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';

export type BalancerMode = 'handoff' | 'proxy' | 'reuseport';
export type LedgerKind = 'redis' | 'embedded';
export type JournalFsync = 'batch' | 'off';

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
  readonly ledgerTimeoutMs: number;
  readonly localBuffer: number;
  readonly saleViewTtlMs: number;
  readonly allowanceRefreshMs: number;
  readonly adminToken: string | undefined;
  readonly defaultSaleId: string;
  readonly defaultSaleTotal: number;
  readonly defaultSaleHoldSeconds: number;
  readonly holdSweepMs: number;
  readonly maxBodyBytes: number;
  readonly socketDir: string;
  readonly dataDir: string;
  readonly journalFsync: JournalFsync;
  readonly shutdownTimeoutMs: number;
  /** A client connection silent this long, with no answer pending, is closed (proxy and handoff). */
  readonly idleTimeoutMs: number;
  /** Client connections one relaying process holds; undefined: derived from its open-file limit. */
  readonly maxConnections: number | undefined;
}

export class ConfigError extends Error {
  constructor(variable: string, value: string, allowed: string) {
    super(`${variable}=${JSON.stringify(value)} is not valid: ${allowed}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

function integer(env: Env, name: string, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw.trim())) throw new ConfigError(name, raw, `expected an integer from ${min} to ${max}`);
  const value = Number(raw.trim());
  if (value < min || value > max) throw new ConfigError(name, raw, `expected an integer from ${min} to ${max}`);
  return value;
}

function oneOf<T extends string>(env: Env, name: string, allowed: readonly T[], fallback: T): T {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!(allowed as readonly string[]).includes(raw)) throw new ConfigError(name, raw, `expected one of ${allowed.join(', ')}`);
  return raw as T;
}

function bool(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (['1', 'true', 'yes', 'on'].includes(raw)) return true;
  if (['0', 'false', 'no', 'off'].includes(raw)) return false;
  throw new ConfigError(name, raw, 'expected true or false');
}

const ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

function weightsFrom(env: Env, workers: number): number[] {
  const raw = env.WORKER_WEIGHTS;
  if (raw === undefined || raw === '') return Array.from({ length: workers }, () => 1);
  const parts = raw.split(',').map((part) => part.trim());
  if (!parts.every((part) => /^\d+$/.test(part) && Number(part) >= 1 && Number(part) <= 100)) {
    throw new ConfigError('WORKER_WEIGHTS', raw, 'expected a comma-separated list of integers from 1 to 100, e.g. 1,2,3,4');
  }
  if (parts.length !== workers) {
    throw new ConfigError('WORKER_WEIGHTS', raw, `expected ${workers} weights, one per worker (WORKERS=${workers})`);
  }
  return parts.map(Number);
}

/** The ledger rule: LEDGER wins; otherwise a set REDIS_URL means Redis, and no REDIS_URL means embedded. */
function ledgerFrom(env: Env): LedgerKind {
  const explicit = oneOf<LedgerKind | ''>(env, 'LEDGER', ['redis', 'embedded'], '');
  if (explicit !== '') return explicit;
  return env.REDIS_URL ? 'redis' : 'embedded';
}

export function loadConfig(env: Env = process.env): Config {
  const workers = integer(env, 'WORKERS', availableParallelism(), 1, 64);
  const redisUrl = env.REDIS_URL || 'redis://127.0.0.1:6379';
  if (!/^rediss?:\/\//.test(redisUrl)) throw new ConfigError('REDIS_URL', redisUrl, 'expected a redis:// or rediss:// URL');
  const redisPrefix = env.REDIS_PREFIX ?? 'spike';
  if (!/^[A-Za-z0-9_.:-]{1,64}$/.test(redisPrefix)) throw new ConfigError('REDIS_PREFIX', redisPrefix, 'expected 1-64 characters of A-Z a-z 0-9 _ - . :');
  const defaultSaleId = env.DEFAULT_SALE_ID || 'demo';
  if (!ID_PATTERN.test(defaultSaleId)) throw new ConfigError('DEFAULT_SALE_ID', defaultSaleId, 'expected 1-64 characters of A-Z a-z 0-9 _ -');
  const adminToken = env.ADMIN_TOKEN === '' ? undefined : env.ADMIN_TOKEN;
  if (adminToken !== undefined && adminToken.length < 8) throw new ConfigError('ADMIN_TOKEN', '<hidden>', 'expected at least 8 characters');

  return Object.freeze({
    host: env.HOST || '0.0.0.0',
    port: integer(env, 'PORT', 3005, 0, 65535),
    workers,
    weights: Object.freeze(weightsFrom(env, workers)),
    balancer: oneOf<BalancerMode>(env, 'BALANCER', ['handoff', 'proxy', 'reuseport'], 'handoff'),
    ledger: ledgerFrom(env),
    redisUrl,
    redisCluster: bool(env, 'REDIS_CLUSTER', false),
    redisPrefix,
    redisAutoPipelining: bool(env, 'REDIS_AUTO_PIPELINING', false),
    ledgerTimeoutMs: integer(env, 'LEDGER_TIMEOUT_MS', 1000, 10, 60_000),
    localBuffer: integer(env, 'LOCAL_BUFFER', 10, 0, 1_000_000),
    saleViewTtlMs: integer(env, 'SALE_VIEW_TTL_MS', 100, 0, 60_000),
    allowanceRefreshMs: integer(env, 'ALLOWANCE_REFRESH_MS', 20, 0, 60_000),
    adminToken,
    defaultSaleId,
    defaultSaleTotal: integer(env, 'DEFAULT_SALE_TOTAL', 10_000, 0, 1_000_000_000),
    defaultSaleHoldSeconds: integer(env, 'DEFAULT_SALE_HOLD_SECONDS', 900, 0, 86_400),
    holdSweepMs: integer(env, 'HOLD_SWEEP_MS', 250, 10, 60_000),
    maxBodyBytes: 4096,
    socketDir: env.SOCKET_DIR || join(tmpdir(), `spike-${process.pid}`),
    dataDir: env.DATA_DIR || './data',
    journalFsync: oneOf<JournalFsync>(env, 'JOURNAL_FSYNC', ['batch', 'off'], 'batch'),
    shutdownTimeoutMs: integer(env, 'SHUTDOWN_TIMEOUT_MS', 10_000, 100, 600_000),
    idleTimeoutMs: integer(env, 'IDLE_TIMEOUT_MS', 10_000, 100, 3_600_000),
    maxConnections: env.MAX_CONNECTIONS ? integer(env, 'MAX_CONNECTIONS', 0, 1, 10_000_000) : undefined,
  });
}
