// lowerThreadPriority on real threads: the kernel's own record of each
// thread's scheduling policy and nice value (/proc/thread-self/stat), read
// from the thread that lowered itself and from the main thread beside it.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Worker } from 'node:worker_threads';

const MODULE = join(__dirname, '..', '..', '..', 'src', 'system', 'thread-priority.js');
const SCHED_OTHER = 0;
const SCHED_IDLE = 5;

/** A thread's policy and nice value from its stat line (fields 41 and 19; the command name may hold spaces, so count after its ')'). */
function schedOf(stat: string): { policy: number; nice: number } {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { policy: Number(fields[41 - 3]), nice: Number(fields[19 - 3]) };
}

/** Runs lowerThreadPriority(priority) on a fresh worker thread; returns what it answered and the thread's stat after. */
function lowerOnThread(priority: 'idle' | number): Promise<{ lowered: boolean; stat: string }> {
  const code = `
    const { parentPort, workerData } = require('node:worker_threads');
    const { readFileSync } = require('node:fs');
    const { lowerThreadPriority } = require(workerData.module);
    const lowered = lowerThreadPriority(workerData.priority);
    parentPort.postMessage({ lowered, stat: readFileSync('/proc/thread-self/stat', 'utf8') });`;
  return new Promise((resolve, reject) => {
    const worker = new Worker(code, { eval: true, workerData: { module: MODULE, priority } });
    worker.once('message', (message) => {
      resolve(message);
      void worker.terminate();
    });
    worker.once('error', reject);
  });
}

describe('lowerThreadPriority', () => {
  it('idle puts the calling thread, and only it, under SCHED_IDLE', async () => {
    const { lowered, stat } = await lowerOnThread('idle');
    assert.equal(lowered, true, 'chrt from util-linux is on PATH');
    assert.equal(schedOf(stat).policy, SCHED_IDLE);
    assert.equal(schedOf(readFileSync('/proc/thread-self/stat', 'utf8')).policy, SCHED_OTHER, 'the main thread is untouched');
  });

  it('a number sets that nice value and keeps the normal policy', async () => {
    const { lowered, stat } = await lowerOnThread(7);
    assert.equal(lowered, true);
    assert.deepEqual(schedOf(stat), { policy: SCHED_OTHER, nice: 7 });
  });
});
