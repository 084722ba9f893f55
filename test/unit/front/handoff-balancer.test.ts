// The handoff balancer's failover with real processes and sockets: a handle
// sent to a worker that dies before taking it reaches the next worker, and a
// worker whose channel is already closed is passed over.
import assert from 'node:assert/strict';
import cluster, { type Worker } from 'node:cluster';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { HandoffBalancer } from '../../../src/front/handoff-balancer';
import type { WorkerSlot } from '../../../src/cluster/supervisor';
import { exchange } from '../../helpers/raw-http';

function forkEcho(id: string): Promise<Worker> {
  // execArgv [] and no NODE_TEST_CONTEXT: the worker is a plain script, not a test file under the runner.
  cluster.setupPrimary({ exec: join(__dirname, '..', '..', 'helpers', 'handoff-echo-worker.js'), execArgv: [], silent: true });
  const worker = cluster.fork({ ECHO_WORKER_ID: id, NODE_TEST_CONTEXT: '' });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`echo worker ${id} did not start`)), 5000);
    worker.once('message', () => {
      clearTimeout(timer);
      resolve(worker);
    });
  });
}

function slot(index: number, worker: Worker): WorkerSlot {
  return { index, weight: 1, socketPath: '', state: 'ready', available: true, worker, connections: 0, restarts: 0, crashTimes: [], outages: [] };
}

describe('handoff balancer failover', () => {
  const workers: Worker[] = [];
  after(() => {
    for (const worker of workers) if (!worker.isDead()) worker.process.kill('SIGKILL');
  });

  it('sends each connection to the next worker by smooth WRR', async () => {
    const a = await forkEcho('A');
    const b = await forkEcho('B');
    workers.push(a, b);
    const balancer = new HandoffBalancer([slot(0, a), slot(1, b)]);
    const port = await balancer.listen(0, '127.0.0.1');
    const served = [];
    for (let i = 0; i < 4; i++) served.push((await exchange(port, 'GET / HTTP/1.1\r\nHost: t\r\n\r\n')).answers[0]!.body);
    assert.deepEqual(served, ['A', 'B', 'A', 'B']);
    await balancer.stopAccepting();
  });

  it('gives the connection to the next worker when the chosen one dies before taking the handle', async () => {
    const a = await forkEcho('A');
    const b = await forkEcho('B');
    workers.push(a, b);
    const slots = [slot(0, a), slot(1, b)];
    const balancer = new HandoffBalancer(slots);
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
    const a = await forkEcho('A');
    const b = await forkEcho('B');
    workers.push(a, b);
    const exited = new Promise((resolve) => a.once('exit', resolve));
    a.process.kill('SIGKILL');
    await exited;
    const slots = [slot(0, a), slot(1, b)];
    const balancer = new HandoffBalancer(slots);
    const port = await balancer.listen(0, '127.0.0.1');
    for (let i = 0; i < 3; i++) {
      const { answers } = await exchange(port, 'GET / HTTP/1.1\r\nHost: t\r\n\r\n');
      assert.equal(answers[0]!.body, 'B');
    }
    await balancer.stopAccepting();
  });
});
