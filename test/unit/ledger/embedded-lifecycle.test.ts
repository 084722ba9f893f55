// What the embedded ledger adds to the order lifecycle contract: holds, the
// feed and the expiry index rebuilt from the journal after a restart, old
// journals still read, expiry in time order, and sweeps that share fsyncs.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { EmbeddedLedger } from '../../../src/ledger/embedded/embedded-ledger';
import { LIST_SCAN_BUDGET } from '../../../src/ledger/embedded/queries';
import type { OrderFeedEvent, Order, ReserveOutcome, SaleSpec } from '../../../src/ledger';
import { JOURNAL_FILE } from '../../../src/ledger/embedded/journal/journal';
import { encodeFrame, FILE_MAGIC } from '../../../src/ledger/embedded/journal/journal-format';

const dirs: string[] = [];
function tempDataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'spike-lifecycle-'));
  dirs.push(dir);
  return dir;
}
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const T = 1_800_000_000_000;

function sale(id: string, overrides: Partial<SaleSpec> = {}): SaleSpec {
  return { id, name: id, total: 10, perUserLimit: 1, holdSeconds: 60, opensAt: null, closesAt: null, ...overrides };
}

async function reserve(ledger: EmbeddedLedger, saleId: string, userId: string, now: number): Promise<Order> {
  const outcome: ReserveOutcome = await ledger.reserve({ saleId, userId, requestKey: `k:${userId}`, orderId: `${saleId}.${userId}`, now });
  assert.equal(outcome.kind, 'reserved', JSON.stringify(outcome));
  return (outcome as Extract<ReserveOutcome, { kind: 'reserved' }>).order;
}

async function wholeFeed(ledger: EmbeddedLedger, saleId: string, after: string | null = null): Promise<OrderFeedEvent[]> {
  const events: OrderFeedEvent[] = [];
  for (;;) {
    const page = await ledger.readFeed(saleId, after, 3);
    if (page.events.length === 0) return events;
    events.push(...(page.events as OrderFeedEvent[]));
    after = page.last;
  }
}

describe('embedded ledger: holds and the feed across a restart', () => {
  it('rebuilds orders, counters, holds and the feed from the journal; a consumer from the start sees every transition once, in order', async () => {
    const dataDir = tempDataDir();
    let ledger = EmbeddedLedger.open({ dataDir, fsync: 'batch' });
    await ledger.createSale(sale('r1', { perUserLimit: 2 }), T);
    const a = await reserve(ledger, 'r1', 'alice', T);
    const b = await reserve(ledger, 'r1', 'bob', T + 1);
    const c = await reserve(ledger, 'r1', 'carol', T + 2);
    const d = await reserve(ledger, 'r1', 'dave', T + 3);
    assert.equal((await ledger.pay(a.orderId, 'alice', T + 10)).kind, 'paid');
    assert.equal((await ledger.cancel(b.orderId, 'bob', T + 11)).kind, 'cancelled');
    assert.equal(await ledger.expireHolds('r1', c.expiresAt!, 10), 1);
    const feed = await wholeFeed(ledger, 'r1');
    assert.deepEqual(feed.map((e) => e.id), ['1', '2', '3', '4', '5', '6', '7'], 'ids count up from 1');
    assert.deepEqual(feed.map((e) => [e.userId, e.state, e.at]), [
      ['alice', 'reserved', T], ['bob', 'reserved', T + 1], ['carol', 'reserved', T + 2], ['dave', 'reserved', T + 3],
      ['alice', 'paid', T + 10], ['bob', 'cancelled', T + 11], ['carol', 'expired', c.expiresAt!],
    ]);
    const figures = ledger.diagnostics.saleFigures('r1')!;
    const orders = await Promise.all([a, b, c, d].map((o) => ledger.getOrder(o.orderId)));
    const sold = await ledger.getSale('r1');
    await ledger.close();

    ledger = EmbeddedLedger.open({ dataDir, fsync: 'batch' });
    assert.equal(ledger.diagnostics.replay.records, 1 + 4 + 3);
    assert.deepEqual(await wholeFeed(ledger, 'r1'), feed, 'the same feed, event for event');
    assert.deepEqual(await Promise.all([a, b, c, d].map((o) => ledger.getOrder(o.orderId))), orders);
    assert.deepEqual(await ledger.getSale('r1'), sold);
    assert.deepEqual(ledger.diagnostics.saleFigures('r1'), { ...figures, holdIndex: 1 }, 'only the one hold still open is back in the index');
    assert.deepEqual(await ledger.audit('r1'), { total: 10, sold: 2, paid: 1, orders: { reserved: 1, paid: 1, expired: 1, cancelled: 1 }, buyers: 2, buyersOverLimit: 0 });

    // The hold made before the restart still expires on time after it, and the feed goes on from where it was.
    assert.equal(await ledger.expireHolds('r1', d.expiresAt! - 1, 10), 0);
    assert.equal(await ledger.expireHolds('r1', d.expiresAt!, 10), 1);
    assert.deepEqual(await wholeFeed(ledger, 'r1', '7'), [{ id: '8', orderId: d.orderId, userId: 'dave', state: 'expired', at: d.expiresAt! }]);
    assert.equal((await ledger.getSale('r1'))!.sold, 1);
    // Bob's cancel gave his ticket back and lowered his count, so the restart has him buy afresh.
    assert.equal((await ledger.reserve({ saleId: 'r1', userId: 'bob', requestKey: 'k:bob-2', orderId: 'r1.bob-2', now: T + 100 })).kind, 'reserved');
    await ledger.close();
  });

  it('reads a journal written before holds existed: its sales were final at once, so their orders are paid', async () => {
    const dataDir = tempDataDir();
    const frames = [
      ['S', 'old', 'Old sale', 5, 1, null, null, 100],
      ['R', 'old', 'u1', 'k:1', 'old.1', 200],
    ].map((fields) => encodeFrame(JSON.stringify(fields)));
    writeFileSync(join(dataDir, JOURNAL_FILE), Buffer.concat([FILE_MAGIC, ...frames]));
    const ledger = EmbeddedLedger.open({ dataDir, fsync: 'batch' });
    assert.deepEqual(await ledger.getSale('old'), { id: 'old', name: 'Old sale', total: 5, perUserLimit: 1, holdSeconds: 0, opensAt: null, closesAt: null, anonymous: false, maxCancelsPerBuyer: 3, sold: 1, paid: 1, createdAt: 100 });
    assert.deepEqual(await ledger.getOrder('old.1'), { orderId: 'old.1', saleId: 'old', userId: 'u1', state: 'paid', createdAt: 200, expiresAt: null, updatedAt: 200 });
    assert.deepEqual((await ledger.readFeed('old', null, 10)).events, [{ id: '1', orderId: 'old.1', userId: 'u1', state: 'paid', at: 200 }]);
    assert.equal(await ledger.expireHolds('old', 9e15, 10), 0);
    await ledger.close();
  });
});

describe('embedded ledger: the expiry index', () => {
  it('releases due holds earliest first whatever order they were bought in, never one not yet due, and drops paid ones unseen', async () => {
    const ledger = EmbeddedLedger.open({ dataDir: tempDataDir(), fsync: 'batch' });
    await ledger.createSale(sale('x1', { holdSeconds: 10 }), 0);
    // Workers' clocks differ: purchase times reach the ledger out of order.
    const bought = [5000, 1000, 3000, 2000, 4000, 1000];
    const orders: Order[] = [];
    for (const [i, now] of bought.entries()) orders.push(await reserve(ledger, 'x1', `u${i}`, now));
    const stateOf = async (i: number) => (await ledger.getOrder(orders[i]!.orderId))!.state;

    assert.equal(await ledger.expireHolds('x1', 14_000, 3), 3);
    // Due at 14,000: the ones bought at 1000 (two: u1 then u5), 2000, 3000, 4000; earliest first, ties by purchase.
    assert.deepEqual(await Promise.all([1, 5, 3].map(stateOf)), ['expired', 'expired', 'expired']);
    assert.equal(await stateOf(2), 'reserved');
    assert.equal((await ledger.pay(orders[2]!.orderId, null, 12_999)).kind, 'paid', 'paid in time');
    assert.equal(await ledger.expireHolds('x1', 14_000, 10), 1, 'the paid entry is dropped, the one due at 14,000 released');
    assert.equal(await stateOf(4), 'expired');
    assert.equal(await stateOf(0), 'reserved', 'due only at 15,000');
    assert.equal(ledger.diagnostics.saleFigures('x1')!.holdIndex, 1);
    await ledger.cancel(orders[0]!.orderId, 'u0', 14_500);
    assert.equal(await ledger.expireHolds('x1', 1e12, 10), 0);
    assert.equal(ledger.diagnostics.saleFigures('x1')!.holdIndex, 0);
    assert.deepEqual(await ledger.audit('x1'), { total: 10, sold: 1, paid: 1, orders: { reserved: 0, paid: 1, expired: 4, cancelled: 1 }, buyers: 1, buyersOverLimit: 0 });
    await ledger.close();
  });

  it('a sweep of many holds is one journal record each, sharing fsyncs, and announces the sale once the releases are durable', async () => {
    const ledger = EmbeddedLedger.open({ dataDir: tempDataDir(), fsync: 'batch' });
    await ledger.createSale(sale('x2', { total: 300, holdSeconds: 1 }), T);
    await Promise.all(Array.from({ length: 300 }, (_, i) => reserve(ledger, 'x2', `u${i}`, T)));
    const heard: Array<{ saleId: string; syncs: number }> = [];
    ledger.onStockReturned((saleId) => heard.push({ saleId, syncs: ledger.diagnostics.journal.syncs }));
    const before = ledger.diagnostics.journal;
    const sweep = ledger.expireHolds('x2', T + 1000, 500);
    assert.deepEqual(heard, [], 'not announced before the journal has it');
    assert.equal(await sweep, 300);
    const figures = ledger.diagnostics.journal;
    assert.equal(figures.records - before.records, 300);
    assert.ok(figures.syncs - before.syncs <= 2, `one sweep of 300 holds took ${figures.syncs - before.syncs} fsyncs`);
    assert.deepEqual(heard, [{ saleId: 'x2', syncs: figures.syncs }], 'announced once, after the fsync');
    assert.equal((await ledger.getSale('x2'))!.sold, 0);
    await ledger.close();
  });
});

describe('embedded ledger: feed positions and order pages', () => {
  it('feed ids are decimal counts; reading past the end returns nothing and keeps the position', async () => {
    const ledger = EmbeddedLedger.open({ dataDir: tempDataDir(), fsync: 'batch' });
    await ledger.createSale(sale('f1'), T);
    assert.deepEqual(await ledger.readFeed('f1', null, 10), { events: [], last: null });
    for (const user of ['a', 'b', 'c']) await reserve(ledger, 'f1', user, T);
    assert.deepEqual((await ledger.readFeed('f1', '1', 10)).events.map((e) => e.id), ['2', '3']);
    assert.deepEqual((await ledger.readFeed('f1', '0', 1)), { events: [(await ledger.readFeed('f1', null, 1)).events[0]!], last: '1' });
    assert.deepEqual(await ledger.readFeed('f1', '99', 10), { events: [], last: '99' });
    assert.deepEqual((await ledger.readFeed('f1', '2-0', 10)).events.map((e) => e.id), ['3'], 'a stream-style id reads by its number');
    assert.deepEqual(await ledger.readFeed('nope', '5', 10), { events: [], last: '5' });
    await ledger.close();
  });

  it('a filtered page scans a bounded number of orders and hands back a cursor to go on', async () => {
    const ledger = EmbeddedLedger.open({ dataDir: tempDataDir(), fsync: 'off', warn: () => {} });
    const n = LIST_SCAN_BUDGET + 50;
    await ledger.createSale(sale('p1', { total: n }), T);
    await Promise.all(Array.from({ length: n }, (_, i) => reserve(ledger, 'p1', `u${i}`, T)));
    await ledger.cancel(`p1.u${n - 1}`, null, T + 1);
    const first = await ledger.listOrders('p1', { state: 'cancelled', limit: 100 });
    assert.deepEqual(first, { orders: [], cursor: String(LIST_SCAN_BUDGET) });
    const second = await ledger.listOrders('p1', { state: 'cancelled', cursor: first.cursor, limit: 100 });
    assert.deepEqual(second.orders.map((o) => o.orderId), [`p1.u${n - 1}`]);
    assert.equal(second.cursor, null);
    const unfiltered = await ledger.listOrders('p1', { cursor: '10', limit: 3 });
    assert.deepEqual(unfiltered.orders.map((o) => o.orderId), ['p1.u10', 'p1.u11', 'p1.u12'], 'pages follow purchase order');
    assert.equal(unfiltered.cursor, '13');
    assert.deepEqual(await ledger.listOrders('nope', { limit: 10 }), { orders: [], cursor: null });
    await ledger.close();
  });
});
