// One contract for every ledger: the same cases run against Redis and the
// embedded ledger, so a behaviour only one of them has is a failing test.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { Ledger, ReserveOutcome, SaleSpec } from '../../src/inventory/ledger';
import { newOrderId } from '../../src/inventory/stock-keeper';

export interface LedgerFixture {
  readonly ledger: Ledger;
  close(): Promise<void>;
}

function spec(overrides: Partial<SaleSpec> = {}): SaleSpec {
  const id = overrides.id ?? `sale-${randomBytes(5).toString('hex')}`;
  return { id, name: id, total: 10, perUserLimit: 1, opensAt: null, closesAt: null, ...overrides };
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
      assert.deepEqual(created, { ...s, sold: 0, createdAt: 1000 });
      assert.equal(await ledger.createSale({ ...s, total: 99 }, 2000), null);
      assert.deepEqual(await ledger.getSale(s.id), { ...s, sold: 0, createdAt: 1000 });
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
      assert.deepEqual(await attempt(ledger, s.id, 'alice'), { kind: 'sold_out', total: 0 });
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
  });
}
