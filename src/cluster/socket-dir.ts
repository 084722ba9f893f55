// The private directory of the workers' unix sockets, and the one place that
// names the sockets in it. Each primary makes its own (a fresh random name) and
// holds a kernel lock on it for its life, so another spike, in any PID
// namespace, can tell a live instance's directory from one a killed primary left.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lockHolder, tryLockFile, type FileLock } from '../system/file-lock';

const LOCK_FILE = 'LOCK';
/** A fresh directory is locked under this name first, then renamed: a LOCK that exists is always held. */
const NEW_LOCK_FILE = 'LOCK.new';
const DEFAULT_PREFIX = 'spike-';

export interface SocketDir {
  readonly path: string;
  /** Removes the sockets (and a default directory itself) and lets go of the lock. */
  close(): void;
}

/** Where the worker in a slot listens in proxy mode. uWS 20.30 cannot bind an abstract socket name, so it is a file. */
export function workerSocketPath(socketDir: string, slot: number): string {
  return join(socketDir, `worker-${slot}.sock`);
}

/** Where the primary and the worker in a slot meet, for a moment before each fork, to make the worker's handle channel (handoff mode). */
export function handoffRendezvousPath(socketDir: string, slot: number): string {
  return join(socketDir, `worker-${slot}-handoff.sock`);
}

/** Only what spike itself puts in its directory: the lock and sockets. */
const OURS = /^(LOCK|LOCK\.new|[A-Za-z0-9_-]+\.sock)$/;

/**
 * Removes temp-dir socket directories whose primary is gone: those whose LOCK
 * this process can take. A live primary's lock cannot be taken, whatever
 * PID namespace it runs in; directories without a LOCK are left alone.
 */
export function removeStaleSocketDirs(dir = tmpdir()): number {
  let removed = 0;
  for (const name of readdirSync(dir)) {
    if (!name.startsWith(DEFAULT_PREFIX)) continue;
    const path = join(dir, name);
    let lock: FileLock | null = null;
    try {
      const files = readdirSync(path);
      if (!files.includes(LOCK_FILE) || !files.every((file) => OURS.test(file))) continue;
      lock = tryLockFile(join(path, LOCK_FILE));
      if (!lock) continue;
      rmSync(path, { recursive: true, force: true });
      removed++;
    } catch {
      // Not a directory, or gone meanwhile: not ours to clean.
    } finally {
      lock?.release();
    }
  }
  return removed;
}

/**
 * Locks the configured SOCKET_DIR, or makes and locks a fresh one in the temp
 * dir (clearing dead primaries' first). Two live spikes never share one: the
 * second would delete the first's sockets as it starts its workers.
 */
export function openSocketDir(configured: string | undefined): SocketDir {
  let path: string;
  if (configured) {
    path = configured;
    mkdirSync(path, { recursive: true });
  } else {
    removeStaleSocketDirs();
    path = mkdtempSync(join(tmpdir(), DEFAULT_PREFIX));
  }
  const lockPath = join(path, LOCK_FILE);
  let lock: FileLock | null;
  if (existsSync(lockPath)) {
    lock = tryLockFile(lockPath);
  } else {
    lock = tryLockFile(join(path, NEW_LOCK_FILE));
    if (lock) renameSync(join(path, NEW_LOCK_FILE), lockPath);
  }
  if (!lock) {
    throw new Error(`SOCKET_DIR ${path} is in use by another spike (${lockPath} is locked; it says: ${lockHolder(lockPath)}). Give each instance its own SOCKET_DIR, or leave it unset`);
  }
  const held = lock;
  return {
    path,
    close() {
      // A configured directory keeps its LOCK: deleting a lock file while another
      // process may have it open would let two processes hold "the" lock.
      if (configured) {
        for (const file of readdirSync(path)) if (file.endsWith('.sock')) rmSync(join(path, file), { force: true });
      } else {
        rmSync(path, { recursive: true, force: true });
      }
      held.release();
    },
  };
}
