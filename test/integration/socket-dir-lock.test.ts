// The worker socket directory's lock and clean-up, with real processes
// holding real kernel locks: a live holder's directory is never removed.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { it } from 'node:test';
import { openSocketDir, removeStaleSocketDirs } from '../../src/cluster/socket-dir';

const FILE_LOCK = join(__dirname, '..', '..', 'src', 'system', 'file-lock.js');

/** A separate process holding the lock on `path` until killed; resolves once it holds it. */
async function holdLock(path: string) {
  const script = `if (!require(${JSON.stringify(FILE_LOCK)}).tryLockFile(${JSON.stringify(path)})) process.exit(3); console.log('held'); setInterval(() => {}, 1e6);`;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    child.stdout!.once('data', () => resolve());
    child.once('exit', (code) => reject(new Error(`flock exited ${code}`)));
  });
  return child;
}

it('removes socket directories whose lock nobody holds, and never a held one, whatever pid it names', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'spike-sockets-test-'));
  const holder = { kill: () => {} } as { kill: () => void };
  try {
    // A dead primary's directory: a LOCK nobody holds.
    mkdirSync(join(dir, 'spike-dead01'));
    writeFileSync(join(dir, 'spike-dead01', 'LOCK'), 'pid 12 on host elsewhere\n');
    writeFileSync(join(dir, 'spike-dead01', 'worker-0.sock'), '');
    // A live one whose LOCK names a pid that does not exist here (another PID namespace).
    mkdirSync(join(dir, 'spike-live01'));
    writeFileSync(join(dir, 'spike-live01', 'worker-0.sock'), '');
    const child = await holdLock(join(dir, 'spike-live01', 'LOCK'));
    holder.kill = () => child.kill('SIGKILL');
    writeFileSync(join(dir, 'spike-live01', 'LOCK'), `pid ${2 ** 22 + 12345} on host container-b\n`);
    // Not ours: no LOCK, or something else inside.
    mkdirSync(join(dir, 'spike-nolock'));
    writeFileSync(join(dir, 'spike-nolock', 'worker-0.sock'), '');
    mkdirSync(join(dir, 'spike-data'));
    writeFileSync(join(dir, 'spike-data', 'LOCK'), '');
    writeFileSync(join(dir, 'spike-data', 'precious.txt'), 'not ours');

    assert.equal(removeStaleSocketDirs(dir), 1);
    assert.equal(existsSync(join(dir, 'spike-dead01')), false);
    assert.ok(existsSync(join(dir, 'spike-live01', 'worker-0.sock')), 'a live primary keeps its sockets');
    assert.ok(existsSync(join(dir, 'spike-nolock')));
    assert.ok(existsSync(join(dir, 'spike-data', 'precious.txt')));

    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
    assert.equal(removeStaleSocketDirs(dir), 1, 'once its holder is dead, the kernel lets go and the directory goes');
    assert.equal(existsSync(join(dir, 'spike-live01')), false);
  } finally {
    holder.kill();
    rmSync(dir, { recursive: true, force: true });
  }
});

it('refuses a configured SOCKET_DIR another process holds', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'spike-sockets-test-'));
  try {
    const first = openSocketDir(dir);
    assert.throws(() => openSocketDir(dir), new RegExp(`SOCKET_DIR ${dir} is in use by another spike .*pid ${process.pid} on host`));
    first.close();
    const again = openSocketDir(dir);
    again.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
