// Connections to Redis, or to a Redis Cluster, set up to fail fast: a dead
// Redis answers 503 within LEDGER_TIMEOUT_MS instead of queueing commands to
// run later behind the buyer's back.
import Redis, { Cluster, type ClusterOptions, type RedisOptions } from 'ioredis';

export type RedisClient = Redis | Cluster;

export interface ConnectionOptions {
  readonly url: string;
  readonly cluster?: boolean;
  readonly timeoutMs: number;
  readonly autoPipelining: boolean;
}

const reconnectDelay = (attempt: number) => Math.min(50 * attempt, 1000);

/**
 * No offline queue, no resend of in-flight commands after a reconnect (the
 * caller retries, with the same request key), and a per-command timeout.
 */
export function failFastOptions(timeoutMs: number, autoPipelining: boolean): RedisOptions {
  return {
    lazyConnect: true,
    enableOfflineQueue: false,
    autoResendUnfulfilledCommands: false,
    maxRetriesPerRequest: 0,
    commandTimeout: timeoutMs,
    connectTimeout: Math.max(timeoutMs, 2000),
    enableAutoPipelining: autoPipelining,
    retryStrategy: reconnectDelay,
  };
}

function clusterSeed(url: string): { host: string; port: number } {
  const parsed = new URL(url);
  return { host: parsed.hostname, port: Number(parsed.port || 6379) };
}

export function createClient(options: ConnectionOptions): RedisClient {
  const base = failFastOptions(options.timeoutMs, options.autoPipelining);
  if (!options.cluster) return new Redis(options.url, base);
  const { retryStrategy: _retry, enableOfflineQueue: _queue, lazyConnect: _lazy, enableAutoPipelining: _pipelining, ...perNode } = base;
  const parsed = new URL(options.url);
  const clusterOptions: ClusterOptions = {
    lazyConnect: true,
    enableOfflineQueue: false,
    enableAutoPipelining: options.autoPipelining,
    clusterRetryStrategy: reconnectDelay,
    slotsRefreshTimeout: Math.max(options.timeoutMs, 1000),
    redisOptions: { ...perNode, username: parsed.username || undefined, password: parsed.password || undefined },
  };
  return new Cluster([clusterSeed(options.url)], clusterOptions);
}

/** A second connection for pub/sub (a subscribed connection can run nothing else); it re-subscribes after reconnects. */
export function createSubscriber(options: ConnectionOptions): RedisClient {
  const subscriber = options.cluster
    ? new Cluster([clusterSeed(options.url)], { clusterRetryStrategy: reconnectDelay })
    : new Redis(options.url, { maxRetriesPerRequest: null, retryStrategy: reconnectDelay });
  subscriber.on('error', () => {});
  return subscriber;
}

/** Connects, or rejects within deadlineMs naming the URL; never waits on the retry loop. */
export async function connectOrFail(redis: RedisClient, url: string, deadlineMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  let lastError: Error | undefined;
  const onError = (error: Error) => {
    lastError = error;
  };
  redis.on('error', onError);
  try {
    await Promise.race([
      redis.connect(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`cannot reach Redis at ${url} within ${deadlineMs} ms${lastError ? ` (${lastError.message})` : ''}`)), deadlineMs);
      }),
    ]);
  } catch (error) {
    redis.disconnect();
    throw error instanceof Error && error.message.startsWith('cannot reach') ? error : new Error(`cannot reach Redis at ${url}: ${(error as Error).message}`);
  } finally {
    clearTimeout(timer);
    redis.off('error', onError);
  }
}
