// The handoff balancer's failover with real processes and sockets: a handle
// sent to a worker that dies before taking it reaches the next worker, and a
// worker whose channel is already closed is passed over.
import assert from 'node:assert/strict';
import cluster, { type Worker } from 'node:cluster';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { HandoffBalancer } from '../../../src/front/handoff-balancer';
import { ACK_READ_MS } from '../../../src/front/handle-channel';
import type { WorkerSlot } from '../../../src/cluster/supervisor';
import { exchange } from '../../helpers/raw-http';

/** Forks an echo worker into `slot` the way the supervisor does: with the balancer's channel as its stdio entry 4. */
async function forkEcho(balancer: HandoffBalancer, target: WorkerSlot, id: string): Promise<Worker> {
  const fork = await balancer.prepareFork(target, join(dir, `echo-${id}-${target.index}.sock`));
  // execArgv [] and no NODE_TEST_CONTEXT: the worker is a plain script, not a test file under the runner.
  cluster.setupPrimary({ exec: join(__dirname, '..', '..', 'helpers', 'handoff-echo-worker.js'), execArgv: [], stdio: ['ignore', 'pipe', 'pipe', 'ipc', fork.stdio] });
  const worker = cluster.fork({ ECHO_WORKER_ID: id, NODE_TEST_CONTEXT: '' });
  fork.forked(worker);
  target.worker = worker;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`echo worker ${id} did not start`)), 5000);
    worker.once('message', () => {
      clearTimeout(timer);
      resolve(worker);
    });
  });
}

function slot(index: number): WorkerSlot {
  return { index, weight: 1, socketPath: '', state: 'ready', available: true, worker: undefined, connections: 0, restarts: 0, crashTimes: [], outages: [] };
}

const dir = mkdtempSync(join(tmpdir(), 'spike-handoff-test-'));

describe('handoff balancer failover', () => {
  const workers: Worker[] = [];
  after(() => {
    for (const worker of workers) if (!worker.isDead()) worker.process.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('sends each connection to the next worker by smooth WRR', async () => {
    const slots = [slot(0), slot(1)];
    const balancer = new HandoffBalancer(slots);
    workers.push(await forkEcho(balancer, slots[0]!, 'A'), await forkEcho(balancer, slots[1]!, 'B'));
    const port = await balancer.listen(0, '127.0.0.1');
    const served = [];
    for (let i = 0; i < 4; i++) served.push((await exchange(port, 'GET / HTTP/1.1\r\nHost: t\r\n\r\n')).answers[0]!.body);
    assert.deepEqual(served, ['A', 'B', 'A', 'B']);
    await balancer.stopAccepting();
  });

  it('gives the connection to the next worker when the chosen one dies before taking the handle', async () => {
    const slots = [slot(0), slot(1)];
    const balancer = new HandoffBalancer(slots);
    const a = await forkEcho(balancer, slots[0]!, 'A');
    workers.push(a, await forkEcho(balancer, slots[1]!, 'B'));
    const port = await balancer.listen(0, '127.0.0.1');
    // A is frozen: the handle reaches its channel but A never takes (acknowledges) it.
    a.process.kill('SIGSTOP');
    const answer = exchange(port, 'GET / HTTP/1.1\r\nHost: t\r\n\r\n', { timeoutMs: 8000 });
    const sentToA = () => slots[0]!.connections === 1;
    for (let i = 0; i < 200 && !sentToA(); i++) await new Promise((resolve) => setImmediate(resolve));
    assert.ok(sentToA(), 'the first connection was handed to A');
    a.process.kill('SIGKILL');
    const { answers } = await answer;
    assert.equal(answers.length, 1, 'the client was answered');
    assert.equal(answers[0]!.body, 'B');
    assert.equal(balancer.rerouted, 1);
    await balancer.stopAccepting();
  });

  it('passes over a worker whose channel is closed but that is still marked available', async () => {
    const slots = [slot(0), slot(1)];
    const balancer = new HandoffBalancer(slots);
    const a = await forkEcho(balancer, slots[0]!, 'A');
    workers.push(a, await forkEcho(balancer, slots[1]!, 'B'));
    const exited = new Promise((resolve) => a.once('exit', resolve));
    a.process.kill('SIGKILL');
    await exited;
    const port = await balancer.listen(0, '127.0.0.1');
    for (let i = 0; i < 3; i++) {
      const { answers } = await exchange(port, 'GET / HTTP/1.1\r\nHost: t\r\n\r\n');
      assert.equal(answers[0]!.body, 'B');
    }
    await balancer.stopAccepting();
  });

  it('closes its copy of every connection once the worker acknowledges it, in batches, and holds them while the worker cannot', async () => {
    const slots = [slot(0)];
    const balancer = new HandoffBalancer(slots);
    const a = await forkEcho(balancer, slots[0]!, 'A');
    workers.push(a);
    const port = await balancer.listen(0, '127.0.0.1');
    const openDescriptors = () => readdirSync('/proc/self/fd').length;
    const before = openDescriptors();
    const answers = await Promise.all(Array.from({ length: 60 }, () => exchange(port, 'GET / HTTP/1.1\r\nHost: t\r\n\r\n')));
    assert.ok(answers.every((a) => a.answers[0]?.body === 'A'));
    await waitFor(() => balancer.unacknowledged() === 0, 'every handle acknowledged');
    await waitFor(() => openDescriptors() <= before, `descriptors back to ${before}`);

    // Frozen, the worker takes nothing: the primary keeps each connection until it does.
    a.process.kill('SIGSTOP');
    const held = Array.from({ length: 5 }, () => exchange(port, 'GET / HTTP/1.1\r\nHost: t\r\n\r\n', { timeoutMs: 8000 }));
    await waitFor(() => slots[0]!.connections === 65, 'five more handed over');
    await new Promise((resolve) => setTimeout(resolve, 5 * ACK_READ_MS));
    assert.equal(balancer.unacknowledged(), 5);
    a.process.kill('SIGCONT');
    for (const { answers } of await Promise.all(held)) assert.equal(answers[0]!.body, 'A');
    await waitFor(() => balancer.unacknowledged() === 0, 'the five acknowledged after the worker went on');
    await balancer.stopAccepting();
  });
});

async function waitFor(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  assert.fail(`timed out waiting until ${what}`);
}
