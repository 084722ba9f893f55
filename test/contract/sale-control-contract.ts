// The operator's commands held to one contract on every ledger: list, change,
// close and delete a sale, each atomic with purchases, in the sale's feed, and
// announced to the workers.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { newOrderId } from '../../src/inventory/order-ids';
import { isOrderEvent, type FeedEvent, type Ledger, type ReserveOutcome, type Sale, type SaleFeedEvent, type SaleSpec } from '../../src/ledger';

const T = 1_800_000_000_000;

function spec(overrides: Partial<SaleSpec> = {}): SaleSpec {
  const id = overrides.id ?? `ctl-${randomBytes(5).toString('hex')}`;
  return { id, name: id, total: 10, perUserLimit: 1, holdSeconds: 900, opensAt: null, closesAt: null, anonymous: false, maxCancelsPerBuyer: 3, ...overrides };
}

function attempt(ledger: Ledger, saleId: string, userId: string, now = T): Promise<ReserveOutcome> {
  return ledger.reserve({ saleId, userId, requestKey: `k:${randomBytes(8).toString('hex')}`, orderId: newOrderId(saleId), now });
}

async function wholeFeed(ledger: Ledger, saleId: string): Promise<FeedEvent[]> {
  const events: FeedEvent[] = [];
  let after: string | null = null;
  for (;;) {
    const page = await ledger.readFeed(saleId, after, 50);
    if (page.events.length === 0) return events;
    events.push(...page.events);
    after = page.last;
  }
}

const saleEvents = (events: FeedEvent[]) => events.filter((e): e is SaleFeedEvent => !isOrderEvent(e)).map(({ change, changes, at }) => ({ change, changes, at }));

async function heard(ledger: Ledger, saleId: string, act: () => Promise<unknown>): Promise<boolean> {
  const ids: string[] = [];
  await ledger.onSaleChanged((id) => ids.push(id));
  await act();
  const deadline = Date.now() + 5000;
  while (!ids.includes(saleId) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
  return ids.includes(saleId);
}

export function saleControlContract(ledgerOf: () => Ledger): void {
  describe('sale control', () => {
    it('updates name, total, perUserLimit, holdSeconds and closesAt; the sale, the feed and the listeners all show it', async () => {
      const ledger = ledgerOf();
      const s = spec({ opensAt: T + 60_000 });
      await ledger.createSale(s, T);
      const changes = { name: 'Train G1234 (moved)', total: 12, perUserLimit: 2, holdSeconds: 30, closesAt: T + 3_600_000 };
      let outcome: unknown;
      assert.ok(await heard(ledger, s.id, async () => (outcome = await ledger.updateSale(s.id, changes, T + 5))), 'the change was announced');
      const expected: Sale = { ...s, ...changes, anonymous: false, maxCancelsPerBuyer: 3, sold: 0, paid: 0, createdAt: T };
      assert.deepEqual(outcome, { kind: 'updated', sale: expected });
      assert.deepEqual(await ledger.getSale(s.id), expected);
      assert.deepEqual(saleEvents(await wholeFeed(ledger, s.id)), [{ change: 'updated', changes, at: T + 5 }]);
      assert.deepEqual(await ledger.updateSale('never-created', { total: 1 }, T), { kind: 'not_found' });
    });

    it('opensAt may move until the sale opens, then never; a sale open from the start counts as opened at creation', async () => {
      const ledger = ledgerOf();
      const s = spec({ opensAt: T + 10_000 });
      await ledger.createSale(s, T);
      assert.equal((await ledger.updateSale(s.id, { opensAt: T + 20_000 }, T + 1)).kind, 'updated');
      assert.deepEqual(await attempt(ledger, s.id, 'early', T + 15_000), { kind: 'not_open', opensAt: T + 20_000 });
      assert.deepEqual(await ledger.updateSale(s.id, { opensAt: T + 30_000 }, T + 20_000), { kind: 'already_open', opensAt: T + 20_000 });
      const always = spec();
      await ledger.createSale(always, T);
      assert.deepEqual(await ledger.updateSale(always.id, { opensAt: T + 50_000 }, T + 1), { kind: 'already_open', opensAt: T });
      assert.equal((await ledger.getSale(always.id))!.opensAt, null, 'a refused change changes nothing');
    });

    it('refuses a window that would end before it starts, counting the value not sent', async () => {
      const ledger = ledgerOf();
      const s = spec({ opensAt: T + 10_000, closesAt: T + 20_000 });
      await ledger.createSale(s, T);
      assert.deepEqual(await ledger.updateSale(s.id, { closesAt: T + 10_000 }, T), { kind: 'bad_window', opensAt: T + 10_000, closesAt: T + 10_000 });
      assert.deepEqual(await ledger.updateSale(s.id, { opensAt: T + 25_000 }, T), { kind: 'bad_window', opensAt: T + 25_000, closesAt: T + 20_000 });
      assert.equal((await ledger.updateSale(s.id, { opensAt: T + 25_000, closesAt: null }, T)).kind, 'updated');
      assert.deepEqual(await wholeFeed(ledger, s.id).then(saleEvents), [{ change: 'updated', changes: { opensAt: T + 25_000, closesAt: null }, at: T }]);
    });

    it('total may grow, and shrink down to sold but not below; perUserLimit may grow but not shrink once tickets are sold', async () => {
      const ledger = ledgerOf();
      const s = spec({ total: 3, perUserLimit: 2 });
      await ledger.createSale(s, T);
      await attempt(ledger, s.id, 'a');
      await attempt(ledger, s.id, 'b');
      assert.deepEqual(await ledger.updateSale(s.id, { total: 1 }, T), { kind: 'total_below_sold', sold: 2 });
      assert.deepEqual(await ledger.updateSale(s.id, { perUserLimit: 1 }, T), { kind: 'limit_in_use', perUserLimit: 2 });
      assert.equal((await ledger.updateSale(s.id, { total: 2, perUserLimit: 3 }, T)).kind, 'updated');
      assert.equal((await attempt(ledger, s.id, 'c')).kind, 'sold_out');
      assert.equal((await ledger.updateSale(s.id, { total: 4 }, T)).kind, 'updated');
      assert.equal((await attempt(ledger, s.id, 'c')).kind, 'reserved');
    });

    it('tickets added while 200 buyers press buy are sold exactly; a shrink racing them never lets sold pass total', async () => {
      const ledger = ledgerOf();
      const s = spec({ total: 20 });
      await ledger.createSale(s, T);
      const buyers = Array.from({ length: 200 }, (_, i) => attempt(ledger, s.id, `g-${i}`));
      const grow = ledger.updateSale(s.id, { total: 50 }, T);
      const outcomes = await Promise.all(buyers);
      assert.equal((await grow).kind, 'updated');
      const reserved = outcomes.filter((o) => o.kind === 'reserved').length;
      assert.ok(reserved >= 20 && reserved <= 50, `sold ${reserved}`);
      // Whatever the interleaving, another 100 buyers fill it to exactly 50.
      await Promise.all(Array.from({ length: 100 }, (_, i) => attempt(ledger, s.id, `h-${i}`)));
      assert.equal((await ledger.getSale(s.id))!.sold, 50);

      const shrinking = spec({ total: 100 });
      await ledger.createSale(shrinking, T);
      const race = await Promise.all([
        ...Array.from({ length: 150 }, (_, i) => attempt(ledger, shrinking.id, `s-${i}`)),
        ...[90, 60, 30, 10].map((total) => ledger.updateSale(shrinking.id, { total }, T)),
      ]);
      const sale = (await ledger.getSale(shrinking.id))!;
      assert.ok(sale.sold <= sale.total, `sold ${sale.sold} of ${sale.total}`);
      assert.equal(race.filter((o) => o.kind === 'reserved').length, sale.sold);
      const audit = (await ledger.audit(shrinking.id))!;
      assert.equal(audit.orders.reserved, sale.sold);
    });

    it('a new holdSeconds applies to orders made from then on; holds already made keep their expiresAt', async () => {
      const ledger = ledgerOf();
      const s = spec({ holdSeconds: 60 });
      await ledger.createSale(s, T);
      const before = await attempt(ledger, s.id, 'first');
      await ledger.updateSale(s.id, { holdSeconds: 0 }, T + 1);
      const after = await attempt(ledger, s.id, 'second', T + 2);
      assert.equal(before.kind === 'reserved' && before.order.expiresAt, T + 60_000);
      assert.ok(after.kind === 'reserved' && after.order.state === 'paid' && after.order.expiresAt === null);
      assert.equal((await ledger.getOrder((before as { order: { orderId: string } }).order.orderId))!.expiresAt, T + 60_000);
      assert.equal(await ledger.expireHolds(s.id, T + 60_000, 10), 1);
      const feed = (await wholeFeed(ledger, s.id)).filter(isOrderEvent).map((e) => [e.userId, e.state]);
      assert.deepEqual(feed, [['first', 'reserved'], ['second', 'paid'], ['first', 'expired']]);
    });

    it('closes now: every later purchase is refused, closing again changes nothing, and the feed says so', async () => {
      const ledger = ledgerOf();
      const s = spec({ total: 100 });
      await ledger.createSale(s, T);
      assert.equal((await attempt(ledger, s.id, 'before')).kind, 'reserved');
      let closed: unknown;
      assert.ok(await heard(ledger, s.id, async () => (closed = await ledger.closeSale(s.id, T + 10))));
      assert.deepEqual(closed, { kind: 'closed', sale: { ...s, closesAt: T + 10, sold: 1, paid: 0, createdAt: T } });
      const after = await Promise.all(Array.from({ length: 50 }, (_, i) => attempt(ledger, s.id, `late-${i}`, T + 10 + i)));
      assert.ok(after.every((o) => o.kind === 'closed'), JSON.stringify(after.find((o) => o.kind !== 'closed')));
      assert.equal((await ledger.closeSale(s.id, T + 20)).kind, 'already_closed');
      assert.equal((await ledger.getSale(s.id))!.closesAt, T + 10);
      assert.deepEqual(saleEvents(await wholeFeed(ledger, s.id)), [{ change: 'closed', changes: { closesAt: T + 10 }, at: T + 10 }]);
      assert.deepEqual(await ledger.closeSale('never-created', T), { kind: 'not_found' });
    });

    it('deletes only a sale with no order; the id is free again and the listing forgets it', async () => {
      const ledger = ledgerOf();
      const kept = spec();
      await ledger.createSale(kept, T);
      await attempt(ledger, kept.id, 'buyer');
      assert.deepEqual(await ledger.deleteSale(kept.id), { kind: 'has_orders', orders: 1 });
      const mistaken = spec();
      await ledger.createSale(mistaken, T);
      let deleted: unknown;
      assert.ok(await heard(ledger, mistaken.id, async () => (deleted = await ledger.deleteSale(mistaken.id))));
      assert.deepEqual(deleted, { kind: 'deleted' });
      assert.equal(await ledger.getSale(mistaken.id), null);
      assert.deepEqual(await attempt(ledger, mistaken.id, 'x'), { kind: 'not_found' });
      assert.deepEqual(await ledger.deleteSale(mistaken.id), { kind: 'not_found' });
      assert.ok(!(await ledger.saleIds()).includes(mistaken.id));
      assert.ok(await ledger.createSale({ ...mistaken, total: 3 }, T + 1), 'the id can be used again');
      assert.equal((await ledger.getSale(mistaken.id))!.total, 3);
    });

    it('lists every sale once, in pages', async () => {
      const ledger = ledgerOf();
      const mine = Array.from({ length: 7 }, () => spec());
      for (const s of mine) await ledger.createSale(s, T);
      const seen: string[] = [];
      let cursor: string | null = null;
      for (let page = 0; page < 1000; page++) {
        const read: { sales: readonly Sale[]; cursor: string | null } = await ledger.listSales(cursor, 3);
        seen.push(...read.sales.map((sale) => sale.id));
        cursor = read.cursor;
        if (cursor === null) break;
      }
      assert.equal(cursor, null, 'the pages end');
      assert.equal(new Set(seen).size, seen.length, 'no sale twice');
      for (const s of mine) assert.ok(seen.includes(s.id), `${s.id} listed`);
      const page = await ledger.listSales(null, 1000);
      assert.deepEqual(page.sales.find((sale) => sale.id === mine[0]!.id), { ...mine[0], sold: 0, paid: 0, createdAt: T });
    });

    it('sold out with holds pending names the earliest hold expiry; with none pending, 0', async () => {
      const ledger = ledgerOf();
      const s = spec({ total: 2, holdSeconds: 60 });
      await ledger.createSale(s, T);
      const first = await attempt(ledger, s.id, 'a', T);
      await attempt(ledger, s.id, 'b', T + 1000);
      assert.deepEqual(await attempt(ledger, s.id, 'c', T + 2000), { kind: 'sold_out', total: 2, nextReleaseAt: T + 60_000 });
      await ledger.pay((first as { order: { orderId: string } }).order.orderId, 'a', T + 3000);
      assert.deepEqual(await attempt(ledger, s.id, 'c', T + 4000), { kind: 'sold_out', total: 2, nextReleaseAt: T + 61_000 }, 'a paid hold is no longer pending');
      const final = spec({ total: 1, holdSeconds: 0 });
      await ledger.createSale(final, T);
      await attempt(ledger, final.id, 'a');
      assert.deepEqual(await attempt(ledger, final.id, 'b'), { kind: 'sold_out', total: 1, nextReleaseAt: 0 });
    });
  });
}
