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

import { dropPrefix, scriptCalls } from '../../harness/redis-admin';

export { dropPrefix, scriptCalls };

/** Removes every key under `prefix` (a test's cleanup), on a connection of its own. */
export async function dropTestPrefix(prefix: string): Promise<void> {
  const redis = adminRedis();
  try {
    await dropPrefix(redis, prefix);
  } finally {
    await redis.quit();
  }
}
