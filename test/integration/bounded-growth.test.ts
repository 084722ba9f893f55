// Issue 11's bounded growth through the real server on both ledgers: a
// buyer's buy-cancel loop stops at the sale's maxCancelsPerBuyer with a 429,
// and loses nothing on the way.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { crowd, request, statusCounts } from '../helpers/client';
import { adminRedis, dropPrefix, REDIS_URL, uniquePrefix } from '../helpers/redis';
import { ADMIN_TOKEN, eventually, startServer, type RunningServer } from '../helpers/server';

const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
const root = mkdtempSync(join(tmpdir(), 'spike-bounded-'));
const prefixes: string[] = [];
const servers: RunningServer[] = [];
after(async () => {
  for (const server of servers) await server.stop();
  rmSync(root, { recursive: true, force: true });
  const redis = adminRedis();
  for (const prefix of prefixes) await dropPrefix(redis, prefix);
  await redis.quit();
});

function ledgerEnv(ledger: 'embedded' | 'redis', name: string): Record<string, string> {
  if (ledger === 'embedded') return { LEDGER: 'embedded', REDIS_URL: '', DATA_DIR: join(root, `data-${name}`) };
  const prefix = uniquePrefix(`bounded-${name}`);
  prefixes.push(prefix);
  return { LEDGER: 'redis', REDIS_URL, REDIS_PREFIX: prefix };
}

async function start(env: Record<string, string>): Promise<RunningServer> {
  const server = await startServer({ WORKERS: '1', SHUTDOWN_TIMEOUT_MS: '2000', SOCKET_DIR: join(root, `sockets-${servers.length}`), ...env });
  servers.push(server);
  return server;
}

for (const ledger of ['embedded', 'redis'] as const) {
  describe(`bounded growth on the ${ledger} ledger`, () => {
    it('a buy-cancel loop stops at maxCancelsPerBuyer with 429 too_many_cancellations, across a restart; the held ticket stays sold', async () => {
      const env = ledgerEnv(ledger, 'cancels');
      let server = await start(env);
      const created = await request(`${server.url}/api/sales`, { method: 'POST', headers: admin, body: { id: 'churn', total: 5, holdSeconds: 600 } });
      assert.equal(created.status, 201, created.text);
      assert.equal(created.body.maxCancelsPerBuyer, 3, 'the default is shown');
      const buy = async () => {
        const reply = await request(`${server.url}/api/sales/churn/purchases`, { method: 'POST', body: { userId: 'looper' } });
        assert.equal(reply.status, 201, reply.text);
        return reply.body.orderId as string;
      };
      const cancel = (orderId: string) => request(`${server.url}/api/orders/${orderId}/cancel`, { method: 'POST', body: { userId: 'looper' } });
      for (let i = 0; i < 2; i++) assert.equal((await cancel(await buy())).status, 200);
      await server.stop();
      server = await start(env);
      assert.equal((await cancel(await buy())).status, 200, 'the third cancel, after a restart');
      const held = await buy();
      const refused = await cancel(held);
      assert.equal(refused.status, 429, refused.text);
      assert.equal(refused.body.error.code, 'too_many_cancellations');
      assert.match(refused.body.error.message, /buyer "looper" has already cancelled 3 order\(s\) of sale "churn"/);
      const order = await request(`${server.url}/api/orders/${held}`);
      assert.equal(order.body.state, 'reserved', 'the refused cancel changed nothing');
      const audit = await request(`${server.url}/api/sales/churn/audit`, { headers: admin });
      assert.deepEqual(audit.body.orders, { reserved: 1, paid: 0, expired: 0, cancelled: 3 });
      assert.equal(audit.body.consistent, true);
      // The admin may still cancel; a sale may allow no buyer cancellation at all.
      assert.equal((await request(`${server.url}/api/orders/${held}/cancel`, { method: 'POST', headers: admin })).status, 200);
      const strict = await request(`${server.url}/api/sales`, { method: 'POST', headers: admin, body: { id: 'strict', total: 5, maxCancelsPerBuyer: 0 } });
      assert.equal(strict.body.maxCancelsPerBuyer, 0);
      const bad = await request(`${server.url}/api/sales`, { method: 'POST', headers: admin, body: { id: 'bad', total: 5, maxCancelsPerBuyer: -1 } });
      assert.equal(bad.status, 400);
      assert.match(bad.body.error.message, /^maxCancelsPerBuyer must be an integer from 0 to 1000/);
    });

    it('the order feed keeps its last FEED_MAX_EVENTS events, trimmed in steps, and reads on from the oldest kept', async () => {
      const env = ledgerEnv(ledger, 'feed');
      const server = await start({ ...env, FEED_MAX_EVENTS: '50', TICKET_ISSUE_MS: '600000' });
      assert.equal((await request(`${server.url}/api/sales`, { method: 'POST', headers: admin, body: { id: 'busy', total: 1000, holdSeconds: 600 } })).status, 201);
      const orders = 400;
      const replies = await crowd({ count: orders, concurrency: 16, make: (i) => ({ url: `${server.url}/api/sales/busy/purchases`, method: 'POST', body: { userId: `b${i}` } }) });
      assert.deepEqual(statusCounts(replies), { 201: orders });
      // One event per order: read the whole feed as a client would, page by page.
      const events: Array<{ id: string; orderId: string }> = [];
      let after = '';
      for (;;) {
        const page = await request(`${server.url}/api/sales/busy/feed?after=${after}&limit=1000`, { headers: admin });
        assert.equal(page.status, 200, page.text);
        if (page.body.events.length === 0) break;
        events.push(...page.body.events);
        after = page.body.last;
      }
      // At least the cap is kept, and at most a trimming step (Redis: a stream node of 100 entries) more.
      assert.ok(events.length >= 50 && events.length <= 150, `${events.length} events kept of ${orders}`);
      const ids = new Set(replies.map((r) => r.body.orderId as string));
      assert.ok(events.every((e) => ids.has(e.orderId)), 'every kept event is one of the orders');
      assert.equal(new Set(events.map((e) => e.orderId)).size, events.length, 'no event twice');
      // The oldest events went: the last order made is in the feed, and the first is not.
      const audit = await request(`${server.url}/api/sales/busy/audit`, { headers: admin });
      assert.equal(audit.body.sold, orders, 'trimming the feed touched no order');
      assert.equal(audit.body.consistent, true);
      const first = await request(`${server.url}/api/sales/busy/feed?limit=1`, { headers: admin });
      assert.equal(first.body.events[0].id, events[0]!.id, 'a reader from the start begins at the oldest kept');
      if (ledger === 'redis') {
        const redis = adminRedis();
        const length = await redis.xlen(`${env.REDIS_PREFIX}:{busy}:feed`);
        await redis.quit();
        assert.equal(length, events.length);
      } else {
        assert.ok(Number(events[0]!.id) > 1, "the embedded feed's ids did not restart: the first kept is not event 1");
      }
    });

    it('retention: a sale closed longer than SALE_RETENTION_DAYS is archived (NDJSON, gzip) and leaves the ledger; open sales stay', async () => {
      const env = ledgerEnv(ledger, 'retention');
      const archiveDir = join(root, `archive-${ledger}`);
      // 0.00002 days is 1.7 s: long enough to close, buy and pay in between, short enough for a test.
      const retentionEnv = { ...env, SALE_RETENTION_DAYS: '0.00002', RETENTION_SWEEP_MS: '200', SALE_ARCHIVE_DIR: archiveDir };
      let server = await start(retentionEnv);
      assert.match(server.output(), /retention: sales closed more than 0.00002 day\(s\) ago are archived/);
      for (const id of ['old', 'live']) assert.equal((await request(`${server.url}/api/sales`, { method: 'POST', headers: admin, body: { id, total: 50, holdSeconds: 600 } })).status, 201);
      const bought: Array<{ orderId: string; userId: string; state: string }> = [];
      for (let i = 0; i < 30; i++) {
        const reply = await request(`${server.url}/api/sales/old/purchases`, { method: 'POST', body: { userId: `r${i}` } });
        assert.equal(reply.status, 201, reply.text);
        bought.push({ orderId: reply.body.orderId, userId: `r${i}`, state: 'reserved' });
      }
      for (const order of bought.slice(0, 10)) {
        assert.equal((await request(`${server.url}/api/orders/${order.orderId}/pay`, { method: 'POST', body: { userId: order.userId } })).status, 200);
        order.state = 'paid';
      }
      for (const order of bought.slice(10, 13)) {
        assert.equal((await request(`${server.url}/api/orders/${order.orderId}/cancel`, { method: 'POST', body: { userId: order.userId } })).status, 200);
        order.state = 'cancelled';
      }
      assert.equal((await request(`${server.url}/api/sales/live/purchases`, { method: 'POST', body: { userId: 'stay' } })).status, 201);
      const closed = await request(`${server.url}/api/sales/old/close`, { method: 'POST', headers: admin });
      assert.equal(closed.status, 200);
      const closedAt = Date.parse(closed.body.closesAt);
      assert.equal((await request(`${server.url}/api/sales/old/audit`, { headers: admin })).status, 200, 'still there right after closing');

      const line = await server.waitForOutput(/retention: sale old archived \(30 orders, \d+ bytes\) to \S+ and removed from the ledger/, 15_000);
      assert.ok(Date.now() - closedAt >= 1700, 'not before the retention ran out');
      await eventually(async () => (await request(`${server.url}/api/sales/old`)).status === 404, 5000, 'the sale view to drop it');
      assert.equal((await request(`${server.url}/api/sales/old/audit`, { headers: admin })).status, 404);
      assert.equal((await request(`${server.url}/api/orders/${bought[0]!.orderId}`)).status, 404);
      const live = await request(`${server.url}/api/sales/live/audit`, { headers: admin });
      assert.equal(live.body.sold, 1, 'an open sale is never retired');

      // The archive: the sale, every order in its final state, and the end line with the count.
      const files = readdirSync(archiveDir).filter((name) => name.startsWith('old-'));
      assert.equal(files.length, 1, files.join(', '));
      assert.ok(line.includes(files[0]!));
      const lines = gunzipSync(readFileSync(join(archiveDir, files[0]!))).toString().trim().split('\n').map((text) => JSON.parse(text));
      assert.equal(lines[0].type, 'sale');
      assert.equal(lines[0].id, 'old');
      assert.equal(lines[0].sold, 27);
      assert.deepEqual(lines.at(-1), { type: 'end', saleId: 'old', orders: 30, archivedAt: lines.at(-1).archivedAt });
      const archived = new Map(lines.filter((l) => l.type === 'order').map((l) => [l.orderId, l]));
      assert.equal(archived.size, 30);
      for (const order of bought) {
        assert.equal(archived.get(order.orderId)?.state, order.state, order.orderId);
        assert.equal(archived.get(order.orderId)?.userId, order.userId);
      }
      assert.ok(!readdirSync(archiveDir).some((name) => name.endsWith('.tmp')), 'no temporary file left');

      // Gone for good: a restart does not bring it back, and the ledger holds none of its keys.
      await server.stop();
      server = await start({ ...retentionEnv, SALE_RETENTION_DAYS: '0' });
      assert.match(server.output(), /retention: SALE_RETENTION_DAYS is not set/);
      assert.equal((await request(`${server.url}/api/sales/old/audit`, { headers: admin })).status, 404);
      assert.equal((await request(`${server.url}/api/sales/live/audit`, { headers: admin })).body.sold, 1);
      if (ledger === 'redis') {
        const redis = adminRedis();
        const left = await redis.keys(`${env.REDIS_PREFIX}:{old}:*`);
        assert.deepEqual(left, [], 'every key of the sale is gone');
        assert.equal(await redis.sismember(`${env.REDIS_PREFIX}:sales`, 'old'), 0);
        await redis.quit();
      } else {
        assert.ok(existsSync(env.DATA_DIR!));
      }
    });
  });
}
