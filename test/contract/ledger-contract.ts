// One contract for every ledger: the same cases run against Redis and the
// embedded ledger, so a behaviour only one of them has is a failing test.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { isOrderEvent, isTicketEvent, type CheckInOutcome, type FeedEvent, type FeedPage, type Ledger, type Order, type OrderPage, type ReserveOutcome, type SaleSpec } from '../../src/ledger';
import { newOrderId } from '../../src/inventory/order-ids';
import { admissionContract } from './admission-contract';
import { saleControlContract } from './sale-control-contract';
import { trainContract } from './train-contract';

export interface LedgerFixture {
  readonly ledger: Ledger;
  close(): Promise<void>;
}

function spec(overrides: Partial<SaleSpec> = {}): SaleSpec {
  const id = overrides.id ?? `sale-${randomBytes(5).toString('hex')}`;
  return { id, name: id, total: 10, perUserLimit: 1, holdSeconds: 900, opensAt: null, closesAt: null, anonymous: false, maxCancelsPerBuyer: 3, ...overrides };
}

function attempt(ledger: Ledger, saleId: string, userId: string, requestKey = `r:${randomBytes(8).toString('hex')}`, now = Date.now()): Promise<ReserveOutcome> {
  return ledger.reserve({ saleId, userId, requestKey, orderId: newOrderId(saleId), now });
}

function count(outcomes: ReserveOutcome[], kind: ReserveOutcome['kind']): number {
  return outcomes.filter((outcome) => outcome.kind === kind).length;
}

export function ledgerContract(name: string, open: () => Promise<LedgerFixture>): void {
  describe(`ledger contract: ${name}`, () => {
    let fixture: LedgerFixture;
    let ledger: Ledger;
    before(async () => {
      fixture = await open();
      ledger = fixture.ledger;
    });
    after(async () => fixture.close());

    it('creates a sale once; a second create with the same id changes nothing', async () => {
      const s = spec({ total: 7, perUserLimit: 2, name: 'Train G1234' });
      const created = await ledger.createSale(s, 1000);
      assert.deepEqual(created, { ...s, sold: 0, paid: 0, createdAt: 1000 });
      assert.equal(await ledger.createSale({ ...s, total: 99 }, 2000), null);
      assert.deepEqual(await ledger.getSale(s.id), { ...s, sold: 0, paid: 0, createdAt: 1000 });
      assert.ok((await ledger.saleIds()).includes(s.id));
    });

    it('knows no sale it was not given', async () => {
      assert.equal(await ledger.getSale('never-created'), null);
      assert.deepEqual(await attempt(ledger, 'never-created', 'alice'), { kind: 'not_found' });
    });

    it('total=1 with 50 concurrent buyers sells exactly 1', async () => {
      const s = spec({ total: 1 });
      await ledger.createSale(s, Date.now());
      const outcomes = await Promise.all(Array.from({ length: 50 }, (_, i) => attempt(ledger, s.id, `buyer-${i}`)));
      assert.equal(count(outcomes, 'reserved'), 1);
      assert.equal(count(outcomes, 'sold_out'), 49);
      assert.equal((await ledger.getSale(s.id))!.sold, 1);
    });

    it('total=N with 20xN concurrent distinct buyers sells exactly N to N distinct users', async () => {
      const total = 50;
      const s = spec({ total });
      await ledger.createSale(s, Date.now());
      const outcomes = await Promise.all(Array.from({ length: 20 * total }, (_, i) => attempt(ledger, s.id, `buyer-${i}`)));
      const reserved = outcomes.filter((o): o is Extract<ReserveOutcome, { kind: 'reserved' }> => o.kind === 'reserved');
      assert.equal(reserved.length, total);
      assert.equal(new Set(reserved.map((o) => o.order.userId)).size, total);
      assert.equal(new Set(reserved.map((o) => o.order.orderId)).size, total);
      assert.equal(count(outcomes, 'sold_out'), 19 * total);
      const sale = (await ledger.getSale(s.id))!;
      assert.equal(sale.sold, total);
      assert.equal(sale.total - sale.sold, 0);
      for (const o of reserved) assert.deepEqual(await ledger.getOrder(o.order.orderId), o.order);
    });

    it('one user sending 100 concurrent requests gets exactly 1 order', async () => {
      const s = spec({ total: 100 });
      await ledger.createSale(s, Date.now());
      const outcomes = await Promise.all(Array.from({ length: 100 }, () => attempt(ledger, s.id, 'greedy')));
      assert.equal(count(outcomes, 'reserved'), 1);
      assert.equal(count(outcomes, 'limit_reached'), 99);
      assert.equal((await ledger.getSale(s.id))!.sold, 1);
    });

    it('honours a perUserLimit above 1 under concurrency', async () => {
      const s = spec({ total: 100, perUserLimit: 3 });
      await ledger.createSale(s, Date.now());
      const outcomes = await Promise.all(Array.from({ length: 30 }, () => attempt(ledger, s.id, 'family')));
      assert.equal(count(outcomes, 'reserved'), 3);
      assert.equal(count(outcomes, 'limit_reached'), 27);
    });

    it('a repeated request key returns the same order and sells nothing more', async () => {
      const s = spec({ total: 5 });
      await ledger.createSale(s, Date.now());
      const first = await attempt(ledger, s.id, 'alice', 'k:retry-me');
      assert.equal(first.kind, 'reserved');
      const again = await Promise.all(Array.from({ length: 20 }, () => attempt(ledger, s.id, 'alice', 'k:retry-me')));
      for (const outcome of again) {
        assert.equal(outcome.kind, 'replayed');
        assert.deepEqual((outcome as { order: unknown }).order, (first as { order: unknown }).order);
      }
      assert.equal((await ledger.getSale(s.id))!.sold, 1);
      assert.deepEqual(await ledger.findByRequestKey(s.id, 'k:retry-me'), (first as { order: unknown }).order);
      assert.equal(await ledger.findByRequestKey(s.id, 'k:unused'), null);
    });

    it('concurrent first uses of one request key make exactly one order', async () => {
      const s = spec({ total: 5, perUserLimit: 5 });
      await ledger.createSale(s, Date.now());
      const outcomes = await Promise.all(Array.from({ length: 30 }, () => attempt(ledger, s.id, 'bob', 'k:same')));
      assert.equal(count(outcomes, 'reserved'), 1);
      assert.equal(count(outcomes, 'replayed'), 29);
      assert.equal((await ledger.getSale(s.id))!.sold, 1);
    });

    it('a replay still answers after the sale sold out', async () => {
      const s = spec({ total: 1 });
      await ledger.createSale(s, Date.now());
      const first = await attempt(ledger, s.id, 'carol', 'k:c1');
      assert.equal(first.kind, 'reserved');
      assert.equal((await attempt(ledger, s.id, 'dave')).kind, 'sold_out');
      assert.equal((await attempt(ledger, s.id, 'carol', 'k:c1')).kind, 'replayed');
    });

    it('rejects a request key reused by another buyer', async () => {
      const s = spec({ total: 5 });
      await ledger.createSale(s, Date.now());
      assert.equal((await attempt(ledger, s.id, 'erin', 'k:shared')).kind, 'reserved');
      assert.deepEqual(await attempt(ledger, s.id, 'frank', 'k:shared'), { kind: 'key_reused' });
      assert.equal((await ledger.getSale(s.id))!.sold, 1);
    });

    it('refuses before opensAt and from closesAt on, selling nothing', async () => {
      const s = spec({ total: 5, opensAt: 10_000, closesAt: 20_000 });
      await ledger.createSale(s, 0);
      assert.deepEqual(await attempt(ledger, s.id, 'early', undefined, 9_999), { kind: 'not_open', opensAt: 10_000 });
      assert.equal((await attempt(ledger, s.id, 'ontime', undefined, 10_000)).kind, 'reserved');
      assert.deepEqual(await attempt(ledger, s.id, 'late', undefined, 20_000), { kind: 'closed', closesAt: 20_000 });
      assert.equal((await ledger.getSale(s.id))!.sold, 1);
    });

    it('a sale of 0 tickets is sold out from the start', async () => {
      const s = spec({ total: 0 });
      await ledger.createSale(s, Date.now());
      assert.deepEqual(await attempt(ledger, s.id, 'alice'), { kind: 'sold_out', total: 0, nextReleaseAt: 0 });
    });

    it('finds orders by id and knows none it did not make', async () => {
      assert.equal(await ledger.getOrder('nosuchsale.abc'), null);
      assert.equal(await ledger.getOrder('no-dot-here'), null);
    });

    it('knows no order or request key of a sale it was not given, nor an order id a sale never made', async () => {
      const s = spec({ total: 2 });
      await ledger.createSale(s, Date.now());
      assert.equal(await ledger.getOrder(`${s.id}.never-made`), null);
      assert.equal(await ledger.findByRequestKey('never-created', 'k:any'), null);
      const made = await attempt(ledger, s.id, 'gina', 'k:g');
      assert.equal(made.kind, 'reserved');
      assert.equal(await ledger.findByRequestKey(s.id, 'k:other'), null);
      assert.equal(await ledger.findByRequestKey('never-created', 'k:g'), null, 'request keys belong to one sale');
    });

    it('answers a ping', async () => {
      await ledger.ping();
    });

    orderLifecycleContract(() => ledger);
    admissionContract(() => ledger);
    ticketContract(() => ledger);
    saleControlContract(() => ledger);
    trainContract(() => ledger);
  });
}

type Reserved = Extract<ReserveOutcome, { kind: 'reserved' }>;

async function reserveOk(ledger: Ledger, saleId: string, userId: string, now: number): Promise<Reserved> {
  const outcome = await attempt(ledger, saleId, userId, undefined, now);
  assert.equal(outcome.kind, 'reserved', JSON.stringify(outcome));
  return outcome as Reserved;
}

/** Holds, payment, cancellation, expiry, returned stock and the order feed. */
function orderLifecycleContract(ledgerOf: () => Ledger): void {
  describe('order lifecycle', () => {
    const T = 1_800_000_000_000;

    it('the purchase that takes the last ticket says when the earliest pending hold runs out; the others say 0', async () => {
      const ledger = ledgerOf();
      const sale = spec({ total: 2, holdSeconds: 60 });
      await ledger.createSale(sale, T);
      const first = await reserveOk(ledger, sale.id, 'alice', T);
      assert.equal(first.nextReleaseAt, 0);
      const last = await reserveOk(ledger, sale.id, 'bob', T + 5_000);
      assert.equal(last.nextReleaseAt, T + 60_000, "alice's hold, the earlier of the two");
      const atOnce = spec({ total: 1, holdSeconds: 0 });
      await ledger.createSale(atOnce, T);
      assert.equal((await reserveOk(ledger, atOnce.id, 'carol', T)).nextReleaseAt, 0, 'nothing held: nothing to come back');
      const alone = spec({ total: 1, holdSeconds: 30 });
      await ledger.createSale(alone, T);
      assert.equal((await reserveOk(ledger, alone.id, 'dave', T)).nextReleaseAt, T + 30_000, 'its own hold');
    });

    it('a purchase holds the ticket for holdSeconds; holdSeconds 0 sells at once', async () => {
      const ledger = ledgerOf();
      const held = spec({ holdSeconds: 60 });
      await ledger.createSale(held, T);
      const r = await reserveOk(ledger, held.id, 'alice', T);
      assert.equal(r.order.state, 'reserved');
      assert.equal(r.order.expiresAt, T + 60_000);
      assert.deepEqual(await ledger.getOrder(r.order.orderId), r.order);
      const sale = (await ledger.getSale(held.id))!;
      assert.equal(sale.sold, 1);
      assert.equal(sale.paid, 0);

      const final = spec({ holdSeconds: 0 });
      await ledger.createSale(final, T);
      const f = await reserveOk(ledger, final.id, 'alice', T);
      assert.equal(f.order.state, 'paid');
      assert.equal(f.order.expiresAt, null);
      assert.equal((await ledger.getSale(final.id))!.paid, 1);
      assert.equal(await ledger.expireHolds(final.id, T + 10_000_000, 100), 0);
    });

    it('an expired hold is released exactly once: stock and the buyer come back; paying it is refused', async () => {
      const ledger = ledgerOf();
      const s = spec({ total: 1, holdSeconds: 1 });
      await ledger.createSale(s, T);
      const r = await reserveOk(ledger, s.id, 'alice', T);
      assert.equal((await attempt(ledger, s.id, 'bob', undefined, T + 10)).kind, 'sold_out');
      assert.equal(await ledger.expireHolds(s.id, T + 999, 100), 0);
      const sweeps = await Promise.all([1, 2, 3, 4].map(() => ledger.expireHolds(s.id, T + 1000, 100)));
      assert.equal(sweeps.reduce((a, b) => a + b, 0), 1, 'several sweepers release the hold once');
      const expired = (await ledger.getOrder(r.order.orderId))!;
      assert.equal(expired.state, 'expired');
      assert.equal(expired.updatedAt, T + 1000);
      assert.deepEqual(await ledger.pay(r.order.orderId, 'alice', T + 1001), { kind: 'expired', order: expired });
      const sale = (await ledger.getSale(s.id))!;
      assert.equal(sale.sold, 0);
      const again = await reserveOk(ledger, s.id, 'bob', T + 1002);
      assert.equal(again.sold, 1);
      // Alice's count came back too: she may buy again once stock does.
      await ledger.cancel(again.order.orderId, 'bob', T + 1003);
      assert.equal((await reserveOk(ledger, s.id, 'alice', T + 1004)).order.userId, 'alice');
    });

    it('lists a sale among the due ones once a hold of it falls due, and never a sale with no holds', async () => {
      const ledger = ledgerOf();
      const held = spec({ holdSeconds: 1 });
      const idle = spec({ holdSeconds: 60 });
      const final = spec({ holdSeconds: 0 });
      for (const s of [held, idle, final]) await ledger.createSale(s, T);
      await reserveOk(ledger, held.id, 'alice', T);
      await reserveOk(ledger, final.id, 'alice', T);
      const due = async (now: number) => new Set(await ledger.dueSales(now, 1_000_000));
      const early = await due(T + 999);
      assert.ok(!early.has(held.id) && !early.has(idle.id) && !early.has(final.id), 'nothing is due before the hold ends');
      const onTime = await due(T + 1000);
      assert.ok(onTime.has(held.id), 'the sale with a due hold is listed');
      assert.ok(!onTime.has(idle.id) && !onTime.has(final.id), 'sales without holds are not');
      assert.equal(await ledger.expireHolds(held.id, T + 1000, 100), 1);
      assert.ok(!(await due(T + 1000)).has(held.id), 'a swept sale is not due again at once');
      // A hold made after the sweep is found in its turn.
      await reserveOk(ledger, held.id, 'bob', T + 1500);
      assert.ok((await due(T + 2500)).has(held.id));
      assert.equal(await ledger.expireHolds(held.id, T + 2500, 100), 1);
    });

    it('paying moves reserved to paid once; paying twice replays; only the buyer or an admin may pay', async () => {
      const ledger = ledgerOf();
      const s = spec({ total: 5, holdSeconds: 60 });
      await ledger.createSale(s, T);
      const a = await reserveOk(ledger, s.id, 'alice', T);
      assert.deepEqual(await ledger.pay(a.order.orderId, 'mallory', T + 1), { kind: 'forbidden' });
      const paid = await ledger.pay(a.order.orderId, 'alice', T + 2);
      assert.equal(paid.kind, 'paid');
      assert.equal((paid as { order: Order }).order.state, 'paid');
      const twice = await ledger.pay(a.order.orderId, 'alice', T + 3);
      assert.equal(twice.kind, 'already_paid');
      assert.deepEqual((twice as { order: Order }).order, (paid as { order: Order }).order);
      const b = await reserveOk(ledger, s.id, 'bob', T);
      assert.equal((await ledger.pay(b.order.orderId, null, T + 4)).kind, 'paid');
      assert.equal(await ledger.expireHolds(s.id, T + 3_600_000, 100), 0, 'a paid order never expires');
      const sale = (await ledger.getSale(s.id))!;
      assert.equal(sale.sold, 2);
      assert.equal(sale.paid, 2);
      assert.deepEqual(await ledger.pay('nosuch.order', 'alice', T), { kind: 'not_found' });
      assert.deepEqual(await ledger.pay(`${s.id}.missing`, 'alice', T), { kind: 'not_found' });
    });

    it('paying after expiresAt, before any sweep, expires the order instead and releases its ticket', async () => {
      const ledger = ledgerOf();
      const s = spec({ total: 1, holdSeconds: 1 });
      await ledger.createSale(s, T);
      const r = await reserveOk(ledger, s.id, 'alice', T);
      const late = await ledger.pay(r.order.orderId, 'alice', T + 1000);
      assert.equal(late.kind, 'expired');
      assert.equal((await ledger.getSale(s.id))!.sold, 0);
      assert.equal(await ledger.expireHolds(s.id, T + 5000, 100), 0);
    });

    it('an expired order, swept or expired by a late cancel, releases its ticket once: cancelling or paying it again changes nothing', async () => {
      const ledger = ledgerOf();
      const s = spec({ total: 1, holdSeconds: 1 });
      await ledger.createSale(s, T);
      const swept = await reserveOk(ledger, s.id, 'alice', T);
      assert.equal(await ledger.expireHolds(s.id, T + 1000, 10), 1);
      const bob = await reserveOk(ledger, s.id, 'bob', T + 1001);
      for (const actor of ['alice', null]) {
        const again = await ledger.cancel(swept.order.orderId, actor, T + 1002);
        assert.equal(again.kind, 'expired');
        assert.equal((again as { order: Order }).order.updatedAt, T + 1000, 'the order is left as it was');
      }
      assert.equal((await ledger.pay(swept.order.orderId, 'alice', T + 1003)).kind, 'expired');
      // Cancelled by a late cancel (overdue, not swept): released once too.
      const late = await ledger.cancel(bob.order.orderId, 'bob', T + 2001);
      assert.equal(late.kind, 'expired');
      assert.equal((await ledger.cancel(bob.order.orderId, 'bob', T + 2002)).kind, 'expired');
      const audit = (await ledger.audit(s.id))!;
      assert.equal(audit.sold, 0, `a released ticket was released again: ${JSON.stringify(audit)}`);
      assert.deepEqual(audit.orders, { reserved: 0, paid: 0, expired: 2, cancelled: 0 });
      assert.equal(audit.buyers, 0);
      assert.equal((await reserveOk(ledger, s.id, 'carol', T + 2003)).sold, 1);
      assert.equal((await attempt(ledger, s.id, 'dave', undefined, T + 2004)).kind, 'sold_out', 'one ticket, sold once');
    });

    it('cancelling: refused to another buyer; the buyer or an admin releases the ticket; paid orders stay paid', async () => {
      const ledger = ledgerOf();
      const s = spec({ total: 2, holdSeconds: 60 });
      await ledger.createSale(s, T);
      const a = await reserveOk(ledger, s.id, 'alice', T);
      const b = await reserveOk(ledger, s.id, 'bob', T);
      assert.deepEqual(await ledger.cancel(a.order.orderId, 'mallory', T + 1), { kind: 'forbidden' });
      const cancelled = await ledger.cancel(a.order.orderId, 'alice', T + 2);
      assert.equal(cancelled.kind, 'cancelled');
      assert.equal((cancelled as { order: Order }).order.state, 'cancelled');
      assert.deepEqual(await ledger.cancel(a.order.orderId, 'alice', T + 3), { kind: 'already_cancelled', order: (cancelled as { order: Order }).order });
      assert.equal((await ledger.pay(a.order.orderId, 'alice', T + 4)).kind, 'cancelled');
      assert.equal((await ledger.getSale(s.id))!.sold, 1);
      await ledger.pay(b.order.orderId, 'bob', T + 5);
      assert.equal((await ledger.cancel(b.order.orderId, null, T + 6)).kind, 'paid');
      const c = await reserveOk(ledger, s.id, 'carol', T + 7);
      assert.equal((await ledger.cancel(c.order.orderId, null, T + 8)).kind, 'cancelled');
      const sale = (await ledger.getSale(s.id))!;
      assert.equal(sale.sold, 1);
      assert.equal(sale.paid, 1);
    });

    it('a buyer cancels at most maxCancelsPerBuyer orders per sale (default 3); then the order stays held; admins are not capped', async () => {
      const ledger = ledgerOf();
      const s = spec({ total: 5, holdSeconds: 60 });
      const created = (await ledger.createSale(s, T))!;
      assert.equal(created.maxCancelsPerBuyer, 3, 'the default');
      assert.equal((await ledger.getSale(s.id))!.maxCancelsPerBuyer, 3);
      for (let i = 0; i < 3; i++) {
        const r = await reserveOk(ledger, s.id, 'churner', T + i * 10);
        assert.equal((await ledger.cancel(r.order.orderId, 'churner', T + i * 10 + 1)).kind, 'cancelled', `cancel ${i + 1}`);
      }
      const fourth = await reserveOk(ledger, s.id, 'churner', T + 100);
      const refused = await ledger.cancel(fourth.order.orderId, 'churner', T + 101);
      assert.deepEqual(refused, { kind: 'too_many_cancellations', order: fourth.order, maxCancelsPerBuyer: 3 });
      assert.deepEqual(await ledger.getOrder(fourth.order.orderId), fourth.order, 'the refused cancel changed nothing');
      assert.equal((await ledger.getSale(s.id))!.sold, 1, 'the ticket stays held');
      // A refused cancel is not a cancellation: the count stays at the cap, and another buyer has their own.
      assert.equal((await ledger.cancel(fourth.order.orderId, 'churner', T + 102)).kind, 'too_many_cancellations');
      const other = await reserveOk(ledger, s.id, 'other', T + 103);
      assert.equal((await ledger.cancel(other.order.orderId, 'other', T + 104)).kind, 'cancelled');
      // An admin may still cancel it, and that is not counted against anyone; paying still works too.
      assert.equal((await ledger.cancel(fourth.order.orderId, null, T + 105)).kind, 'cancelled');
      const fifth = await reserveOk(ledger, s.id, 'churner', T + 106);
      assert.equal((await ledger.cancel(fifth.order.orderId, 'churner', T + 107)).kind, 'too_many_cancellations');
      assert.equal((await ledger.pay(fifth.order.orderId, 'churner', T + 108)).kind, 'paid');
      // The cap is per sale: another sale starts the count again.
      const t = spec({ total: 5, holdSeconds: 60 });
      await ledger.createSale(t, T);
      const elsewhere = await reserveOk(ledger, t.id, 'churner', T + 109);
      assert.equal((await ledger.cancel(elsewhere.order.orderId, 'churner', T + 110)).kind, 'cancelled');
      const audit = (await ledger.audit(s.id))!;
      assert.deepEqual(audit.orders, { reserved: 0, paid: 1, expired: 0, cancelled: 5 });
    });

    it('maxCancelsPerBuyer is the sale\'s: 0 lets no buyer cancel, a larger one allows more', async () => {
      const ledger = ledgerOf();
      const none = spec({ total: 5, holdSeconds: 60, maxCancelsPerBuyer: 0 });
      assert.equal((await ledger.createSale(none, T))!.maxCancelsPerBuyer, 0);
      const r = await reserveOk(ledger, none.id, 'alice', T);
      assert.equal((await ledger.cancel(r.order.orderId, 'alice', T + 1)).kind, 'too_many_cancellations');
      const many = spec({ total: 5, holdSeconds: 60, maxCancelsPerBuyer: 5 });
      await ledger.createSale(many, T);
      assert.equal((await ledger.getSale(many.id))!.maxCancelsPerBuyer, 5);
      for (let i = 0; i < 5; i++) {
        const o = await reserveOk(ledger, many.id, 'alice', T + i * 10);
        assert.equal((await ledger.cancel(o.order.orderId, 'alice', T + i * 10 + 1)).kind, 'cancelled');
      }
      const sixth = await reserveOk(ledger, many.id, 'alice', T + 100);
      assert.deepEqual(await ledger.cancel(sixth.order.orderId, 'alice', T + 101), { kind: 'too_many_cancellations', order: sixth.order, maxCancelsPerBuyer: 5 });
      // Changed later, the cap counts the cancellations already made.
      const raised = await ledger.updateSale(many.id, { maxCancelsPerBuyer: 6 }, T + 102);
      assert.equal(raised.kind === 'updated' && raised.sale.maxCancelsPerBuyer, 6);
      assert.equal((await ledger.getSale(many.id))!.maxCancelsPerBuyer, 6);
      assert.equal((await ledger.cancel(sixth.order.orderId, 'alice', T + 103)).kind, 'cancelled', 'one more under the raised cap');
      const seventh = await reserveOk(ledger, many.id, 'alice', T + 104);
      assert.equal((await ledger.cancel(seventh.order.orderId, 'alice', T + 105)).kind, 'too_many_cancellations');
      await ledger.updateSale(none.id, { maxCancelsPerBuyer: 1 }, T + 106);
      assert.equal((await ledger.cancel(r.order.orderId, 'alice', T + 107)).kind, 'cancelled');
    });

    it('retires a closed sale with its orders, only once closed long enough and only if nothing changed since its feed mark', async () => {
      const ledger = ledgerOf();
      const s = spec({ total: 5, holdSeconds: 60 });
      await ledger.createSale(s, T);
      const a = await reserveOk(ledger, s.id, 'alice', T + 1);
      const b = await reserveOk(ledger, s.id, 'bob', T + 2);
      await ledger.pay(a.order.orderId, 'alice', T + 3);
      const mark0 = (await ledger.feedMark(s.id))!;
      assert.equal(typeof mark0, 'string');
      assert.equal(await ledger.feedMark('never-created'), null);
      assert.deepEqual(await ledger.retireSale(s.id, mark0, T + 10, T + 10), { kind: 'not_due' }, 'an open sale is never retired');
      await ledger.closeSale(s.id, T + 100);
      const mark = (await ledger.feedMark(s.id))!;
      assert.notEqual(mark, mark0, 'closing moved the feed');
      assert.deepEqual(await ledger.retireSale(s.id, mark, T + 99, T + 200), { kind: 'not_due' }, 'closed after closedBefore');
      // A change after the mark (the hold released late) refuses the retirement: the archive would miss it.
      assert.equal((await ledger.cancel(b.order.orderId, null, T + 150)).kind, 'cancelled');
      assert.deepEqual(await ledger.retireSale(s.id, mark, T + 100, T + 200), { kind: 'changed' });
      assert.equal((await ledger.getSale(s.id))!.sold, 1, 'a refused retirement changed nothing');
      const heard: string[] = [];
      await ledger.onSaleChanged((saleId) => heard.push(saleId));
      const fresh = (await ledger.feedMark(s.id))!;
      assert.deepEqual(await ledger.retireSale(s.id, fresh, T + 100, T + 200), { kind: 'retired', orders: 2 });
      assert.equal(await ledger.getSale(s.id), null);
      assert.equal(await ledger.getOrder(a.order.orderId), null);
      assert.equal(await ledger.audit(s.id), null);
      assert.ok(!(await ledger.saleIds()).includes(s.id));
      assert.deepEqual((await ledger.listOrders(s.id, { limit: 10 })).orders, []);
      assert.deepEqual((await ledger.readFeed(s.id, null, 10)).events, []);
      assert.deepEqual(await ledger.retireSale(s.id, fresh, T + 100, T + 200), { kind: 'not_found' });
      // Redis announces over pub/sub: poll for it, with a deadline.
      for (const deadline = Date.now() + 2000; !heard.includes(s.id) && Date.now() < deadline; ) await new Promise((resolve) => setTimeout(resolve, 10));
      assert.ok(heard.includes(s.id), 'the retirement was announced');
      // The id is free again, with nothing left over: no buyer, no cancel count.
      await ledger.createSale({ ...s, maxCancelsPerBuyer: 1 }, T + 300);
      const again = await reserveOk(ledger, s.id, 'alice', T + 301);
      assert.equal(again.sold, 1);
      assert.equal((await ledger.cancel(again.order.orderId, 'alice', T + 302)).kind, 'cancelled');
    });

    it('a payment racing the expiry has exactly one winner, for every order', async () => {
      const ledger = ledgerOf();
      const n = 60;
      const s = spec({ total: n, holdSeconds: 1 });
      await ledger.createSale(s, T);
      const orders = await Promise.all(Array.from({ length: n }, (_, i) => reserveOk(ledger, s.id, `racer-${i}`, T)));
      const boundary = T + 1000;
      await Promise.all([
        ...orders.map((r, i) => ledger.pay(r.order.orderId, r.order.userId, boundary + (i % 3) - 1)),
        ...[0, 1, 2].map(() => ledger.expireHolds(s.id, boundary, 7)),
      ]);
      await ledger.expireHolds(s.id, boundary + 5000, 1000);
      let paid = 0;
      for (const r of orders) {
        const state = (await ledger.getOrder(r.order.orderId))!.state;
        assert.ok(state === 'paid' || state === 'expired', `order ended ${state}`);
        if (state === 'paid') paid++;
      }
      assert.ok(paid > 0, 'payments a millisecond before the boundary win');
      const sale = (await ledger.getSale(s.id))!;
      assert.equal(sale.paid, paid);
      assert.equal(sale.sold, paid, 'expired tickets were released, paid ones kept');
    });

    it('announces returned stock on expiry and on cancel', async () => {
      const ledger = ledgerOf();
      const s = spec({ total: 2, holdSeconds: 1 });
      await ledger.createSale(s, T);
      const heard: string[] = [];
      await ledger.onStockReturned((saleId) => heard.push(saleId));
      const a = await reserveOk(ledger, s.id, 'alice', T);
      const b = await reserveOk(ledger, s.id, 'bob', T);
      const deadline = Date.now() + 5000;
      await ledger.cancel(a.order.orderId, 'alice', T + 1);
      while (!heard.includes(s.id) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
      assert.ok(heard.includes(s.id), 'cancel announced the sale');
      heard.length = 0;
      await ledger.expireHolds(s.id, T + 1000, 10);
      while (!heard.includes(s.id) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
      assert.ok(heard.includes(s.id), 'expiry announced the sale');
      assert.equal((await ledger.getOrder(b.order.orderId))!.state, 'expired');
    });

    it('the feed holds every transition exactly once, in order per order, and pages', async () => {
      const ledger = ledgerOf();
      const s = spec({ total: 10, holdSeconds: 1 });
      await ledger.createSale(s, T);
      const a = await reserveOk(ledger, s.id, 'alice', T);
      const b = await reserveOk(ledger, s.id, 'bob', T + 1);
      await ledger.pay(a.order.orderId, 'alice', T + 2);
      await ledger.cancel(b.order.orderId, 'bob', T + 3);
      const c = await reserveOk(ledger, s.id, 'carol', T + 4);
      await ledger.pay(a.order.orderId, 'alice', T + 5); // a replay: no new event
      await ledger.expireHolds(s.id, T + 1004, 10);

      const events: FeedEvent[] = [];
      let after: string | null = null;
      for (let page = 0; page < 10; page++) {
        const read: FeedPage = await ledger.readFeed(s.id, after, 2);
        if (read.events.length === 0) break;
        assert.ok(read.events.length <= 2);
        events.push(...read.events);
        after = read.last;
      }
      const byOrder = (id: string) => events.filter(isOrderEvent).filter((e) => e.orderId === id).map((e) => e.state);
      assert.deepEqual(byOrder(a.order.orderId), ['reserved', 'paid']);
      assert.deepEqual(byOrder(b.order.orderId), ['reserved', 'cancelled']);
      assert.deepEqual(byOrder(c.order.orderId), ['reserved', 'expired']);
      assert.equal(events.length, 6);
      assert.equal(new Set(events.map((e) => e.id)).size, 6, 'event ids are unique');
      assert.deepEqual(events.map((e) => e.at), [T, T + 1, T + 2, T + 3, T + 4, T + 1004]);
      assert.deepEqual((await ledger.readFeed(s.id, after, 10)).events, [], 'nothing after the last event');
    });

    it('audits a sale: counters against orders by state, atomically', async () => {
      const ledger = ledgerOf();
      const s = spec({ total: 5, holdSeconds: 1, perUserLimit: 2 });
      await ledger.createSale(s, T);
      const a = await reserveOk(ledger, s.id, 'alice', T);
      const b = await reserveOk(ledger, s.id, 'alice', T);
      const c = await reserveOk(ledger, s.id, 'bob', T);
      await reserveOk(ledger, s.id, 'carol', T + 500);
      await ledger.pay(a.order.orderId, 'alice', T + 1);
      await ledger.cancel(b.order.orderId, 'alice', T + 2);
      await ledger.expireHolds(s.id, T + 1000, 10);
      assert.equal((await ledger.getOrder(c.order.orderId))!.state, 'expired');
      assert.deepEqual(await ledger.audit(s.id), {
        total: 5,
        sold: 2,
        paid: 1,
        orders: { reserved: 1, paid: 1, expired: 1, cancelled: 1 },
        buyers: 2,
        buyersOverLimit: 0,
      });
      assert.equal(await ledger.audit('never-created'), null);
    });

    it('lists orders by state, in pages', async () => {
      const ledger = ledgerOf();
      const s = spec({ total: 30, holdSeconds: 60 });
      await ledger.createSale(s, T);
      const made = await Promise.all(Array.from({ length: 25 }, (_, i) => reserveOk(ledger, s.id, `lister-${i}`, T)));
      for (const r of made.slice(0, 10)) await ledger.pay(r.order.orderId, null, T + 1);
      const collect = async (state?: Order['state']) => {
        const seen: Order[] = [];
        let cursor: string | null = null;
        for (let page = 0; page < 100; page++) {
          const read: OrderPage = await ledger.listOrders(s.id, { state, cursor, limit: 7 });
          seen.push(...read.orders);
          cursor = read.cursor;
          if (cursor === null) break;
        }
        return seen;
      };
      const all = await collect();
      assert.equal(all.length, 25);
      assert.equal(new Set(all.map((o) => o.orderId)).size, 25);
      assert.equal((await collect('paid')).length, 10);
      assert.equal((await collect('reserved')).length, 15);
      assert.ok((await collect('reserved')).every((o) => o.state === 'reserved'));
      assert.equal((await collect('cancelled')).length, 0);
    });
  });
}

/** Tickets: due atomically with payment, issued once, checked in once, refused when the order no longer stands. */
function ticketContract(ledgerOf: () => Ledger): void {
  describe('tickets', () => {
    const T = 1_800_000_000_000;

    it('a ticket is due from the payment (or the final-at-once purchase); issuers record each once, with one feed event', async () => {
      const ledger = ledgerOf();
      const held = spec({ total: 20, holdSeconds: 60 });
      await ledger.createSale(held, T);
      const orders = await Promise.all(Array.from({ length: 12 }, (_, i) => reserveOk(ledger, held.id, `tk-${i}`, T)));
      assert.deepEqual(await ledger.ticketCounts(held.id), { due: 0, issued: 0, checkedIn: 0 }, 'nothing is due before payment');
      for (const r of orders.slice(0, 10)) assert.equal((await ledger.pay(r.order.orderId, null, T + 5)).kind, 'paid');
      await ledger.pay(orders[0]!.order.orderId, null, T + 6); // paying twice makes no second ticket
      assert.deepEqual(await ledger.ticketCounts(held.id), { due: 10, issued: 0, checkedIn: 0 });
      // Four issuers at once, in small batches: every ticket issued exactly once.
      const drain = async () => {
        let total = 0;
        for (let n = await ledger.issueTickets(held.id, T + 100, 3); n > 0; n = await ledger.issueTickets(held.id, T + 100, 3)) total += n;
        return total;
      };
      const issued = await Promise.all([drain(), drain(), drain(), drain()]);
      assert.equal(issued.reduce((a, b) => a + b, 0), 10);
      assert.equal(await ledger.issueTickets(held.id, T + 200, 100), 0);
      assert.deepEqual(await ledger.ticketCounts(held.id), { due: 0, issued: 10, checkedIn: 0 });
      const events: FeedEvent[] = (await ledger.readFeed(held.id, null, 1000)).events as FeedEvent[];
      const issuedEvents = events.filter(isTicketEvent).filter((e) => e.ticket === 'ticket_issued');
      assert.equal(issuedEvents.length, 10);
      assert.deepEqual(new Set(issuedEvents.map((e) => e.orderId)), new Set(orders.slice(0, 10).map((r) => r.order.orderId)));
      assert.ok(issuedEvents.every((e) => e.at === T + 100 && e.gate === undefined));

      const final = spec({ total: 5, holdSeconds: 0 });
      await ledger.createSale(final, T);
      await reserveOk(ledger, final.id, 'now-buyer', T);
      assert.deepEqual(await ledger.ticketCounts(final.id), { due: 1, issued: 0, checkedIn: 0 });
      assert.equal(await ledger.issueTickets(final.id, T + 1, 10), 1);
      assert.equal(await ledger.ticketCounts('never-created'), null);
    });

    it('checks a ticket in once: 50 gates at once admit it once, the rest hear when and where', async () => {
      const ledger = ledgerOf();
      const s = spec({ total: 5, holdSeconds: 0 });
      await ledger.createSale(s, T);
      const r = await reserveOk(ledger, s.id, 'fan', T);
      const outcomes = await Promise.all(Array.from({ length: 50 }, (_, i) => ledger.checkIn({ orderId: r.order.orderId, userId: 'fan', gate: `gate-${i}`, now: T + 1000 + i })));
      const admitted = outcomes.filter((o) => o.kind === 'admitted');
      assert.equal(admitted.length, 1);
      const winner = admitted[0] as Extract<CheckInOutcome, { kind: 'admitted' }>;
      for (const o of outcomes) {
        if (o.kind === 'admitted') continue;
        assert.equal(o.kind, 'already_used');
        assert.deepEqual([o.at, o.gate], [winner.at, winner.gate], 'every refusal names the one admission');
      }
      assert.equal(winner.order.orderId, r.order.orderId);
      assert.deepEqual(await ledger.ticketCounts(s.id), { due: 1, issued: 0, checkedIn: 1 });
      const checkedIn = ((await ledger.readFeed(s.id, null, 100)).events as FeedEvent[]).filter(isTicketEvent).filter((e) => e.ticket === 'checked_in');
      assert.deepEqual(checkedIn.map((e) => [e.orderId, e.at, e.gate]), [[r.order.orderId, winner.at, winner.gate]]);
    });

    it('refuses a ticket whose order is not paid, unknown, or another buyer\'s', async () => {
      const ledger = ledgerOf();
      const s = spec({ total: 5, holdSeconds: 60 });
      await ledger.createSale(s, T);
      const cancelled = await reserveOk(ledger, s.id, 'quitter', T);
      await ledger.cancel(cancelled.order.orderId, null, T + 1);
      const held = await reserveOk(ledger, s.id, 'holder', T);
      const paid = await reserveOk(ledger, s.id, 'payer', T);
      await ledger.pay(paid.order.orderId, null, T + 2);
      const checkIn = (orderId: string, userId: string) => ledger.checkIn({ orderId, userId, gate: 'g', now: T + 10 });
      assert.equal((await checkIn(cancelled.order.orderId, 'quitter')).kind, 'revoked');
      assert.equal((await checkIn(held.order.orderId, 'holder')).kind, 'revoked');
      assert.equal((await checkIn(paid.order.orderId, 'someone-else')).kind, 'unknown');
      assert.equal((await checkIn(`${s.id}.nope`, 'payer')).kind, 'unknown');
      assert.equal((await checkIn('no-such-sale.x', 'payer')).kind, 'unknown');
      assert.equal((await checkIn(paid.order.orderId, 'payer')).kind, 'admitted');
      assert.deepEqual(await ledger.ticketCounts(s.id), { due: 1, issued: 0, checkedIn: 1 });
    });
  });
}
