// CPU time of a process from /proc, so the bench can say who used the two cores:
// the generator, the server under test, or Redis.
import { readdirSync, readFileSync } from 'node:fs';
import type Redis from 'ioredis';

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

/** User + system CPU of one process in milliseconds, or 0 when it is gone or /proc is missing. */
export function processCpuMs(pid: number | undefined): number {
  if (!pid) return 0;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which is in parentheses and may hold spaces.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    return ((utime + stime) * 1000) / TICKS_PER_SECOND;
  } catch {
    return 0;
  }
}

export function totalCpuMs(pids: readonly (number | undefined)[]): number {
  return pids.reduce<number>((sum, pid) => sum + processCpuMs(pid), 0);
}

/** The direct children of a process (a cluster primary's workers), from /proc; empty when it is gone. */
export function childPids(pid: number | undefined): number[] {
  if (!pid) return [];
  try {
    return readdirSync(`/proc/${pid}/task`).flatMap((tid) =>
      readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8')
        .split(' ')
        .filter((field) => field !== '')
        .map(Number),
    );
  } catch {
    return [];
  }
}

/** Redis's own CPU so far in milliseconds (INFO cpu: user + system), for the whole Redis whoever its clients are. */
export async function redisCpuMs(redis: Redis): Promise<number> {
  const info = await redis.info('cpu');
  const seconds = (name: string) => Number(new RegExp(`${name}:([\\d.]+)`).exec(info)?.[1] ?? 0);
  return (seconds('used_cpu_user') + seconds('used_cpu_sys')) * 1000;
}
