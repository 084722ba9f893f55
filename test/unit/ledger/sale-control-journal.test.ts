// The operator's changes in the embedded journal: new event tags that decode
// back to what was written, a replay that rebuilds the same sales and the same
// feed (sale events in place), and checks that stop a journal that would
// oversell or delete a sale with orders.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { applyEvent } from '../../../src/ledger/embedded/apply-event';
import { EmbeddedLedger } from '../../../src/ledger/embedded/embedded-ledger';
import { decodeEvent, encodeEvent, EventDecodeError, type JournalEvent } from '../../../src/ledger/embedded/journal/journal-events';
import { emptyState } from '../../../src/ledger/embedded/state';
import { tempDir } from '../../helpers/temp-dir';

const T = 1_900_000_000_000;

describe('sale change events', () => {
  const events: JournalEvent[] = [
    { type: 'sale_updated', saleId: 's', changes: { name: 'n', total: 5, perUserLimit: 2, holdSeconds: 0, opensAt: T, closesAt: null }, at: T },
    { type: 'sale_updated', saleId: 's', changes: { total: 7 }, at: T + 1 },
    { type: 'sale_closed', saleId: 's', at: T + 2 },
    { type: 'sale_deleted', saleId: 's', at: T + 3 },
  ];
  for (const event of events) it(`${event.type} decodes to what was written`, () => assert.deepEqual(decodeEvent(encodeEvent(event)), event));

  it('refuses a change naming a field no sale has', () => {
    assert.throws(() => decodeEvent('["U","s",{"price":5},1]'), EventDecodeError);
    assert.throws(() => decodeEvent('["U","s",{"total":"5"},1]'), EventDecodeError);
  });

  it('replay stops on a change that would oversell, or a delete of a sale with orders', () => {
    const state = emptyState();
    applyEvent(state, { type: 'sale_created', id: 's', name: 's', total: 2, perUserLimit: 1, holdSeconds: 0, opensAt: null, closesAt: null, createdAt: T });
    applyEvent(state, { type: 'ticket_reserved', saleId: 's', userId: 'a', requestKey: 'k:a', orderId: 's.a', createdAt: T });
    applyEvent(state, { type: 'ticket_reserved', saleId: 's', userId: 'b', requestKey: 'k:b', orderId: 's.b', createdAt: T });
    assert.throws(() => applyEvent(state, { type: 'sale_updated', saleId: 's', changes: { total: 1 }, at: T }), /cannot get total 1: 2 tickets are already taken/);
    assert.throws(() => applyEvent(state, { type: 'sale_deleted', saleId: 's', at: T }), /cannot be deleted: it has 2 order/);
    assert.throws(() => applyEvent(state, { type: 'sale_closed', saleId: 'nope', at: T }), /does not exist/);
  });
});

describe('a restart after sale changes', () => {
  it('rebuilds the sales, the holds made under each holdSeconds, and the feed with its sale events, ids unchanged', async () => {
    const dataDir = tempDir('spike-salectl-journal-');
    let ledger = EmbeddedLedger.open({ dataDir, fsync: 'batch' });
    await ledger.createSale({ id: 'g', name: 'g', total: 1, perUserLimit: 1, holdSeconds: 60, opensAt: null, closesAt: null }, T);
    const held = await ledger.reserve({ saleId: 'g', userId: 'a', requestKey: 'k:a', orderId: 'g.a', now: T });
    assert.equal(held.kind, 'reserved');
    await ledger.updateSale('g', { total: 3, holdSeconds: 0, name: 'moved' }, T + 1);
    await ledger.reserve({ saleId: 'g', userId: 'b', requestKey: 'k:b', orderId: 'g.b', now: T + 2 });
    await ledger.closeSale('g', T + 3);
    await ledger.createSale({ id: 'gone', name: 'gone', total: 1, perUserLimit: 1, holdSeconds: 0, opensAt: null, closesAt: null }, T);
    await ledger.deleteSale('gone');
    const sale = await ledger.getSale('g');
    const feed = await ledger.readFeed('g', null, 100);
    await ledger.close();

    ledger = EmbeddedLedger.open({ dataDir, fsync: 'batch' });
    try {
      assert.deepEqual(await ledger.getSale('g'), sale);
      assert.deepEqual(sale, { id: 'g', name: 'moved', total: 3, perUserLimit: 1, holdSeconds: 0, opensAt: null, closesAt: T + 3, anonymous: false, maxCancelsPerBuyer: 3, sold: 2, paid: 1, createdAt: T });
      assert.deepEqual(await ledger.readFeed('g', null, 100), feed);
      assert.deepEqual(feed.events.map((e) => ('state' in e ? e.state : 'change' in e ? e.change : e.ticket)), ['reserved', 'updated', 'paid', 'closed']);
      assert.equal((await ledger.getOrder('g.a'))!.expiresAt, T + 60_000, 'the first hold keeps its expiry');
      assert.equal((await ledger.getOrder('g.b'))!.state, 'paid');
      assert.equal(await ledger.getSale('gone'), null);
      assert.equal(await ledger.expireHolds('g', T + 60_000, 10), 1);
    } finally {
      await ledger.close();
    }
  });
});
