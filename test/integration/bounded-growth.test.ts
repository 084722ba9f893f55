// Issue 11's bounded growth through the real server on both ledgers: a
// buyer's buy-cancel loop stops at the sale's maxCancelsPerBuyer with a 429,
// and loses nothing on the way.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { crowd, request, statusCounts } from '../helpers/client';
import { adminRedis, dropPrefix, REDIS_URL, uniquePrefix } from '../helpers/redis';
import { ADMIN_TOKEN, startServer, type RunningServer } from '../helpers/server';

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
  });
}
