// Real failures injected into real processes: a worker that keeps crashing,
// the primary SIGKILLed, Redis killed and restarted, a lost reply, signals.
// (A worker SIGKILLed mid sell-out and SIGTERM under load, per balancer mode,
// are in balancer-worker-kill.test.ts and balancer-drain.test.ts.) No ticket
// may be lost or sold twice, and no buyer told "yes" may lose the order.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { RedisLedger } from '../../src/ledger/redis/redis-ledger';
import { newOrderId } from '../../src/inventory/order-ids';
import { crowd, healthyInEveryWorker, request, statusCounts } from '../helpers/client';
import { PrivateRedis } from '../../harness/private-redis';
import { REDIS_URL, uniquePrefix, dropTestPrefix } from '../helpers/redis';
import { eventually, startServer, type RunningServer } from '../helpers/server';
import { acknowledged, createSale, ledgerState, workers, type WorkerStats } from '../helpers/cluster-state';
import { isProcessAlive } from '../../src/system/process-alive';

describe('a worker that keeps crashing', () => {
  const prefix = uniquePrefix('crashloop');
  let server: RunningServer;
  before(async () => {
    server = await startServer({ WORKERS: '2', LEDGER: 'redis', REDIS_URL, REDIS_PREFIX: prefix });
  });
  after(async () => {
    await server.stop();
    await dropTestPrefix(prefix);
  });

  it('is left down after 5 deaths in 30 s, with a log line, while the other keeps serving', async () => {
    for (let death = 1; death <= 5; death++) {
      const slot = await eventually(async () => {
        const w = (await workers(server)).find((s) => s.slot === 1)!;
        return w.state === 'ready' ? w : null;
      }, 10_000, `worker 1 ready before death ${death}`).catch((error: Error) => {
        throw new Error(`${error.message}\nserver output:\n${server.output()}`);
      });
      process.kill(slot.pid!, 'SIGKILL');
      await eventually(async () => (await workers(server)).find((s) => s.slot === 1)!.pid !== slot.pid, 5000, 'the death to be seen');
    }
    await server.waitForOutput(/worker 1 died \(signal SIGKILL\) 5 times in 30 s; leaving it down/);
    const after = await workers(server);
    assert.equal(after.find((w) => w.slot === 1)!.state, 'failed');
    assert.equal(after.find((w) => w.slot === 0)!.state, 'ready');
    const replies = await crowd({ count: 50, concurrency: 10, freshConnections: true, make: (i) => ({ url: `${server.url}/buy/ticket?user=c${i}` }) });
    assert.deepEqual(statusCounts(replies), { 201: 50 });
  });
});

describe('the primary SIGKILLed mid-sale, then restarted', () => {
  const prefix = uniquePrefix('primarykill');
  after(async () => {
    await dropTestPrefix(prefix);
  });

  it('takes its workers down with it, and the restart keeps every acknowledged order and sells to exactly total', async () => {
    const env = { WORKERS: '2', LEDGER: 'redis', REDIS_URL, REDIS_PREFIX: prefix, DEFAULT_SALE_ID: 'pk', DEFAULT_SALE_TOTAL: '800' };
    const first = await startServer(env);
    const workerPids = (await workers(first)).map((w) => w.pid!);
    let killed = false;
    const replies = await crowd({
      count: 3000,
      concurrency: 50,
      tolerateErrors: true,
      make: (i) => ({ url: `${first.url}/buy/ticket?user=p${i}` }),
      onReply: (_reply, done) => {
        if (!killed && done === 400) {
          killed = true;
          first.child.kill('SIGKILL');
        }
      },
    });
    await first.exited;
    await eventually(() => workerPids.every((pid) => !isProcessAlive(pid)), 10_000, 'orphaned workers to exit');

    const acked = acknowledged(replies);
    assert.ok(acked.length >= 300, `some sales were acknowledged before the kill (${acked.length})`);
    const second = await startServer(env);
    try {
      assert.match(second.output(), /default sale pk: found/);
      const midway = await ledgerState(REDIS_URL, prefix, 'pk');
      for (const reply of acked) assert.ok(midway.orders[reply.body.orderId], `acknowledged order ${reply.body.orderId} survived`);
      assert.equal(midway.sold, Object.keys(midway.orders).length, 'sold equals the number of orders');

      await crowd({ count: 2000, concurrency: 50, make: (i) => ({ url: `${second.url}/buy/ticket?user=q${i}` }) });
      const final = await ledgerState(REDIS_URL, prefix, 'pk');
      assert.equal(final.sold, 800);
      assert.equal(Object.keys(final.orders).length, 800);
      assert.equal(final.overLimit, 0);
    } finally {
      await second.stop();
    }
  });
});

describe('Redis killed mid-sale, then restarted', () => {
  let redis: PrivateRedis;
  let server: RunningServer;
  before(async () => {
    // The recommended durability: every acknowledged write is fsynced before the reply.
    redis = await PrivateRedis.start(['--appendonly', 'yes', '--appendfsync', 'always']);
    server = await startServer({ WORKERS: '2', LEDGER: 'redis', REDIS_URL: redis.url, LEDGER_TIMEOUT_MS: '1000' });
  });
  after(async () => {
    await server.stop();
    await redis.stop();
  });

  it('answers 503 within the bound while Redis is away, queues nothing, and completes the sale when it returns', async () => {
    const total = 300;
    await createSale(server, 'rd', total);
    const early = await crowd({ count: 100, concurrency: 20, make: (i) => ({ url: `${server.url}/api/sales/rd/purchases`, method: 'POST', body: { userId: `e${i}` } }) });
    assert.deepEqual(statusCounts(early), { 201: 100 });
    // The slack over LEDGER_TIMEOUT_MS is what this box needs to answer the same crowd with Redis up
    // (at least 500 ms): a loaded box slows both alike. A 503 that waited for Redis would never come
    // before it returns, so any finite bound tells the two apart.
    const slack = Math.max(500, 2 * Math.max(...early.map((r) => r.ms!)));

    await redis.kill();
    const during = await crowd({ count: 60, concurrency: 20, make: (i) => ({ url: `${server.url}/api/sales/rd/purchases`, method: 'POST', body: { userId: `d${i}` } }) });
    const slowest = Math.max(...during.map((r) => r.ms!));
    assert.deepEqual(statusCounts(during), { 503: 60 });
    for (const reply of during) {
      assert.equal(reply.body.error.code, 'ledger_unavailable');
      const key = reply.headers['idempotency-key'] as string;
      assert.ok(key, 'a 503 names the key to retry with');
      // The message names the same key, once: one outage fails a whole batch of buyers, each with their own key.
      assert.equal(reply.body.error.message.split('Idempotency-Key').length, 2, reply.body.error.message);
      assert.ok(reply.body.error.message.endsWith(`Idempotency-Key: ${key}`), reply.body.error.message);
    }
    assert.equal(new Set(during.map((reply) => reply.headers['idempotency-key'])).size, during.length, 'every buyer gets a key of their own');
    assert.ok(slowest <= 1000 + slack, `503s came within LEDGER_TIMEOUT_MS + ${slack} ms slack: slowest ${slowest} ms`);
    assert.equal((await request(`${server.url}/healthz`)).status, 503);

    await redis.resume();
    await eventually(() => healthyInEveryWorker(server.url), 10_000, 'health to recover in every worker');
    // Nothing asked while Redis was away ran later behind the buyers' backs.
    const held = await ledgerState(redis.url, 'spike', 'rd');
    assert.equal(held.sold, 100);
    assert.equal(Object.keys(held.orders).length, 100);

    const rest = await crowd({ count: 1500, concurrency: 50, make: (i) => ({ url: `${server.url}/api/sales/rd/purchases`, method: 'POST', body: { userId: `r${i}` } }) });
    assert.equal(statusCounts(rest)[201], total - 100);
    const final = await ledgerState(redis.url, 'spike', 'rd');
    assert.equal(final.sold, total);
    assert.equal(Object.keys(final.orders).length, total);
    assert.equal(final.overLimit, 0);
    for (const reply of acknowledged(early)) assert.ok(final.orders[reply.body.orderId]);
    console.log(`# Redis down: slowest 503 took ${slowest} ms (LEDGER_TIMEOUT_MS=1000, slack ${slack} ms)`);
  });
});

describe('a reply lost after the script ran', () => {
  let redis: PrivateRedis;
  before(async () => {
    redis = await PrivateRedis.start();
  });
  after(async () => redis.stop());

  it('a retry with the same request key finds the order instead of reserving again', async () => {
    const ledger = new RedisLedger({ url: redis.url, prefix: 'lost', timeoutMs: 200, autoPipelining: false });
    await ledger.connect();
    const control = redis.client();
    try {
      await ledger.createSale({ id: 'lr', name: 'lr', total: 10, perUserLimit: 1, holdSeconds: 900, opensAt: null, closesAt: null }, Date.now());
      // Writes (and so the script) wait 800 ms on the server: the client's 200 ms timeout fires first, as if the reply were lost.
      await control.client('PAUSE', 800, 'WRITE');
      const request = { saleId: 'lr', userId: 'alice', requestKey: 'k:alice-1', now: Date.now() };
      await assert.rejects(ledger.reserve({ ...request, orderId: newOrderId('lr') }), { code: 'ledger_unavailable' });
      // The script runs once the pause ends, its reply going nowhere.
      await eventually(async () => (await control.hlen('lost:{lr}:orders')) === 1, 5000, 'the paused script to run');
      const retry = await ledger.reserve({ ...request, orderId: newOrderId('lr') });
      assert.equal(retry.kind, 'replayed');
      assert.equal(await control.hlen('lost:{lr}:orders'), 1);
      assert.equal(await control.hget('lost:{lr}:sale', 'sold'), '1');
    } finally {
      await control.quit();
      await ledger.close();
    }
  });

  it('over HTTP: the 503 carries an Idempotency-Key, and retrying with it returns the one order', async () => {
    const server = await startServer({ WORKERS: '1', LEDGER: 'redis', REDIS_URL: redis.url, REDIS_PREFIX: 'losthttp', LEDGER_TIMEOUT_MS: '200' });
    const control = redis.client();
    try {
      await createSale(server, 'lh', 5);
      await control.client('PAUSE', 800, 'WRITE');
      const lost = await request(`${server.url}/api/sales/lh/purchases`, { method: 'POST', body: { userId: 'bob' } });
      assert.equal(lost.status, 503);
      const key = lost.headers['idempotency-key'] as string;
      assert.ok(key);
      await eventually(async () => (await control.hlen('losthttp:{lh}:orders')) === 1, 5000, 'the paused script to run');
      const retried = await request(`${server.url}/api/sales/lh/purchases`, { method: 'POST', headers: { 'idempotency-key': key }, body: { userId: 'bob' } });
      assert.equal(retried.status, 201);
      assert.equal(retried.headers['idempotent-replayed'], 'true');
      assert.equal(await control.hlen('losthttp:{lh}:orders'), 1);
    } finally {
      await control.quit();
      await server.stop();
    }
  });
});

describe("Redis's own durability, read at start-up", () => {
  for (const [settings, expected] of [
    [['--appendonly', 'no'], /"level":40[^\n]*Redis has appendonly no/],
    [['--appendonly', 'yes', '--appendfsync', 'everysec'], /"level":40[^\n]*Redis has appendfsync everysec/],
    [['--appendonly', 'yes', '--appendfsync', 'no'], /"level":40[^\n]*Redis has appendfsync no/],
  ] as const) {
    it(`warns, naming the setting, with ${settings.join(' ')}`, async () => {
      const redis = await PrivateRedis.start([...settings]);
      const server = await startServer({ WORKERS: '1', LEDGER: 'redis', REDIS_URL: redis.url });
      try {
        assert.match(server.output(), expected);
      } finally {
        await server.stop();
        await redis.stop();
      }
    });
  }

  it('stays quiet with appendonly yes and appendfsync always (config/redis.conf)', async () => {
    const redis = await PrivateRedis.start(['--appendonly', 'yes', '--appendfsync', 'always']);
    const server = await startServer({ WORKERS: '1', LEDGER: 'redis', REDIS_URL: redis.url });
    try {
      assert.doesNotMatch(server.output(), /"level":40[^\n]*Redis has/);
    } finally {
      await server.stop();
      await redis.stop();
    }
  });
});

describe('a second signal', () => {
  it('forces the exit while the first is still draining', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'spike-signal-'));
    const server = await startServer({ WORKERS: '1', LEDGER: 'embedded', DATA_DIR: dataDir, SHUTDOWN_TIMEOUT_MS: '30000' });
    // Hold a request in flight: a body that never finishes keeps the worker from draining.
    const socket = net.connect(server.port, '127.0.0.1');
    // The forced exit resets this connection; that is expected here.
    socket.on('error', () => {});
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.write('POST /api/sales/demo/purchases HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"userId":');
    // In flight at the worker: the held purchase, plus the stats request asking.
    await eventually(async () => ((await workers(server))[0] as WorkerStats & { inFlight: number }).inFlight >= 2, 5000, 'the held request to reach the worker');
    server.child.kill('SIGTERM');
    await server.waitForOutput(/SIGTERM: draining/);
    const started = Date.now();
    server.child.kill('SIGTERM');
    const { code } = await server.exited;
    socket.destroy();
    assert.equal(code, 1);
    assert.match(server.output(), /SIGTERM again: forcing exit/);
    assert.ok(Date.now() - started < 5000, 'forced promptly, not after SHUTDOWN_TIMEOUT_MS');
    rmSync(dataDir, { recursive: true, force: true });
  });
});
