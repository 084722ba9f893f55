// Reads Redis's persistence settings at start-up: with no AOF, or an AOF that
// is never fsynced, a Redis crash can lose orders buyers were told about.
import type { RedisClient } from './connection';

/** Warnings naming each setting that can lose acknowledged orders; empty when the settings are safe. */
export async function durabilityWarnings(redis: RedisClient): Promise<string[]> {
  let settings: Record<string, string>;
  try {
    const pairs = (await redis.config('GET', 'appendonly')) as string[];
    const more = (await redis.config('GET', 'appendfsync')) as string[];
    settings = Object.fromEntries([...chunk(pairs), ...chunk(more)]);
  } catch (error) {
    return [`could not read Redis persistence settings (${(error as Error).message}); make sure appendonly is yes and appendfsync is always or everysec`];
  }
  const warnings: string[] = [];
  if (settings.appendonly !== 'yes') {
    warnings.push('Redis has appendonly no: a Redis crash or restart loses every order since the last snapshot. Set appendonly yes (see config/redis.conf)');
  } else if (settings.appendfsync === 'no') {
    warnings.push('Redis has appendfsync no: the OS decides when orders reach disk, and a machine crash can lose many seconds of them. Set appendfsync always (or everysec to risk about one second)');
  } else if (settings.appendfsync === 'everysec') {
    warnings.push('Redis has appendfsync everysec: a machine crash can lose up to about one second of acknowledged orders. Set appendfsync always for none');
  }
  return warnings;
}

function chunk(flat: string[]): Array<[string, string]> {
  const pairs: Array<[string, string]> = [];
  for (let i = 0; i + 1 < flat.length; i += 2) pairs.push([flat[i]!, flat[i + 1]!]);
  return pairs;
}
