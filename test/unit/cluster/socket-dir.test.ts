import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { it } from 'node:test';
import { removeStaleSocketDirs } from '../../../src/cluster/socket-dir';

it("removes the socket directories of dead primaries, and nothing else", () => {
  const dir = mkdtempSync(join(tmpdir(), 'spike-sockets-test-'));
  try {
    const deadPid = 2 ** 22 + 12345; // above Linux's pid_max: no such process
    mkdirSync(join(dir, `spike-${deadPid}`));
    writeFileSync(join(dir, `spike-${deadPid}`, 'worker-0.sock'), '');
    mkdirSync(join(dir, `spike-${process.pid}`));
    mkdirSync(join(dir, `spike-${deadPid + 1}`));
    writeFileSync(join(dir, `spike-${deadPid + 1}`, 'precious.txt'), 'not ours');
    mkdirSync(join(dir, 'spike-data'));
    assert.equal(removeStaleSocketDirs(dir), 1);
    assert.equal(existsSync(join(dir, `spike-${deadPid}`)), false);
    assert.ok(existsSync(join(dir, `spike-${process.pid}`)), 'a live primary keeps its directory');
    assert.ok(existsSync(join(dir, `spike-${deadPid + 1}`)), 'a directory holding anything but worker sockets is left alone');
    assert.ok(existsSync(join(dir, 'spike-data')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
