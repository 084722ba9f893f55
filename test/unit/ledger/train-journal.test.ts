// A train in the embedded ledger's journal: its layout and each order's trip
// and seat survive the codec and a restart, and a journal that would sell a
// seat-segment twice stops the start.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { applyEvent } from '../../../src/ledger/embedded/apply-event';
import { EmbeddedLedger } from '../../../src/ledger/embedded/embedded-ledger';
import { emptyState } from '../../../src/ledger/embedded/state';
import { decodeEvent, encodeEvent, type JournalEvent } from '../../../src/ledger/embedded/journal/journal-events';
import { tempDir } from '../../helpers/temp-dir';

const T = 1_800_000_000_000;

describe('trains in the journal', () => {
  const cases: JournalEvent[] = [
    { type: 'sale_created', id: 'G1', name: 'G1', total: 10, perUserLimit: 1, holdSeconds: 60, opensAt: null, closesAt: null, createdAt: T, anonymous: false, train: { stations: ['A', 'B', 'C'], seats: 5, seatChoice: 'first-fit' } },
    { type: 'ticket_reserved', saleId: 'G1', userId: 'alice', requestKey: 'k:1', orderId: 'G1.a', createdAt: T, trip: { from: 0, to: 2, seat: 4 } },
    { type: 'ticket_reserved', saleId: 'G1', userId: 'alice', requestKey: 'k:2', orderId: 'G1.b', createdAt: T, passPlace: 7 },
    { type: 'ticket_reserved', saleId: 'G1', userId: 'alice', requestKey: 'k:3', orderId: 'G1.c', createdAt: T },
    { type: 'sale_created', id: 'S1', name: 'S1', total: 10, perUserLimit: 1, holdSeconds: 60, opensAt: null, closesAt: null, createdAt: T, anonymous: true },
  ];
  for (const event of cases) {
    it(`round-trips ${event.type} ${JSON.stringify(event).slice(0, 60)}…`, () => {
      assert.deepEqual(decodeEvent(encodeEvent(event)), event);
    });
  }

  it('rebuilds the seats, the trips and the freed segments from the journal at restart', async () => {
    const dataDir = tempDir('spike-train-journal-');
    let ledger = EmbeddedLedger.open({ dataDir, fsync: 'batch' });
    await ledger.createTrain({ id: 'G9', stations: ['A', 'B', 'C', 'D'], seats: 2, perUserLimit: 5, holdSeconds: 60, opensAt: null, closesAt: null }, T);
    const trip = (from: number, to: number, key: string) => ledger.reserveTrip({ saleId: 'G9', userId: 'bob', requestKey: key, orderId: `G9.${key.slice(2)}`, now: T, from, to });
    const first = await trip(0, 2, 'k:one');
    await trip(1, 3, 'k:two');
    await trip(2, 3, 'k:three');
    assert.equal(first.kind, 'reserved');
    await ledger.cancel('G9.one', null, T + 1);
    const before = { seats: await ledger.segmentAvailability('G9'), audit: await ledger.auditTrain('G9'), order: await ledger.getOrder('G9.three') };
    await ledger.close();
    ledger = EmbeddedLedger.open({ dataDir, fsync: 'batch' });
    try {
      assert.deepEqual({ seats: await ledger.segmentAvailability('G9'), audit: await ledger.auditTrain('G9'), order: await ledger.getOrder('G9.three') }, before);
      assert.deepEqual(before.seats, [2, 1, 0]);
      assert.equal(before.audit?.mismatched, 0);
    } finally {
      await ledger.close();
    }
  });

  it('refuses to apply a record that sells a seat-segment twice (a journal that would stops the start)', () => {
    const state = emptyState();
    applyEvent(state, { type: 'sale_created', id: 'G8', name: 'G8', total: 2, perUserLimit: 5, holdSeconds: 60, opensAt: null, closesAt: null, createdAt: T, anonymous: false, train: { stations: ['A', 'B', 'C'], seats: 1, seatChoice: 'best-fit' } });
    applyEvent(state, { type: 'ticket_reserved', saleId: 'G8', userId: 'bob', requestKey: 'k:1', orderId: 'G8.1', createdAt: T, trip: { from: 0, to: 2, seat: 0 } });
    assert.throws(
      () => applyEvent(state, { type: 'ticket_reserved', saleId: 'G8', userId: 'eve', requestKey: 'k:2', orderId: 'G8.2', createdAt: T, trip: { from: 1, to: 2, seat: 0 } }),
      /would sell seat 0 of train "G8" twice on 1->2/,
    );
    assert.throws(() => applyEvent(state, { type: 'ticket_reserved', saleId: 'G8', userId: 'eve', requestKey: 'k:3', orderId: 'G8.3', createdAt: T }), /has no trip/);
    // Cancelled, its seat sells again.
    applyEvent(state, { type: 'order_cancelled', orderId: 'G8.1', at: T + 1 });
    applyEvent(state, { type: 'ticket_reserved', saleId: 'G8', userId: 'eve', requestKey: 'k:4', orderId: 'G8.4', createdAt: T + 2, trip: { from: 1, to: 2, seat: 0 } });
  });
});
