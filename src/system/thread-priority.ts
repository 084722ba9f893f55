// Lowers the calling thread's CPU priority, for background threads that must
// take only the CPU the event loops leave over: the ticket render threads and
// the journal's compaction thread. Linux schedules each thread on its own, so
// this touches no other thread of the process.
import { execFileSync } from 'node:child_process';
import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';

/** `idle`: SCHED_IDLE; a number: that nice value (0 leaves the thread as it is). */
export type ThreadPriority = 'idle' | number;

/**
 * SCHED_IDLE runs a thread only when no normal thread wants the CPU. Nice 19
 * is not enough on a 2-core box: a nice-19 render loop beside a purchase
 * flood still cost it 10-25% of its throughput (measured), SCHED_IDLE about
 * half of that. Node has no sched_setscheduler, so util-linux's chrt sets it
 * on this thread's id (/proc/thread-self names it). Returns false when the
 * priority could not be lowered (not permitted, no chrt): the thread then
 * runs at what was set, which costs latency, never correctness.
 */
export function lowerThreadPriority(priority: ThreadPriority): boolean {
  try {
    // Process id 0 is the calling thread on Linux. Also the fallback if chrt is missing.
    if (priority !== 0) setPriority(0, priority === 'idle' ? 19 : priority);
    if (priority === 'idle') {
      const threadId = readlinkSync('/proc/thread-self').split('/').pop()!;
      execFileSync('chrt', ['--idle', '--pid', '0', threadId], { stdio: 'ignore', timeout: 5000 });
    }
    return true;
  } catch {
    return false;
  }
}

/**
 * The setting a thread could not lower its priority to, as the warning that
 * says so names it: `NAME=value`, and for `idle` what sets SCHED_IDLE, the
 * usual reason it failed.
 */
export function wantedPriority(setting: string, priority: ThreadPriority): string {
  return `${setting}=${priority}${priority === 'idle' ? " (SCHED_IDLE is set with util-linux's chrt: is it installed and permitted?)" : ''}`;
}
