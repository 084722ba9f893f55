// The open-file limit of this process: read from /proc, raised from the soft to
// the hard limit at start-up (Node has no setrlimit; util-linux's prlimit does
// it for our own pid), and the connection cap derived from it.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

export interface FdLimit {
  readonly soft: number;
  readonly hard: number;
}

/** Descriptors kept back for the ledger, journal, IPC, listeners and logs. */
const RESERVED_FDS = 256;

export function readFdLimit(pid: number | 'self' = 'self'): FdLimit | null {
  try {
    const line = /^Max open files\s+(\S+)\s+(\S+)/m.exec(readFileSync(`/proc/${pid}/limits`, 'utf8'));
    if (!line) return null;
    const value = (text: string) => (text === 'unlimited' ? Number.MAX_SAFE_INTEGER : Number(text));
    return { soft: value(line[1]!), hard: value(line[2]!) };
  } catch {
    return null;
  }
}

/** Raises the soft limit to the hard one where allowed; says what happened, for the start-up log. */
export function raiseFdLimit(): { limit: FdLimit | null; note: string } {
  const before = readFdLimit();
  if (before === null) return { limit: null, note: 'open-file limit unknown (no /proc)' };
  if (before.soft >= before.hard) return { limit: before, note: `open-file limit ${before.soft}` };
  try {
    execFileSync('prlimit', ['--pid', String(process.pid), `--nofile=${before.hard}:${before.hard}`], { stdio: 'ignore', timeout: 2000 });
  } catch (error) {
    return { limit: before, note: `open-file limit ${before.soft} (could not raise it to the hard limit ${before.hard}: ${(error as Error).message.split('\n')[0]})` };
  }
  const after = readFdLimit() ?? before;
  return { limit: after, note: `open-file limit raised from ${before.soft} to ${after.soft}` };
}

/**
 * MAX_CONNECTIONS when not set: a relayed client holds one descriptor, plus one
 * to uWS while a request is in flight, so two each, after the reserve.
 */
export function defaultMaxConnections(limit: FdLimit | null): number {
  const soft = limit?.soft ?? 1024;
  return Math.max(16, Math.floor((Math.min(soft, 1_000_000) - RESERVED_FDS) / 2));
}
