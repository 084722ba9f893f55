// The private directory of proxy mode's worker sockets. A primary killed with
// SIGKILL cannot remove its own, so each start clears those of dead primaries.
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isProcessAlive } from '../system/process-alive';

/** Removes temp-dir socket directories (spike-<pid>) whose primary is gone. */
export function removeStaleSocketDirs(dir = tmpdir()): number {
  let removed = 0;
  for (const name of readdirSync(dir)) {
    const match = /^spike-(\d+)$/.exec(name);
    if (!match || Number(match[1]) === process.pid || isProcessAlive(Number(match[1]))) continue;
    const path = join(dir, name);
    try {
      // Only what spike itself puts there: worker sockets.
      if (!readdirSync(path).every((file) => /^worker-\d+\.sock$/.test(file))) continue;
      rmSync(path, { recursive: true, force: true });
      removed++;
    } catch {
      // Not a directory, or gone meanwhile: not ours to clean.
    }
  }
  return removed;
}

export function prepareSocketDir(socketDir: string, isDefault: boolean): void {
  if (isDefault) removeStaleSocketDirs();
  mkdirSync(socketDir, { recursive: true });
}
