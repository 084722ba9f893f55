// Redis housekeeping shared by the bench and the tests: clearing a key prefix,
// and counting script calls from the server's own INFO commandstats.
import type Redis from 'ioredis';

/** Deletes every key under the prefix (SCAN, so the server is never blocked). */
export async function dropPrefix(redis: Pick<Redis, 'scan' | 'del'>, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) await redis.del(...keys);
  } while (cursor !== '0');
}

/**
 * Every script call the server ran (EVAL, EVALSHA, their read-only forms and
 * FCALL): Redis counts per command, not per script, so callers take out the
 * scripts that are not the one they measure.
 */
export async function scriptCalls(redis: Pick<Redis, 'info'>): Promise<number> {
  const info = await redis.info('commandstats');
  let calls = 0;
  for (const line of info.split('\n')) {
    const match = /^cmdstat_(evalsha|eval|evalsha_ro|eval_ro|fcall):calls=(\d+)/.exec(line.trim());
    if (match) calls += Number(match[2]);
  }
  return calls;
}
