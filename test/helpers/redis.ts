// Test helpers for a real Redis: a unique key prefix per test file, and cleanup.
import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';

export const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

export function uniquePrefix(label: string): string {
  return `spiketest-${label}-${randomBytes(4).toString('hex')}`;
}

export function adminRedis(url = REDIS_URL): Redis {
  return new Redis(url, { lazyConnect: false, maxRetriesPerRequest: 1 });
}

/** Deletes every key under the prefix. */
export async function dropPrefix(redis: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) await redis.del(...keys);
  } while (cursor !== '0');
}

/** Calls of one script, by its SHA, from INFO commandstats is not possible; this counts all EVALSHA+EVAL calls. */
export async function scriptCalls(redis: Redis): Promise<number> {
  const info = await redis.info('commandstats');
  let calls = 0;
  for (const line of info.split('\n')) {
    const match = /^cmdstat_(evalsha|eval):calls=(\d+)/.exec(line.trim());
    if (match) calls += Number(match[2]);
  }
  return calls;
}
