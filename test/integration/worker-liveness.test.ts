// A frozen worker (SIGSTOP) under load: the primary stops routing new
// connections to it within about a second, routes to it again once it
// answers, and restarts it if it stays frozen. A worker that keeps dying
// leaves no zombie server: the primary exits non-zero for its supervisor.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { request, type Reply } from '../helpers/client';
import { ADMIN_TOKEN, eventually, startServer, type RunningServer } from '../helpers/server';

const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
const root = mkdtempSync(join(tmpdir(), 'spike-liveness-'));
const servers: RunningServer[] = [];
after(async () => {
  for (const server of servers) await server.stop();
  rmSync(root, { recursive: true, force: true });
});

function env(name: string, extra: Record<string, string>): Record<string, string> {
  return { LEDGER: 'embedded', REDIS_URL: '', DATA_DIR: join(root, name, 'data'), SOCKET_DIR: join(root, name, 'sockets'), SHUTDOWN_TIMEOUT_MS: '2000', ...extra };
}

async function workerPids(server: RunningServer): Promise<number[]> {
  const reply = await request(`${server.url}/api/cluster`, { headers: admin });
  assert.equal(reply.status, 200, reply.text);
  return (reply.body.workers as Array<{ pid: number }>).map((worker) => worker.pid);
}

/** A fresh connection each time, so the balancer picks a worker for it; a short timeout, so a frozen worker shows. */
function probe(server: RunningServer, timeoutMs: number): Promise<Reply | null> {
  return request(`${server.url}/api/sales/demo`, { timeoutMs }).catch(() => null);
}

describe('a frozen worker', () => {
  it('gets no new connections within 2 s, gets them again when it thaws, and is restarted if it stays frozen', async () => {
    const server = await startServer(env('frozen', { WORKERS: '2', WORKER_UNRESPONSIVE_MS: '1000', WORKER_HANG_RESTART_MS: '5000' }));
    servers.push(server);
    const [victim, other] = await workerPids(server);

    // Load: closed-loop clients on fresh connections, all through the stop and the thaw.
    let loading = true;
    let answered = 0;
    const load = Array.from({ length: 8 }, async () => {
      while (loading) if ((await probe(server, 10_000))?.status === 200) answered++;
    });

    try {
      process.kill(victim!, 'SIGSTOP');
      const stoppedAt = Date.now();
      // The balancer has moved on once ten fresh connections in a row are answered, by the other worker, promptly.
      let streakStartedAt = 0;
      let streak = 0;
      await eventually(async () => {
        const sentAt = Date.now();
        const reply = await probe(server, 400);
        if (reply?.status === 200 && reply.headers['x-spike-worker'] === '1') {
          if (streak++ === 0) streakStartedAt = sentAt;
        } else {
          streak = 0;
        }
        return streak >= 10;
      }, 8000, 'ten fresh connections in a row answered by the other worker');
      const absorbedAfter = streakStartedAt - stoppedAt;
      assert.ok(absorbedAfter <= 2000, `the other worker took all new connections ${absorbedAfter} ms after the stop`);
      assert.match(server.output(), new RegExp(`worker 0 \\(pid ${victim}\\) has not answered for \\d+ ms; no new connections go to it`));
      assert.deepEqual(await workerPids(server), [victim, other], 'not restarted yet: frozen for less than WORKER_HANG_RESTART_MS');

      process.kill(victim!, 'SIGCONT');
      await eventually(async () => (await probe(server, 2000))?.headers['x-spike-worker'] === '0', 5000, 'a fresh connection served by the thawed worker');
      assert.match(server.output(), new RegExp(`worker 0 \\(pid ${victim}\\) answers again after \\d+ ms; routing to it again`));

      // Frozen for good this time: killed after WORKER_HANG_RESTART_MS, and its slot gets a new process.
      process.kill(victim!, 'SIGSTOP');
      const [restarted] = await eventually(async () => {
        const pids = await workerPids(server);
        return pids[0] !== victim && pids[0] !== null ? pids : null;
      }, 15_000, 'the frozen worker to be replaced');
      assert.notEqual(restarted, victim);
      assert.match(server.output(), new RegExp(`worker 0 \\(pid ${victim}\\) has not answered for \\d+ ms; killing it so it is restarted`));
      await eventually(async () => (await probe(server, 2000))?.headers['x-spike-worker'] === '0', 10_000, 'the new worker 0 serving').catch((error: Error) => {
        throw new Error(`${error.message}; server output:\n${server.output().slice(-3000)}`);
      });
    } finally {
      try {
        process.kill(victim!, 'SIGCONT');
      } catch {
        // already gone
      }
      loading = false;
      await Promise.all(load);
    }
    assert.ok(answered > 0);
  });
});

describe('a crash loop', () => {
  it('makes the primary exit non-zero once its only worker slot has failed', async () => {
    const server = await startServer(env('crashloop', { WORKERS: '1' }));
    servers.push(server);
    // Kill the worker each time it comes up: 5 deaths in 30 s fail the slot.
    const killed = new Set<number>();
    for (let death = 1; death <= 5; death++) {
      const pid = await eventually(() => {
        const pids = [...server.output().matchAll(/worker 0 (?:ready|back) \(pid (\d+)/g)].map((match) => Number(match[1]));
        return pids.find((each) => !killed.has(each));
      }, 15_000, `worker 0's process number ${death}`);
      killed.add(pid);
      process.kill(pid, 'SIGKILL');
    }
    const exit = await Promise.race([server.exited, new Promise<null>((resolve) => setTimeout(resolve, 10_000, null).unref())]);
    assert.ok(exit, `the primary still runs with its only slot failed:\n${server.output()}`);
    assert.equal(exit.code, 1);
    assert.match(server.output(), /every worker slot has failed \(each died 5 times within 30 s\); exiting with code 1/);
  });
});
