// SIGKILL the primary in the middle of a train's flood on the embedded
// ledger, restart on the same DATA_DIR, and check that every trip a buyer
// was told about survives with its seat, that no seat-segment is held twice,
// and that the train sells on. Then a worker SIGKILLed mid-flood on Redis:
// no acknowledged trip lost, the seat audit consistent, the worker restarted.
// Then Redis itself SIGKILLed mid-sale and restarted from its AOF: trips are
// refused with 503 while it is away, none runs later behind the buyers'
// backs, and the train sells on with its seats exact.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { crowd, healthyInEveryWorker, request, statusCounts, type Reply } from '../helpers/client';
import { PrivateRedis } from '../../harness/private-redis';
import { REDIS_URL, uniquePrefix, dropTestPrefix } from '../helpers/redis';
import { ADMIN_TOKEN, eventually, startServer, type RunningServer } from '../helpers/server';
import { isProcessAlive } from '../../src/system/process-alive';

const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
const STATIONS = Array.from({ length: 10 }, (_, i) => `S${i}`);
const KILL_AFTER_ACKS = 60;

describe('trains on the embedded ledger: the primary is SIGKILLed mid-flood', () => {
  const root = mkdtempSync(join(tmpdir(), 'spike-trains-crash-'));
  const env = { SOCKET_DIR: join(root, 'sockets'), LEDGER: 'embedded', DATA_DIR: join(root, 'data'), JOURNAL_FSYNC: 'batch', WORKERS: '2', SHUTDOWN_TIMEOUT_MS: '2000' };
  let server: RunningServer | undefined;
  after(async () => {
    await server?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  it('keeps every acknowledged trip with its seat, holds no seat-segment twice, and sells on after a restart', async () => {
    server = await startServer(env);
    const first = server;
    const created = await request(`${first.url}/api/trains`, { method: 'POST', headers: admin, body: { id: 'crash', stations: STATIONS, seats: 40, holdSeconds: 900 } });
    assert.equal(created.status, 201, created.text);
    const workerPids = ((await request(`${first.url}/api/cluster`, { headers: admin })).body.workers as Array<{ pid: number }>).map((w) => w.pid);

    let x = 7;
    const random = (n: number) => {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      return x % n;
    };
    const acked = new Map<string, Reply>();
    let killed = false;
    let next = 0;
    await Promise.all(Array.from({ length: 20 }, async () => {
      while (!killed && next < 2000) {
        const i = next++;
        const from = random(9);
        const to = from + 1 + random(9 - from);
        let reply: Reply;
        try {
          reply = await request(`${first.url}/api/trains/crash/purchases`, { method: 'POST', body: { userId: `c${i}`, from: STATIONS[from], to: STATIONS[to] }, timeoutMs: 10_000 });
        } catch {
          return; // the connection died with the primary
        }
        if (reply.status === 201) acked.set(reply.body.orderId, reply);
        if (!killed && acked.size >= KILL_AFTER_ACKS) {
          killed = true;
          first.child.kill('SIGKILL');
        }
      }
    }));
    assert.ok(killed, 'the primary was killed mid-flood');
    await first.exited;
    await eventually(() => workerPids.every((pid) => !isProcessAlive(pid)), 15_000, 'the orphaned workers to exit');

    server = await startServer(env);
    for (const [orderId, reply] of acked) {
      const order = await request(`${server.url}/api/orders/${orderId}`, { headers: admin });
      assert.equal(order.status, 200, `acknowledged order ${orderId} survived`);
      assert.deepEqual(order.body.trip, { from: STATIONS.indexOf(reply.body.from), to: STATIONS.indexOf(reply.body.to), seat: reply.body.seat });
    }
    const audit = await request(`${server.url}/api/trains/crash/audit`, { headers: admin });
    assert.equal(audit.body.consistent, true, audit.text);
    assert.ok(audit.body.sold >= acked.size);
    // It sells on: a trip some seat is still free for.
    const free = await request(`${server.url}/api/trains/crash/availability?from=S0&to=S1`);
    const after = await request(`${server.url}/api/trains/crash/purchases`, { method: 'POST', body: { userId: 'later', from: 'S0', to: 'S1' } });
    assert.equal(after.status, free.body.available > 0 ? 201 : 409, after.text);
  });
});

describe('trains on Redis: a worker is SIGKILLed mid-flood', () => {
  const prefix = uniquePrefix('trains-workerkill');
  let server: RunningServer;
  after(async () => {
    await server?.stop();
    await dropTestPrefix(prefix);
  });

  it('loses no acknowledged trip, sells no seat-segment twice, and the restarted worker sells again', async () => {
    server = await startServer({ WORKERS: '2', LEDGER: 'redis', REDIS_URL, REDIS_PREFIX: prefix });
    const created = await request(`${server.url}/api/trains`, { method: 'POST', headers: admin, body: { id: 'wk', stations: STATIONS, seats: 60, holdSeconds: 900 } });
    assert.equal(created.status, 201, created.text);
    const before = (await request(`${server.url}/api/cluster`, { headers: admin })).body.workers as Array<{ slot: number; pid: number; restarts: number }>;
    let x = 11;
    const random = (n: number) => {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      return x % n;
    };
    let killed = false;
    let acks = 0;
    const replies = await crowd({
      count: 3000,
      concurrency: 40,
      freshConnections: true,
      // The killed worker's connections die with it: those buyers hear nothing, and may retry with their key.
      tolerateErrors: true,
      make: (i) => {
        const from = random(9);
        const to = from + 1 + random(9 - from);
        return { url: `${server.url}/api/trains/wk/purchases`, method: 'POST', headers: { 'idempotency-key': `wk-${i}` }, body: { userId: `w${i}`, from: STATIONS[from], to: STATIONS[to] } };
      },
      onReply: (reply) => {
        if (reply.status === 201) acks++;
        if (!killed && acks >= 80) {
          killed = true;
          process.kill(before[0]!.pid, 'SIGKILL');
        }
      },
    });
    assert.ok(killed, 'a worker was killed mid-flood');
    const sold = replies.filter((r) => r.status === 201);
    await eventually(async () => {
      const now = (await request(`${server.url}/api/cluster`, { headers: admin })).body.workers as Array<{ slot: number; state: string; restarts: number }>;
      return now[0]!.state === 'ready' && now[0]!.restarts > before[0]!.restarts;
    }, 20_000, 'the killed worker to be restarted');
    for (const reply of sold) {
      const order = await request(`${server.url}/api/orders/${reply.body.orderId}`, { headers: admin });
      assert.equal(order.status, 200, `acknowledged order ${reply.body.orderId} is in the ledger`);
    }
    const audit = await request(`${server.url}/api/trains/wk/audit`, { headers: admin });
    assert.equal(audit.body.consistent, true, audit.text);
    assert.ok(audit.body.sold >= sold.length);
  });
});

describe('trains on Redis: Redis is SIGKILLed mid-sale, then restarted', () => {
  let redis: PrivateRedis;
  let server: RunningServer;
  after(async () => {
    await server?.stop();
    await redis?.stop();
  });

  it('refuses trips with 503 while Redis is away, runs none of them later, and sells on with every seat-segment exact', async () => {
    // The recommended durability: every acknowledged write is fsynced before the reply, so a restart from the AOF keeps it.
    redis = await PrivateRedis.start(['--appendonly', 'yes', '--appendfsync', 'always']);
    server = await startServer({ WORKERS: '2', LEDGER: 'redis', REDIS_URL: redis.url, LEDGER_TIMEOUT_MS: '1000' });
    const created = await request(`${server.url}/api/trains`, { method: 'POST', headers: admin, body: { id: 'rk', stations: STATIONS, seats: 40, holdSeconds: 900, perUserLimit: 5 } });
    assert.equal(created.status, 201, created.text);
    let x = 7;
    const random = (n: number) => {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      return x % n;
    };
    const trip = (tag: string, i: number) => {
      const from = random(9);
      const to = from + 1 + random(9 - from);
      return { url: `${server.url}/api/trains/rk/purchases`, method: 'POST', body: { userId: `${tag}${i}`, from: STATIONS[from], to: STATIONS[to] } };
    };
    const early = await crowd({ count: 60, concurrency: 10, make: (i) => trip('e', i) });
    const earlySold = early.filter((r) => r.status === 201);
    assert.ok(earlySold.length > 20, `early trips sold: ${JSON.stringify(statusCounts(early))}`);

    await redis.kill();
    const during = await crowd({ count: 40, concurrency: 10, make: (i) => trip('d', i) });
    assert.deepEqual(statusCounts(during), { 503: 40 }, 'every trip asked while Redis is away is refused');
    for (const reply of during) assert.equal(reply.body.error.code, 'ledger_unavailable');

    await redis.resume();
    await eventually(() => healthyInEveryWorker(server.url), 15_000, 'health to recover in every worker');
    const restored = await request(`${server.url}/api/trains/rk/audit`, { headers: admin });
    assert.equal(restored.body.consistent, true, restored.text);
    assert.equal(restored.body.sold, earlySold.length, 'nothing asked while Redis was away ran later');
    for (const reply of earlySold) assert.equal((await request(`${server.url}/api/orders/${reply.body.orderId}`, { headers: admin })).status, 200);

    const rest = await crowd({ count: 400, concurrency: 20, make: (i) => trip('r', i) });
    const counts = statusCounts(rest);
    assert.ok((counts[201] ?? 0) > 0, `the train sells on: ${JSON.stringify(counts)}`);
    assert.deepEqual(Object.keys(counts).filter((status) => status !== '201' && status !== '409'), [], JSON.stringify(counts));
    const final = await request(`${server.url}/api/trains/rk/audit`, { headers: admin });
    assert.equal(final.body.consistent, true, final.text);
    assert.equal(final.body.sold, earlySold.length + (counts[201] ?? 0));
  });
});
