// Temporary directories that the test file removes when it ends.
//
// Removed when the process exits, not in a node:test after() hook: that hook
// was registered once per process, by the first test to make a directory, and
// a hook registered from inside a test belongs to that test, so every
// directory made after it was left in /tmp (a few dozen per CI run). Each
// integration file runs in a process of its own and the unit files in two
// processes, so the exit comes after the last test that could use them.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const dirs: string[] = [];

function removeAll(): void {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

export function tempDir(prefix = 'spike-test-'): string {
  if (dirs.length === 0) process.once('exit', removeAll);
  const dir = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
}
