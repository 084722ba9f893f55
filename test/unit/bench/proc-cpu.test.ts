// The bench's CPU accounting from /proc, on real processes: a server's CPU is
// its own and its children's (a cluster primary's workers).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { it } from 'node:test';
import { childPids, processCpuMs, redisCpuMs, totalCpuMs } from '../../../bench/load/proc-cpu';

it("finds a process's children and counts the CPU they spend", { skip: process.platform !== 'linux' && 'reads /proc' }, async () => {
  // A parent that starts one busy child, prints the child's pid, and waits.
  const parent = spawn(process.execPath, ['-e', `
    const child = require('node:child_process').spawn(process.execPath, ['-e', 'const end = Date.now() + 30000; while (Date.now() < end) {}'], { stdio: 'ignore' });
    console.log(child.pid);
    process.on('SIGTERM', () => { child.kill('SIGKILL'); process.exit(0); });
    setInterval(() => {}, 1000);
  `], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const [line] = (await once(parent.stdout!, 'data')) as [Buffer];
    const busyPid = Number(line.toString().trim());
    assert.deepEqual(childPids(parent.pid), [busyPid]);
    assert.deepEqual(childPids(busyPid), []);
    const before = processCpuMs(busyPid);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const spent = processCpuMs(busyPid) - before;
    // A busy loop for 300 ms: well over the 10 ms tick, on a box with any core free at all.
    assert.ok(spent >= 50, `the busy child spent ${spent} ms of CPU in 300 ms`);
    assert.ok(totalCpuMs([parent.pid, busyPid]) >= processCpuMs(busyPid));
  } finally {
    parent.kill('SIGTERM');
    await once(parent, 'exit');
  }
  assert.deepEqual(childPids(parent.pid), [], 'a process that is gone has no children');
  assert.equal(processCpuMs(parent.pid), 0);
});

it("reads Redis's CPU from INFO cpu as user plus system, in milliseconds", async () => {
  // The section as Redis 7.0 writes it (the bench reads it from the real server; this pins the parsing).
  const info = '# CPU\r\nused_cpu_sys:0.250000\r\nused_cpu_user:1.500000\r\nused_cpu_sys_children:9.000000\r\nused_cpu_user_children:9.000000\r\n';
  assert.equal(await redisCpuMs({ info: async () => info } as never), 1750);
});
