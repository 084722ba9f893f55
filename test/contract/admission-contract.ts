// The waiting room's ledger commands, held to one contract on every ledger:
// joining (one place per buyer, pre-queue before opening), the serving
// counter (rate, stock cap, released tickets), and passes spent atomically
// with the reservation. Times are given explicitly, so nothing here sleeps.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { newOrderId } from '../../src/inventory/order-ids';
import type { Ledger, PassClaim, QueueAdmission, ReserveOutcome, SaleSpec } from '../../src/ledger';

const T0 = Date.UTC(2030, 0, 1);

function queueSpec(overrides: Partial<SaleSpec> = {}, admission: Partial<QueueAdmission> = {}): SaleSpec {
  const id = `q-${randomBytes(5).toString('hex')}`;
  return {
    id,
    name: id,
    total: 10,
    perUserLimit: 1,
    holdSeconds: 60,
    opensAt: T0,
    closesAt: null,
    admission: { mode: 'queue', admitPerSecond: 10, overAdmit: 1.2, passSeconds: 30, difficulty: 0, maxDifficulty: 0, shuffleKey: randomBytes(32).toString('hex'), ...admission },
    ...overrides,
  };
}

function buy(ledger: Ledger, saleId: string, userId: string, now: number, pass?: PassClaim): Promise<ReserveOutcome> {
  return ledger.reserve({ saleId, userId, requestKey: `r:${randomBytes(8).toString('hex')}`, orderId: newOrderId(saleId), now, ...(pass ? { pass } : {}) });
}

export function admissionContract(ledgerOf: () => Ledger): void {
  describe('admission (waiting room)', () => {
    it('keeps the admission settings with the sale; an open sale has none', async () => {
      const ledger = ledgerOf();
      const s = queueSpec();
      await ledger.createSale(s, 1000);
      assert.deepEqual((await ledger.getSale(s.id))!.admission, s.admission);
      const open = { ...queueSpec(), admission: undefined };
      delete (open as { admission?: unknown }).admission;
      await ledger.createSale(open, 1000);
      assert.equal((await ledger.getSale(open.id))!.admission, undefined);
      assert.deepEqual(await ledger.joinQueue({ saleId: open.id, userId: 'a', now: T0 }), { kind: 'not_queue' });
      assert.equal(await ledger.advanceQueue(open.id, T0), null);
      assert.deepEqual(await ledger.joinQueue({ saleId: 'no-such-sale', userId: 'a', now: T0 }), { kind: 'not_found' });
    });

    it('deleting a queue sale nobody bought from takes its line with it: the same id starts an empty line', async () => {
      const ledger = ledgerOf();
      const s = queueSpec();
      await ledger.createSale(s, 1000);
      for (let i = 0; i < 3; i++) await ledger.joinQueue({ saleId: s.id, userId: `d${i}`, now: T0 - 100 });
      await ledger.advanceQueue(s.id, T0 + 1000);
      assert.deepEqual(await ledger.deleteSale(s.id), { kind: 'deleted' });
      await ledger.createSale(s, 2000);
      assert.deepEqual(await ledger.joinQueue({ saleId: s.id, userId: 'd1', now: T0 - 100 }), { kind: 'joined', pre: 1, number: 0 });
      const fresh = (await ledger.advanceQueue(s.id, T0 - 50))!;
      assert.equal(fresh.pre, 1);
      assert.equal(fresh.serving, 0);
    });

    it('gives each buyer one place: 200 concurrent joins of 50 buyers make 50 entries, numbered 0..49', async () => {
      const ledger = ledgerOf();
      const s = queueSpec();
      await ledger.createSale(s, 1000);
      const outcomes = await Promise.all(Array.from({ length: 200 }, (_, i) => ledger.joinQueue({ saleId: s.id, userId: `b${i % 50}`, now: T0 - 5000 })));
      const joined = outcomes.filter((o) => o.kind === 'joined');
      assert.equal(joined.length, 50);
      assert.deepEqual(joined.map((o) => (o as { number: number }).number).sort((a, b) => a - b), Array.from({ length: 50 }, (_, i) => i));
      const byBuyer = new Map<string, string>();
      outcomes.forEach((o, i) => {
        assert.ok(o.kind === 'joined' || o.kind === 'rejoined');
        const entry = `${(o as { pre: number }).pre}:${(o as { number: number }).number}`;
        const earlier = byBuyer.get(`b${i % 50}`);
        if (earlier) assert.equal(entry, earlier, 'the same buyer got two places');
        byBuyer.set(`b${i % 50}`, entry);
      });
      assert.ok(outcomes.every((o) => (o as { pre: number }).pre === 1), 'joins before opening are the pre-queue');
      const after = await ledger.joinQueue({ saleId: s.id, userId: 'late', now: T0 + 1 });
      assert.deepEqual(after, { kind: 'joined', pre: 0, number: 0 });
      // A clock still before opening, once the sale has opened elsewhere, joins behind too.
      assert.deepEqual(await ledger.joinQueue({ saleId: s.id, userId: 'lagging', now: T0 - 1 }), { kind: 'joined', pre: 0, number: 1 });
    });

    it('remembers a spent proof-of-work challenge; the same buyer with a spent one still gets their place back', async () => {
      const ledger = ledgerOf();
      const s = queueSpec();
      await ledger.createSale(s, 1000);
      const first = await ledger.joinQueue({ saleId: s.id, userId: 'x', now: T0, challengeId: 'c1', challengeExpiresAt: Date.now() + 60_000 });
      assert.equal(first.kind, 'joined');
      assert.deepEqual(await ledger.joinQueue({ saleId: s.id, userId: 'y', now: T0, challengeId: 'c1', challengeExpiresAt: Date.now() + 60_000 }), { kind: 'challenge_used' });
      assert.deepEqual(await ledger.joinQueue({ saleId: s.id, userId: 'x', now: T0, challengeId: 'c1', challengeExpiresAt: Date.now() + 60_000 }), { ...first, kind: 'rejoined' });
    });

    it('admits nobody before opening, then admitPerSecond, never past the line, never more live passes than stock x overAdmit', async () => {
      const ledger = ledgerOf();
      const s = queueSpec({ total: 10 }, { admitPerSecond: 10, overAdmit: 1.2 });
      await ledger.createSale(s, 1000);
      for (let i = 0; i < 30; i++) await ledger.joinQueue({ saleId: s.id, userId: `u${i}`, now: T0 - 100 });
      const before = (await ledger.advanceQueue(s.id, T0 - 50))!;
      assert.equal(before.drawn, false);
      assert.equal(before.serving, 0);
      assert.equal(before.pre, 30);
      const half = (await ledger.advanceQueue(s.id, T0 + 500))!;
      assert.equal(half.drawn, true);
      assert.equal(half.serving, 5, '10 per second for half a second');
      const capped = (await ledger.advanceQueue(s.id, T0 + 5000))!;
      assert.equal(capped.serving, 12, 'floor(10 remaining x 1.2) unused passes at most');
      assert.equal((await ledger.advanceQueue(s.id, T0 + 6000))!.serving, 12);
      // Two buyers spend their passes: two tickets fewer (10 - 2 = 8 x 1.2 = 9 live), two live passes fewer (10).
      assert.equal((await buy(ledger, s.id, 'u0', T0 + 6000, { place: 0, expiresAt: T0 + 30_000 })).kind, 'reserved');
      assert.equal((await buy(ledger, s.id, 'u1', T0 + 6000, { place: 1, expiresAt: T0 + 30_000 })).kind, 'reserved');
      assert.equal((await ledger.advanceQueue(s.id, T0 + 7000))!.serving, 12, 'live = 10, cap = 9: nobody more yet');
      // Passes of places admitted over passSeconds ago are void: the window slides and lets more in.
      const later = (await ledger.advanceQueue(s.id, T0 + 36_000))!;
      assert.ok(later.expiredBelow >= 5, `expiredBelow ${later.expiredBelow}`);
      assert.ok(later.serving > 12, `serving ${later.serving}`);
      assert.ok(later.serving <= 30);
    });

    it('spends a pass atomically with the reservation: 20 concurrent uses of one pass buy once', async () => {
      const ledger = ledgerOf();
      const s = queueSpec({ total: 50, perUserLimit: 50 });
      await ledger.createSale(s, 1000);
      const pass = { place: 7, expiresAt: T0 + 60_000 };
      const outcomes = await Promise.all(Array.from({ length: 20 }, () => buy(ledger, s.id, 'holder', T0 + 1000, pass)));
      assert.equal(outcomes.filter((o) => o.kind === 'reserved').length, 1);
      assert.equal(outcomes.filter((o) => o.kind === 'pass_used').length, 19);
      assert.deepEqual(await buy(ledger, s.id, 'holder', T0 + 1000), { kind: 'pass_required' });
      assert.deepEqual(await buy(ledger, s.id, 'holder', T0 + 60_000, { place: 8, expiresAt: T0 + 60_000 }), { kind: 'pass_expired' });
      assert.equal((await ledger.getSale(s.id))!.sold, 1);
    });

    it('sold out with no hold pending ends the wait; a released hold lets the next person in', async () => {
      const ledger = ledgerOf();
      const s = queueSpec({ total: 2 }, { overAdmit: 1 });
      await ledger.createSale(s, 1000);
      for (let i = 0; i < 5; i++) await ledger.joinQueue({ saleId: s.id, userId: `w${i}`, now: T0 - 10 });
      assert.equal((await ledger.advanceQueue(s.id, T0 + 2000))!.serving, 2);
      const a = await buy(ledger, s.id, 'w0', T0 + 2000, { place: 0, expiresAt: T0 + 30_000 });
      const b = await buy(ledger, s.id, 'w1', T0 + 2000, { place: 1, expiresAt: T0 + 30_000 });
      assert.equal(a.kind, 'reserved');
      assert.equal(b.kind, 'reserved');
      const held = (await ledger.advanceQueue(s.id, T0 + 3000))!;
      assert.equal(held.serving, 2);
      assert.equal(held.sold, 2);
      assert.equal(held.paid, 0, 'two holds pending: not yet over for the others');
      assert.equal((await ledger.cancel((a as { order: { orderId: string } }).order.orderId, 'w0', T0 + 3000)).kind, 'cancelled');
      assert.equal((await ledger.advanceQueue(s.id, T0 + 4000))!.serving, 3, 'the released ticket admits the next place');
      await ledger.pay((b as { order: { orderId: string } }).order.orderId, 'w1', T0 + 4000);
      const c = await buy(ledger, s.id, 'w2', T0 + 4000, { place: 2, expiresAt: T0 + 30_000 });
      await ledger.pay((c as { order: { orderId: string } }).order.orderId, 'w2', T0 + 4000);
      const over = (await ledger.advanceQueue(s.id, T0 + 9000))!;
      assert.deepEqual([over.sold, over.paid, over.total, over.serving], [2, 2, 2, 3]);
    });
  });
}
