// An exclusive lock that the kernel releases when its holder dies: flock(2) on
// an open file, for DATA_DIR and the worker socket directory. Unlike a pid in a
// file, it cannot be fooled by a pid from another PID namespace or by two starts racing.
import { spawnSync } from 'node:child_process';
import { closeSync, constants, ftruncateSync, openSync, readFileSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';

/** Held while its file descriptor is open: closing it, or the process dying, releases it. */
export interface FileLock {
  readonly path: string;
  release(): void;
}

/** Node has no flock(); util-linux flock(1) locks the descriptor we pass it as fd 3. */
const CONFLICT_EXIT = 75;

function bootId(): string {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return 'unknown';
  }
}

/** Who holds the lock, as its holder wrote it: for the error message only, never to decide. */
export function lockHolder(path: string): string {
  try {
    return readFileSync(path, 'utf8').trim() || 'unknown';
  } catch {
    return 'unknown';
  }
}

/**
 * Takes an exclusive flock on `path` (created if absent) without waiting;
 * null if another open file holds it. The lock belongs to the open file, which
 * only this process keeps open (Node opens files close-on-exec, so workers do
 * not inherit it). The file is never deleted: a second process that had it
 * open would otherwise lock a file nobody else can find.
 */
export function tryLockFile(path: string): FileLock | null {
  const fd = openSync(path, constants.O_RDWR | constants.O_CREAT, 0o644);
  let locked = false;
  try {
    const result = spawnSync('flock', ['--exclusive', '--nonblock', '--conflict-exit-code', String(CONFLICT_EXIT), '3'], { stdio: ['ignore', 'ignore', 'pipe', fd] });
    if (result.error) {
      const code = (result.error as NodeJS.ErrnoException).code;
      throw new Error(`cannot lock ${path}: flock(1) ${code === 'ENOENT' ? 'is not installed (Debian/Ubuntu: util-linux)' : `failed: ${result.error.message}`}`);
    }
    if (result.status === CONFLICT_EXIT) return null;
    if (result.status !== 0) throw new Error(`cannot lock ${path}: flock(1) exited ${result.status}: ${result.stderr.toString().trim()}`);
    locked = true;
    // For a person reading the file; the kernel lock alone decides.
    const who = Buffer.from(`pid ${process.pid} on host ${hostname()}, boot ${bootId()}, since ${new Date().toISOString()}\n`);
    ftruncateSync(fd, 0);
    writeSync(fd, who, 0, who.length, 0);
  } finally {
    if (!locked) closeSync(fd);
  }
  let held = true;
  return {
    path,
    release() {
      if (!held) return;
      held = false;
      closeSync(fd);
    },
  };
}
