// The JSON log a real cluster writes through a sale, a Redis outage and a
// killed worker: one parseable line per event with the fields an operator
// greps for, nothing per request, and no secret after the line that hands
// out the generated admin token.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { crowd, healthyInEveryWorker, request, statusCounts } from '../helpers/client';
import { PrivateRedis } from '../../harness/private-redis';
import { eventually, startServer, type RunningServer } from '../helpers/server';

const METRICS_TOKEN = 'metrics-secret-9f3k2';

interface LogLine {
  readonly level: number;
  readonly time: string;
  readonly worker: number | 'primary';
  readonly pid: number;
  readonly msg: string;
  readonly [field: string]: unknown;
}

function lines(output: string): LogLine[] {
  return output
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      try {
        return JSON.parse(line) as LogLine;
      } catch {
        throw new Error(`a log line that is not JSON: ${line}`);
      }
    });
}

describe('the log of a cluster through a sale, an outage and a crash', () => {
  let redis: PrivateRedis;
  let server: RunningServer;
  let token: string;
  const find = (pattern: RegExp) => lines(server.output()).find((line) => pattern.test(line.msg));
  const waitFor = (pattern: RegExp, timeoutMs = 10_000) =>
    eventually(() => find(pattern), timeoutMs, `a log line matching ${pattern}`).catch((error: Error) => {
      throw new Error(`${error.message}; the log:\n${lines(server.output()).map((line) => `${line.worker} ${line.level} ${line.msg}`).join('\n')}`);
    });

  before(async () => {
    redis = await PrivateRedis.start();
    // No ADMIN_TOKEN: the server makes one and hands it out once.
    server = await startServer({ WORKERS: '2', LEDGER: 'redis', REDIS_URL: redis.url, ADMIN_TOKEN: '', METRICS_TOKEN, LEDGER_TIMEOUT_MS: '300' });
    const handedOut = find(/generated one for this run/);
    assert.ok(handedOut, server.output());
    token = /run: (\S+)$/.exec(handedOut.msg)![1]!;
  });

  after(async () => {
    await server?.stop();
    await redis?.stop();
  });

  it('logs start-up with the configuration, secrets redacted, and a durability warning', async () => {
    const starting = find(/^starting$/)!;
    assert.equal(starting.worker, 'primary');
    const config = starting.config as Record<string, unknown>;
    assert.equal(config.ledger, 'redis');
    assert.equal(config.adminTokenFrom, 'generated at start-up');
    assert.equal(config.metricsTokenSet, true);
    assert.ok(!JSON.stringify(starting).includes(METRICS_TOKEN));
    // The private Redis runs without AOF: acknowledged orders could be lost, and the log says so.
    const warning = find(/Redis has appendonly no/)!;
    assert.equal(warning.level, 40);
    const ready = lines(server.output()).filter((line) => /^worker \d ready/.test(line.msg));
    assert.deepEqual(ready.map((line) => line.slot).sort(), [0, 1]);
  });

  it('logs a sale opening, selling out and closing, with its figures, and nothing per request', async () => {
    const now = Date.now();
    const created = await request(`${server.url}/api/sales`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
      // closesAt leaves room for the steps before it on a busy machine; once they are done it is moved to now.
      body: { id: 'lg', total: 5, opensAt: now + 1500, closesAt: now + 30_000 },
    });
    assert.equal(created.status, 201, created.text);
    const createdLine = await waitFor(/^sale lg created$/);
    assert.deepEqual([createdLine.sale, createdLine.total, createdLine.remaining], ['lg', 5, 5]);
    const opened = await waitFor(/^sale lg open$/, 5000);
    assert.ok(Date.parse(opened.time) >= now + 1500, `opened at ${opened.time}`);

    const before = lines(server.output()).length;
    const replies = await crowd({ count: 200, concurrency: 20, make: (i) => ({ url: `${server.url}/api/sales/lg/purchases`, method: 'POST', body: { userId: `b${i}` } }) });
    assert.deepEqual(statusCounts(replies), { 201: 5, 409: 195 });
    const soldOut = await waitFor(/^sale lg sold out/);
    assert.deepEqual([soldOut.sale, soldOut.total, soldOut.sold, soldOut.remaining], ['lg', 5, 5, 0]);
    assert.equal(typeof soldOut.sellOutMs, 'number');
    // 200 requests, and only events were logged meanwhile: the sale's own, and a slow ledger call on a busy machine.
    const during = lines(server.output())
      .slice(before)
      .filter((line) => !/^sale lg |^slow ledger call/.test(line.msg));
    assert.deepEqual(during.map((line) => line.msg), []);

    const closing = await request(`${server.url}/api/sales/lg`, { method: 'PATCH', headers: { authorization: `Bearer ${token}` }, body: { closesAt: new Date(Date.now() + 500).toISOString() } });
    assert.equal(closing.status, 200, closing.text);
    const closed = await waitFor(/^sale lg closed$/, 12_000);
    assert.deepEqual([closed.sale, closed.sold], ['lg', 5]);
  });

  it('logs a ledger outage once per process, and its recovery', async () => {
    await redis.kill();
    assert.equal((await request(`${server.url}/healthz`)).status, 503);
    const outage = await waitFor(/^ledger unavailable/);
    assert.equal(outage.level, 50);
    await redis.resume();
    await eventually(() => healthyInEveryWorker(server.url), 10_000, 'health to recover in every worker');
    const recovered = await waitFor(/^ledger answers again after \d+ ms/);
    assert.ok((recovered.outageMs as number) > 0);
    // One outage line per process that saw it, not one per failed call.
    const outages = lines(server.output()).filter((line) => /^ledger unavailable/.test(line.msg));
    assert.ok(outages.length <= 3, outages.map((line) => `${line.worker}: ${line.msg}`).join('\n'));
  });

  it('logs a killed worker going down and coming back', async () => {
    const cluster = (await request(`${server.url}/api/cluster`, { headers: { authorization: `Bearer ${token}` } })).body;
    process.kill(cluster.workers[1].pid, 'SIGKILL');
    const died = await waitFor(/^worker 1 died \(signal SIGKILL\); restarting/);
    assert.deepEqual([died.level, died.slot, died.signal], [40, 1, 'SIGKILL']);
    const back = await waitFor(/^worker 1 back/);
    assert.equal(back.slot, 1);
    assert.equal(back.restarts, 1);
  });

  it('writes every line as JSON with worker and pid, and no secret after the token line', () => {
    const all = lines(server.output());
    for (const line of all) {
      assert.ok(typeof line.level === 'number' && typeof line.pid === 'number' && 'worker' in line && typeof line.msg === 'string', JSON.stringify(line));
    }
    // Workers log too, under their own slot.
    assert.ok(all.some((line) => typeof line.worker === 'number'), 'no line from a worker');
    const tokenLines = all.map((line, i) => (JSON.stringify(line).includes(token) ? i : -1)).filter((i) => i >= 0);
    assert.equal(tokenLines.length, 1, `the admin token appears on lines ${tokenLines.join(', ')}`);
    assert.match(all[tokenLines[0]!]!.msg, /ADMIN_TOKEN was not set; generated one for this run/);
    assert.ok(!server.output().includes(METRICS_TOKEN), 'METRICS_TOKEN appears in the log');
  });
});
