// From reservation to ticket, through the real cluster on both ledgers: holds
// that expire on time, pay racing expiry, cancellation, stock that comes back
// on every worker, the order feed, and the stock invariant under churn.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { crowd, request, statusCounts, type Reply } from '../helpers/client';
import { REDIS_URL, uniquePrefix, dropTestPrefix } from '../helpers/redis';
import { ADMIN_TOKEN, eventually, startServer, type RunningServer } from '../helpers/server';

const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };

interface Audit {
  total: number;
  sold: number;
  paid: number;
  remaining: number;
  orders: { reserved: number; paid: number; expired: number; cancelled: number };
  buyersOverLimit: number;
  consistent: boolean;
}

const LEDGERS = [
  { name: 'redis', env: () => ({ LEDGER: 'redis', REDIS_URL, REDIS_PREFIX: uniquePrefix('lifecycle') }) },
  { name: 'embedded', env: () => ({ LEDGER: 'embedded', DATA_DIR: mkdtempSync(join(tmpdir(), 'spike-lifecycle-')) }) },
] as const;

for (const ledger of LEDGERS) {
  describe(`order lifecycle over HTTP, ${ledger.name} ledger`, () => {
    let server: RunningServer;
    let env: Record<string, string>;

    before(async () => {
      env = ledger.env();
      server = await startServer({ WORKERS: '4', BALANCER: 'proxy', ...env });
    });
    after(async () => {
      assert.equal(await server.stop(), 0, server.output());
      if (env.DATA_DIR) rmSync(env.DATA_DIR, { recursive: true, force: true });
      if (env.REDIS_PREFIX) {
        await dropTestPrefix(env.REDIS_PREFIX);
      }
    });

    const create = async (id: string, total: number, holdSeconds: number, extra: Record<string, unknown> = {}) => {
      const reply = await request(`${server.url}/api/sales`, { method: 'POST', headers: admin, body: { id, total, holdSeconds, ...extra } });
      assert.equal(reply.status, 201, reply.text);
      return reply.body;
    };
    const buy = (saleId: string, userId: string) => request(`${server.url}/api/sales/${saleId}/purchases`, { method: 'POST', body: { userId } });
    const pay = (orderId: string, userId: string) => request(`${server.url}/api/orders/${orderId}/pay`, { method: 'POST', body: { userId } });
    const cancel = (orderId: string, body: unknown, headers: Record<string, string> = {}) => request(`${server.url}/api/orders/${orderId}/cancel`, { method: 'POST', body, headers });
    const audit = async (saleId: string): Promise<Audit> => {
      const reply = await request(`${server.url}/api/sales/${saleId}/audit`, { headers: admin });
      assert.equal(reply.status, 200, reply.text);
      return reply.body;
    };
    const order = async (orderId: string) => (await request(`${server.url}/api/orders/${orderId}`)).body;

    it('a hold expires on time: the ticket returns, another buyer gets it, paying the expired order is a 409', async () => {
      // Bob, answered before alice's hold ends, must be refused. On a loaded box his answer may
      // only come after expiresAt, which proves nothing: then the same check runs again on a new
      // sale with a longer hold (1 s, 2 s, 4 s).
      let saleId = '';
      let alice: Reply | undefined;
      let expiresAt = 0;
      for (let holdSeconds = 1; !alice; holdSeconds *= 2) {
        saleId = `hold${holdSeconds}`;
        const sale = await create(saleId, 1, holdSeconds);
        assert.equal(sale.holdSeconds, holdSeconds);
        const reply = await buy(saleId, 'alice');
        assert.equal(reply.status, 201);
        assert.equal(reply.body.state, 'reserved');
        expiresAt = Date.parse(reply.body.expiresAt);
        assert.equal(expiresAt - Date.parse(reply.body.createdAt), holdSeconds * 1000);
        const early = await buy(saleId, 'bob');
        if (Date.now() < expiresAt) {
          assert.equal(early.body.error?.code, 'sold_out', early.text);
          alice = reply;
        } else {
          assert.ok(holdSeconds < 4, 'no answer came within a 4 s hold');
        }
      }

      const bob = await eventually(async () => {
        const reply = await buy(saleId, 'bob');
        if (reply.status === 201) assert.ok(Date.now() >= expiresAt, 'the ticket was sold again before the hold ended');
        return reply.status === 201 ? reply : null;
      }, 10_000, 'bob to get the released ticket');
      // The sweeper runs every HOLD_SWEEP_MS (250 ms); the rest is this box's latency, with room for a loaded one.
      const late = Date.now() - expiresAt;
      assert.ok(late <= 2500, `released ${late} ms after expiresAt`);
      console.log(`# ${ledger.name}: the expired hold was bought again ${late} ms after its expiresAt`);

      const refused = await pay(alice.body.orderId, 'alice');
      assert.equal(refused.status, 409);
      assert.equal(refused.body.error.code, 'expired');
      assert.equal((await order(alice.body.orderId)).state, 'expired');
      assert.equal((await pay(bob.body.orderId, 'bob')).status, 200);
      const a = await audit(saleId);
      assert.deepEqual(a.orders, { reserved: 0, paid: 1, expired: 1, cancelled: 0 });
      assert.equal(a.remaining, 0);
      assert.ok(a.consistent);
    });

    it('pay racing expiry at the boundary: every order ends paid and counted, or expired and released, never both', async () => {
      const n = 40;
      await create('race', n, 1);
      const reserved = await crowd({ count: n, concurrency: 20, make: (i) => ({ url: `${server.url}/api/sales/race/purchases`, method: 'POST', body: { userId: `racer${i}` } }) });
      assert.deepEqual(statusCounts(reserved), { 201: n });
      // Each payment is fired within ±40 ms of its order's expiresAt.
      const answers = await Promise.all(
        reserved.map((r, i) => {
          const fireAt = Date.parse(r.body.expiresAt) + ((i % 9) - 4) * 10;
          return new Promise<Reply>((resolve, reject) => {
            setTimeout(() => pay(r.body.orderId, r.body.userId).then(resolve, reject), Math.max(0, fireAt - Date.now()));
          });
        }),
      );
      for (const answer of answers) assert.ok(answer.status === 200 || (answer.status === 409 && answer.body.error.code === 'expired'), answer.text);
      await eventually(async () => (await audit('race')).orders.reserved === 0, 5000, 'every hold to settle');
      let paid = 0;
      for (let i = 0; i < n; i++) {
        const state = (await order(reserved[i]!.body.orderId)).state;
        assert.equal(state, answers[i]!.status === 200 ? 'paid' : 'expired', `order ${i}: the buyer was told ${answers[i]!.status}`);
        if (state === 'paid') paid++;
      }
      const a = await audit('race');
      assert.equal(a.paid, paid);
      assert.equal(a.sold, paid);
      assert.equal(a.orders.expired, n - paid);
      assert.ok(a.consistent);
      console.log(`# ${ledger.name}: at the boundary ${paid} of ${n} payments won, ${n - paid} holds expired`);
    });

    it('cancel: refused to another buyer; the owner (or an admin) cancels and the ticket is sold again', async () => {
      await create('cx', 2, 60);
      const alice = (await buy('cx', 'alice')).body;
      const bob = (await buy('cx', 'bob')).body;
      assert.equal((await buy('cx', 'carol')).body.error.code, 'sold_out');

      const stranger = await cancel(alice.orderId, { userId: 'mallory' });
      assert.equal(stranger.status, 403);
      assert.equal(stranger.body.error.code, 'not_order_owner');
      const own = await cancel(alice.orderId, { userId: 'alice' });
      assert.equal(own.status, 200);
      assert.equal(own.body.state, 'cancelled');
      const again = await cancel(alice.orderId, { userId: 'alice' });
      assert.equal(again.status, 200);
      assert.equal(again.headers['idempotent-replayed'], 'true');
      assert.equal((await pay(alice.orderId, 'alice')).body.error.code, 'cancelled');
      assert.equal((await buy('cx', 'carol')).status, 201, 'the released ticket sells again');

      const byAdmin = await cancel(bob.orderId, undefined, admin);
      assert.equal(byAdmin.status, 200);
      const dave = await buy('cx', 'dave');
      assert.equal(dave.status, 201);
      assert.equal((await pay(dave.body.orderId, 'dave')).status, 200);
      const paidCancel = await cancel(dave.body.orderId, { userId: 'dave' });
      assert.equal(paidCancel.status, 409);
      assert.equal(paidCancel.body.error.code, 'already_paid');
      assert.equal((await cancel(`cx.doesnotexist`, { userId: 'x' })).status, 404);
      assert.equal((await cancel(alice.orderId, { userId: 'bad id!' })).status, 400);
    });

    it('sold out, then holds expire, then new buyers buy again through every worker', async () => {
      const total = 8;
      // 16 buyers one after another must all meet the first holds still held: 4 s leaves room for a loaded box.
      await create('again', total, 4);
      // One buyer per fresh connection, in turn: the balancer sends them to workers 0,1,2,3,0,...
      const inTurn = async (label: string, count: number) => {
        const replies: Reply[] = [];
        for (let i = 0; i < count; i++) replies.push(await buy('again', `${label}${i}`));
        return replies;
      };
      assert.deepEqual(statusCounts(await inTurn('first', total)), { 201: total });
      const turnedAway = await inTurn('late', 8);
      assert.deepEqual(statusCounts(turnedAway), { 409: 8 });
      assert.deepEqual(new Set(turnedAway.map((r) => r.headers['x-spike-worker'])), new Set(['0', '1', '2', '3']), 'every worker knows the sale is sold out');

      await eventually(async () => (await audit('again')).orders.reserved === 0, 10_000, 'all holds to expire');
      const second = await inTurn('second', total);
      assert.deepEqual(statusCounts(second), { 201: total });
      assert.deepEqual(new Set(second.map((r) => r.headers['x-spike-worker'])), new Set(['0', '1', '2', '3']), 'every worker sold returned stock');
      assert.equal((await buy('again', 'one-more')).body.error.code, 'sold_out');
    });

    it('keeps reserved + paid + remaining == total at every sampled moment under churn, and the feed tells every transition once', async () => {
      const total = 40;
      await create('churn', total, 1);
      const deadline = Date.now() + 3000;
      const mine: Array<{ orderId: string; userId: string }> = [];
      let violations = 0;
      let samples = 0;
      let buyers = 0;
      const buyersLane = async () => {
        while (Date.now() < deadline) {
          const userId = `churn${buyers++}`;
          const reply = await buy('churn', userId);
          if (reply.status === 201) mine.push({ orderId: reply.body.orderId, userId });
          else assert.equal(reply.body.error.code, 'sold_out');
        }
      };
      const settleLane = (action: 'pay' | 'cancel') => async () => {
        while (Date.now() < deadline) {
          const pick = mine.splice(Math.floor(Math.random() * mine.length), 1)[0];
          if (!pick) {
            await new Promise((resolve) => setTimeout(resolve, 5));
            continue;
          }
          // Some are left to expire; the rest are paid or cancelled.
          if (Math.random() < 0.4) continue;
          const reply = action === 'pay' ? await pay(pick.orderId, pick.userId) : await cancel(pick.orderId, { userId: pick.userId });
          assert.ok([200, 409].includes(reply.status), reply.text);
        }
      };
      const sampler = async () => {
        while (Date.now() < deadline) {
          const a = await audit('churn');
          samples++;
          if (!a.consistent || a.orders.reserved + a.orders.paid + a.remaining !== a.total || a.remaining < 0) violations++;
        }
      };
      await Promise.all([buyersLane(), buyersLane(), buyersLane(), settleLane('pay')(), settleLane('cancel')(), sampler()]);
      await eventually(async () => (await audit('churn')).orders.reserved === 0, 5000, 'the last holds to expire');
      const final = await audit('churn');
      assert.equal(violations, 0, `${violations} of ${samples} samples broke the invariant`);
      assert.ok(samples > 10);
      assert.ok(final.consistent);
      assert.equal(final.orders.paid + final.remaining, total);
      assert.ok(final.orders.expired > 0 && final.orders.cancelled > 0 && final.orders.paid > 0, JSON.stringify(final.orders));

      // A consumer reading the feed from the start, page by page.
      const events: Array<{ id: string; orderId: string; state: string }> = [];
      let after: string | null = null;
      for (;;) {
        const query: string = after ? `?after=${after}&limit=50` : '?limit=50';
        const page = await request(`${server.url}/api/sales/churn/feed${query}`, { headers: admin });
        assert.equal(page.status, 200, page.text);
        if (page.body.events.length === 0) break;
        // Order state changes only: paid orders' tickets add ticket_issued events between them.
        events.push(...page.body.events.filter((e: { type: string }) => e.type === 'order'));
        after = page.body.last;
      }
      assert.equal(new Set(events.map((e) => e.id)).size, events.length, 'no event twice');
      const perOrder = new Map<string, string[]>();
      for (const e of events) perOrder.set(e.orderId, [...(perOrder.get(e.orderId) ?? []), e.state]);
      const counts = { reserved: 0, paid: 0, expired: 0, cancelled: 0 } as Record<string, number>;
      for (const [orderId, states] of perOrder) {
        assert.equal(states[0], 'reserved', `${orderId} starts reserved`);
        assert.ok(states.length === 2, `${orderId} went ${states.join(' -> ')}: one transition after the reservation`);
        assert.equal(states[1], (await order(orderId)).state, `${orderId}: the feed ends where the order is`);
        counts[states[1]!]!++;
      }
      assert.deepEqual(counts, { reserved: 0, paid: final.orders.paid, expired: final.orders.expired, cancelled: final.orders.cancelled });
      console.log(`# ${ledger.name}: churn ${samples} samples, ${perOrder.size} orders: ${JSON.stringify(final.orders)}`);
    });

    it('lists a sale\'s orders by state for an admin, in pages', async () => {
      await create('listed', 10, 60);
      const made = await crowd({ count: 10, concurrency: 5, make: (i) => ({ url: `${server.url}/api/sales/listed/purchases`, method: 'POST', body: { userId: `l${i}` } }) });
      for (const reply of made.slice(0, 4)) await pay(reply.body.orderId, reply.body.userId);
      const all: string[] = [];
      let cursor: string | null = null;
      for (let page = 0; page < 50; page++) {
        const query: string = cursor ? `&cursor=${cursor}` : '';
        const reply = await request(`${server.url}/api/sales/listed/orders?limit=3${query}`, { headers: admin });
        assert.equal(reply.status, 200, reply.text);
        all.push(...reply.body.orders.map((o: { orderId: string }) => o.orderId));
        cursor = reply.body.cursor;
        if (!cursor) break;
      }
      assert.equal(new Set(all).size, 10);
      const paid = await request(`${server.url}/api/sales/listed/orders?state=paid&limit=100`, { headers: admin });
      assert.equal(paid.body.orders.length, 4);
      assert.equal((await request(`${server.url}/api/sales/listed/orders`)).status, 401);
      assert.equal((await request(`${server.url}/api/sales/listed/orders?state=lost`, { headers: admin })).body.error.code, 'invalid_field');
      assert.equal((await request(`${server.url}/api/sales/nope/orders`, { headers: admin })).status, 404);
    });
  });
}
