// Crashes in the middle of admission lose no place and no pass: a worker
// SIGKILLed while buyers join, wait and buy (Redis), and the embedded
// ledger's primary SIGKILLed and restarted on its journal.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { isProcessAlive } from '../../src/system/process-alive';
import { crowd, request, type Reply } from '../helpers/client';
import { ADMISSION_SECRET, buy, createQueueSale, lookup } from '../helpers/queue';
import { REDIS_URL, uniquePrefix, dropTestPrefix } from '../helpers/redis';
import { ADMIN_TOKEN, eventually, startServer, type RunningServer } from '../helpers/server';

const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
const BUYERS = 200;

async function joinAll(server: RunningServer, saleId: string, tolerateErrors = false): Promise<Reply[]> {
  return crowd({ count: BUYERS, concurrency: 20, tolerateErrors, make: (i) => ({ url: `${server.url}/api/sales/${saleId}/queue`, method: 'POST', body: { userId: `c${i}` } }) });
}

async function workerPids(server: RunningServer): Promise<number[]> {
  const cluster = await request(`${server.url}/api/cluster`, { headers: admin });
  return (cluster.body.workers as Array<{ pid: number }>).map((w) => w.pid);
}

describe('a worker SIGKILLed mid-admission (redis ledger)', () => {
  const prefix = uniquePrefix('qcrash');
  let server: RunningServer | undefined;
  after(async () => {
    await server?.stop();
    await dropTestPrefix(prefix);
  });

  it('loses no place and no pass', async () => {
    server = await startServer({ WORKERS: '2', LEDGER: 'redis', REDIS_URL, REDIS_PREFIX: prefix, ADMISSION_SECRET, RATE_LIMIT_PER_SECOND: '0', QUEUE_TICK_MS: '50', LEDGER_TIMEOUT_MS: '5000' });
    const s = server;
    const saleId = 'qcrash';
    await createQueueSale(s.url, saleId, { total: 50, holdSeconds: 0 }, { admitPerSecond: 40, passSeconds: 600 });
    const joined = await joinAll(s, saleId);
    assert.ok(joined.every((r) => r.status === 201));
    const ticketOf = new Map(joined.map((r) => [r.body.userId as string, r.body.ticket as string]));

    // Buyers poll and buy while the line moves; one worker dies in the middle of it.
    const [victim] = await workerPids(s);
    const passes = new Map<string, string>();
    const orders = new Map<string, string>();
    let killed = false;
    const deadline = Date.now() + 60_000;
    while (orders.size < 50 && Date.now() < deadline) {
      const users = [...ticketOf.keys()].filter((u) => !orders.has(u));
      const views = await crowd({ count: users.length, concurrency: 20, tolerateErrors: true, make: (i) => ({ url: `${s.url}/api/sales/${saleId}/queue/${encodeURIComponent(ticketOf.get(users[i]!)!)}` }) });
      for (const v of views) if (v.status === 200 && v.body.pass) passes.set(v.body.userId, v.body.pass);
      if (!killed && passes.size >= 20) {
        process.kill(victim!, 'SIGKILL');
        killed = true;
      }
      const ready = [...passes].filter(([u]) => !orders.has(u));
      const bought = await crowd({ count: ready.length, concurrency: 20, tolerateErrors: true, make: (i) => ({ url: `${s.url}/api/sales/${saleId}/purchases`, method: 'POST', headers: { 'spike-pass': ready[i]![1], 'idempotency-key': `buy-${ready[i]![0]}` }, body: { userId: ready[i]![0] } }) });
      bought.forEach((r, i) => {
        if (r.status === 201) orders.set(ready[i]![0], r.body.orderId);
      });
    }
    assert.ok(killed, 'a worker was killed mid-admission');
    await eventually(async () => !isProcessAlive(victim!) && (await workerPids(s)).every((pid) => pid !== victim), 15_000, 'the worker to be replaced');

    // Every place is still there: joining again gives each buyer the same ticket.
    const again = await joinAll(s, saleId);
    again.forEach((r) => {
      assert.equal(r.status, 200, r.text);
      assert.equal(r.body.ticket, ticketOf.get(r.body.userId));
    });
    // Every pass handed out still buys once: bought ones are spent (a retry with the same key replays the order), the rest are fine.
    assert.equal(orders.size, 50);
    for (const [userId, orderId] of orders) {
      const retry = await buy(s.url, saleId, userId, passes.get(userId)!, `buy-${userId}`);
      assert.equal(retry.status, 201, retry.text);
      assert.equal(retry.body.orderId, orderId);
    }
    const audit = await request(`${s.url}/api/sales/${saleId}/audit`, { headers: admin });
    assert.deepEqual([audit.body.sold, audit.body.consistent], [50, true]);
  });
});

describe('the embedded ledger SIGKILLed mid-admission', () => {
  const root = mkdtempSync(join(tmpdir(), 'spike-qcrash-'));
  const env = { WORKERS: '2', LEDGER: 'embedded', DATA_DIR: join(root, 'data'), SOCKET_DIR: join(root, 'sockets'), ADMISSION_SECRET, RATE_LIMIT_PER_SECOND: '0', QUEUE_TICK_MS: '50', SHUTDOWN_TIMEOUT_MS: '2000' };
  let server: RunningServer | undefined;
  after(async () => {
    await server?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  it('comes back with every join, the serving counter and every spent pass', async () => {
    server = await startServer(env);
    const first = server;
    const saleId = 'qkill';
    await createQueueSale(first.url, saleId, { total: 100, holdSeconds: 0 }, { admitPerSecond: 30, passSeconds: 600 });
    const joined = await joinAll(first, saleId);
    assert.ok(joined.every((r) => r.status === 201));
    const tickets = joined.map((r) => r.body.ticket as string);
    const admitted = await eventually(async () => {
      const views = await Promise.all(tickets.map((t) => lookup(first.url, saleId, t)));
      const withPass = views.filter((v) => v.body.pass);
      return withPass.length >= 20 ? withPass.map((v) => v.body) : null;
    }, 20_000, '20 buyers admitted');
    const spent = admitted.slice(0, 10);
    for (const v of spent) assert.equal((await buy(first.url, saleId, v.userId, v.pass)).status, 201);
    const pids = await workerPids(first);
    first.child.kill('SIGKILL');
    assert.equal((await first.exited).signal, 'SIGKILL');
    await eventually(() => pids.every((pid) => !isProcessAlive(pid)), 15_000, 'the orphaned workers to exit');

    server = await startServer(env);
    const second = server;
    const again = await joinAll(second, saleId);
    again.forEach((r, i) => {
      assert.equal(r.status, 200, r.text);
      assert.equal(r.body.ticket, tickets[i], 'the same place after the restart');
    });
    for (const v of spent) {
      const replay = await buy(second.url, saleId, v.userId, v.pass);
      assert.equal(replay.status, 403, replay.text);
      assert.equal(replay.body.error.code, 'pass_used');
    }
    // Unspent passes still buy, and the line was not pushed back: the admitted stay admitted.
    // (Up to 100 x overAdmit 1.2 = 120 may hold passes for 100 tickets: 20 of them is enough here.)
    for (const v of admitted.slice(10, 20)) {
      let last = '';
      const view = await eventually(async () => {
        const r = await lookup(second.url, saleId, v.ticket);
        last = r.text;
        return r.body.state === 'admitted' ? r.body : null;
      }, 10_000, `${v.userId} to be admitted again after the restart`).catch((error: Error) => assert.fail(`${error.message}; last answer ${last}; server said:\n${second.output().slice(-3000)}`));
      assert.ok(view.serving >= 20);
      const bought = await buy(second.url, saleId, v.userId, v.pass);
      assert.equal(bought.status, 201, `${bought.text}; server said:\n${second.output().slice(-3000)}`);
    }
    const sale = await request(`${second.url}/api/sales/${saleId}`);
    assert.equal(sale.body.sold, 20);
  });
});
