// The embedded ledger's order lifecycle survives a SIGKILLed primary: after
// the restart the feed is rebuilt from the journal (a consumer from the start
// sees every transition once, in order), holds opened before the crash still
// expire on time, and their tickets sell again.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { request, statusCounts, type Reply } from '../helpers/client';
import { ADMIN_TOKEN, eventually, startServer, type RunningServer } from '../helpers/server';
import { isProcessAlive } from '../../src/system/process-alive';

const SALE = 'relive';
const TOTAL = 12;
const HOLD_SECONDS = 5;
const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };

interface FeedEventJson {
  id: string;
  orderId: string;
  userId: string;
  state: string;
  at: string;
}

async function readFeed(server: RunningServer, after: string | null = null): Promise<FeedEventJson[]> {
  const events: FeedEventJson[] = [];
  for (;;) {
    const query: string = after ? `?after=${after}&limit=7` : '?limit=7';
    const page = await request(`${server.url}/api/sales/${SALE}/feed${query}`, { headers: admin });
    assert.equal(page.status, 200, page.text);
    if (page.body.events.length === 0) return events;
    events.push(...page.body.events);
    after = page.body.last;
  }
}

describe('embedded ledger: the order lifecycle across a SIGKILLed primary', () => {
  const root = mkdtempSync(join(tmpdir(), 'spike-relive-'));
  // The ticket issuer stays out of this feed (its ticket_issued events would shift the ids counted here).
  const env = { LEDGER: 'embedded', DATA_DIR: join(root, 'data'), SOCKET_DIR: join(root, 'sockets'), WORKERS: '2', SHUTDOWN_TIMEOUT_MS: '2000', TICKET_ISSUE_MS: '600000' };
  let server: RunningServer | undefined;
  after(async () => {
    await server?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  it('rebuilds the feed, keeps open holds expiring on time, and sells their tickets again', async () => {
    server = await startServer(env);
    const first = server;
    const created = await request(`${first.url}/api/sales`, { method: 'POST', headers: admin, body: { id: SALE, total: TOTAL, holdSeconds: HOLD_SECONDS } });
    assert.equal(created.status, 201, created.text);
    const buy = (s: RunningServer, userId: string) => request(`${s.url}/api/sales/${SALE}/purchases`, { method: 'POST', body: { userId } });
    const orders: Reply[] = [];
    for (let i = 0; i < TOTAL; i++) orders.push(await buy(first, `u${i}`));
    assert.deepEqual(statusCounts(orders), { 201: TOTAL });
    const idOf = (i: number) => orders[i]!.body.orderId as string;
    for (let i = 0; i < 4; i++) assert.equal((await request(`${first.url}/api/orders/${idOf(i)}/pay`, { method: 'POST', body: { userId: `u${i}` } })).status, 200);
    for (let i = 4; i < 8; i++) assert.equal((await request(`${first.url}/api/orders/${idOf(i)}/cancel`, { method: 'POST', body: { userId: `u${i}` } })).status, 200);
    const before = await readFeed(first);
    assert.equal(before.length, TOTAL + 8);
    assert.deepEqual(before.map((e) => e.id), before.map((_, i) => String(i + 1)));

    const cluster = await request(`${first.url}/api/cluster`, { headers: admin });
    const workerPids = (cluster.body.workers as Array<{ pid: number }>).map((w) => w.pid);
    first.child.kill('SIGKILL');
    await first.exited;
    await eventually(() => workerPids.every((pid) => !isProcessAlive(pid)), 15_000, 'the orphaned workers to exit');

    server = await startServer(env);
    const second = server;
    const upAt = Date.now();
    assert.deepEqual((await readFeed(second)).slice(0, before.length), before, 'the feed a consumer reads from the start is the one it read before the crash');

    // The four holds still open expire on time, by the restarted primary's sweeper.
    const settled = await eventually(async () => {
      const audit = await request(`${second.url}/api/sales/${SALE}/audit`, { headers: admin });
      return audit.body.orders.reserved === 0 ? audit.body : null;
    }, (HOLD_SECONDS + 5) * 1000, 'the holds opened before the crash to expire');
    assert.deepEqual(settled.orders, { reserved: 0, paid: 4, expired: 4, cancelled: 4 });
    assert.ok(settled.consistent, JSON.stringify(settled));
    for (let i = 8; i < TOTAL; i++) {
      const order = (await request(`${second.url}/api/orders/${idOf(i)}`)).body;
      assert.equal(order.state, 'expired');
      const late = Date.parse(order.updatedAt) - Math.max(Date.parse(order.expiresAt), upAt);
      assert.ok(late <= 1500, `order ${i} was released ${late} ms after it was due`);
    }

    const resumed = await readFeed(second, before.at(-1)!.id);
    assert.deepEqual(resumed.map((e) => [e.id, e.state]), [8, 9, 10, 11].map((_, k) => [String(before.length + k + 1), 'expired']), 'a consumer resuming after the crash gets only the new transitions');
    assert.deepEqual(new Set(resumed.map((e) => e.orderId)), new Set([8, 9, 10, 11].map(idOf)));

    // Cancelled and expired tickets sell again: 8 of them, then sold out.
    const again: Reply[] = [];
    for (let i = 0; i < TOTAL - 4 + 1; i++) again.push(await buy(second, `v${i}`));
    assert.deepEqual(statusCounts(again), { 201: TOTAL - 4, 409: 1 });

    // Every order's transitions appear once, in order, with increasing ids.
    const feed = await readFeed(second);
    const ids = feed.map((e) => Number(e.id));
    assert.deepEqual(ids, ids.map((_, i) => i + 1));
    const perOrder = new Map<string, string[]>();
    for (const e of feed) perOrder.set(e.orderId, [...(perOrder.get(e.orderId) ?? []), e.state]);
    assert.equal(perOrder.size, 2 * TOTAL - 4);
    for (let i = 0; i < TOTAL; i++) assert.deepEqual(perOrder.get(idOf(i)), ['reserved', i < 4 ? 'paid' : i < 8 ? 'cancelled' : 'expired']);
    for (const reply of again.filter((r) => r.status === 201)) assert.deepEqual(perOrder.get(reply.body.orderId), ['reserved']);

    assert.equal(await second.stop(), 0);
    server = undefined;
  });
});
