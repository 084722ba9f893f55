// Trains held to one contract on every ledger: seats sold per segment, the
// boundaries of a trip exact, holds freeing exactly their segments, and a
// flood of random trips that the audit finds sold no seat-segment twice.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { newOrderId } from '../../src/inventory/order-ids';
import type { Ledger, ReserveTripOutcome, SeatChoice, SeatsReleased, TrainSpec } from '../../src/ledger';

const T = 1_800_000_000_000;
const STATIONS = ['A', 'B', 'C', 'D', 'E', 'F'];
const at = (name: string) => STATIONS.indexOf(name);

function train(overrides: Partial<TrainSpec> = {}): TrainSpec {
  const id = overrides.id ?? `train-${randomBytes(5).toString('hex')}`;
  return { id, stations: STATIONS, seats: 1, perUserLimit: 100, holdSeconds: 60, opensAt: null, closesAt: null, ...overrides };
}

function trip(ledger: Ledger, trainId: string, from: number, to: number, options: { userId?: string; now?: number; requestKey?: string } = {}): Promise<ReserveTripOutcome> {
  return ledger.reserveTrip({
    saleId: trainId,
    userId: options.userId ?? `u${randomBytes(4).toString('hex')}`,
    requestKey: options.requestKey ?? `k:${randomBytes(8).toString('hex')}`,
    orderId: newOrderId(trainId),
    now: options.now ?? T,
    from,
    to,
  });
}

function reserved(outcome: ReserveTripOutcome): Extract<ReserveTripOutcome, { kind: 'reserved' }> {
  assert.equal(outcome.kind, 'reserved', JSON.stringify(outcome));
  return outcome as Extract<ReserveTripOutcome, { kind: 'reserved' }>;
}

/** A tiny deterministic generator, so a failing flood can be replayed. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

export function trainContract(ledgerOf: () => Ledger): void {
  describe('trains', () => {
    it('creates a train once, as a sale with its layout; a plain purchase of it is refused', async () => {
      const ledger = ledgerOf();
      const t = train({ seats: 12, seatChoice: 'first-fit' });
      const created = await ledger.createTrain(t, T);
      assert.ok(created);
      assert.deepEqual(created.train, { stations: STATIONS, seats: 12, seatChoice: 'first-fit' });
      assert.equal(created.total, 12 * 5);
      assert.equal(await ledger.createTrain(t, T), null);
      const read = await ledger.getSale(t.id);
      assert.deepEqual(read?.train, { stations: STATIONS, seats: 12, seatChoice: 'first-fit' });
      assert.equal((await ledger.createTrain({ ...train(), seats: 3 }, T))!.train!.seatChoice, 'best-fit');
      const plain = await ledger.reserve({ saleId: t.id, userId: 'alice', requestKey: 'k:plain', orderId: newOrderId(t.id), now: T });
      assert.deepEqual(plain, { kind: 'not_found' });
      assert.deepEqual(await trip(ledger, 'no-such-train', 0, 1), { kind: 'not_found' });
    });

    it('retires a closed train with its seats: the id then makes a fresh train whose every trip sells', async () => {
      const ledger = ledgerOf();
      const t = train({ seats: 1, closesAt: T + 100 });
      await ledger.createTrain(t, T);
      const whole = reserved(await trip(ledger, t.id, 0, 5, { userId: 'alice' }));
      assert.equal((await ledger.pay(whole.order.orderId, 'alice', T + 1)).kind, 'paid');
      assert.equal((await trip(ledger, t.id, 1, 2, { now: T + 2 })).kind, 'sold_out', 'every segment full');
      const mark = (await ledger.feedMark(t.id))!;
      assert.deepEqual(await ledger.retireSale(t.id, mark, T + 100, T + 200), { kind: 'retired', orders: 1 });
      assert.equal(await ledger.segmentAvailability(t.id), null);
      // A seat-segment left behind (a bitmap, the full-segment mask) would refuse these.
      await ledger.createTrain({ ...t, closesAt: null }, T + 300);
      assert.deepEqual(await ledger.segmentAvailability(t.id), [1, 1, 1, 1, 1]);
      reserved(await trip(ledger, t.id, 0, 5, { userId: 'bob', now: T + 301 }));
      assert.equal((await ledger.auditTrain(t.id))!.mismatched, 0);
    });

    it('deletes a train with no order, and the id makes a fresh train again', async () => {
      const ledger = ledgerOf();
      const t = train({ seats: 2, quotas: [{ firstSeat: 1, seats: 1, minSegments: 2, releaseAt: T + 1000 }] });
      await ledger.createTrain(t, T);
      const held = reserved(await trip(ledger, t.id, 0, 5));
      assert.equal((await ledger.deleteSale(t.id)).kind, 'has_orders');
      assert.equal((await ledger.cancel(held.order.orderId, null, T)).kind, 'cancelled');
      const empty = train({ seats: 3 });
      await ledger.createTrain(empty, T);
      assert.equal((await ledger.deleteSale(empty.id)).kind, 'deleted');
      assert.equal(await ledger.getSale(empty.id), null);
      assert.equal(await ledger.segmentAvailability(empty.id), null);
      await ledger.createTrain({ ...empty, seats: 1 }, T);
      assert.deepEqual(await ledger.segmentAvailability(empty.id), [1, 1, 1, 1, 1]);
      assert.equal((await ledger.auditTrain(empty.id))!.mismatched, 0);
    });

    it('refuses a route that is not two stations in order', async () => {
      const ledger = ledgerOf();
      const t = train();
      await ledger.createTrain(t, T);
      for (const [from, to] of [[1, 1], [3, 2], [0, 6], [-1, 2]] as const) assert.deepEqual(await trip(ledger, t.id, from, to), { kind: 'bad_route' }, `${from}->${to}`);
      assert.equal(await ledger.tripAvailability(t.id, 2, 2), null);
      assert.equal(await ledger.tripAvailability('no-such-train', 0, 1), null);
    });

    it('a seat sold B->D is sold again A->B and D->F, and not A->C', async () => {
      const ledger = ledgerOf();
      const t = train({ seats: 1 });
      await ledger.createTrain(t, T);
      const bd = reserved(await trip(ledger, t.id, at('B'), at('D')));
      assert.deepEqual(bd.order.trip, { from: at('B'), to: at('D'), seat: 0 });
      assert.equal(bd.available, 0);
      assert.equal(bd.full, 0b11, 'the last seat filled both segments');
      assert.equal(reserved(await trip(ledger, t.id, at('E'), at('F'))).full, 0b1);
      assert.deepEqual(await trip(ledger, t.id, at('A'), at('C')), { kind: 'sold_out', from: at('A'), to: at('C'), nextReleaseAt: T + 60_000, full: 0b10 });
      assert.equal(reserved(await trip(ledger, t.id, at('A'), at('B'))).order.trip!.seat, 0);
      assert.equal((await trip(ledger, t.id, at('D'), at('F'))).kind, 'sold_out');
      assert.equal(reserved(await trip(ledger, t.id, at('D'), at('E'))).order.trip!.seat, 0);
      assert.equal((await trip(ledger, t.id, at('C'), at('E'))).kind, 'sold_out');
      assert.deepEqual(await ledger.getOrder(bd.order.orderId), bd.order);
      const audit = (await ledger.auditTrain(t.id))!;
      assert.deepEqual(audit, { seats: 1, taken: [1, 1, 1, 1, 1], covering: [1, 1, 1, 1, 1], mismatched: 0 });
    });

    it('a 1-seat train takes exactly the trips compatible with those it took before', async () => {
      const ledger = ledgerOf();
      const t = train({ seats: 1 });
      await ledger.createTrain(t, T);
      const random = rng(17);
      const taken = new Array<boolean>(5).fill(false);
      for (let i = 0; i < 40; i++) {
        const from = Math.floor(random() * 5);
        const to = from + 1 + Math.floor(random() * (5 - from));
        const fits = taken.slice(from, to).every((segment) => !segment);
        const outcome = await trip(ledger, t.id, from, to);
        assert.equal(outcome.kind, fits ? 'reserved' : 'sold_out', `trip ${from}->${to} with ${taken}`);
        if (fits) for (let s = from; s < to; s++) taken[s] = true;
      }
      assert.equal((await ledger.auditTrain(t.id))!.mismatched, 0);
    });

    it('a 2-station train behaves like a sale: N seats to N of 20xN concurrent buyers, each seat once', async () => {
      const ledger = ledgerOf();
      const seats = 30;
      const t = train({ stations: ['X', 'Y'], seats, perUserLimit: 1 });
      await ledger.createTrain(t, T);
      const outcomes = await Promise.all(Array.from({ length: 20 * seats }, (_, i) => trip(ledger, t.id, 0, 1, { userId: `b${i}` })));
      const sold = outcomes.filter((o) => o.kind === 'reserved').map(reserved);
      assert.equal(sold.length, seats);
      assert.equal(outcomes.filter((o) => o.kind === 'sold_out').length, 19 * seats);
      assert.deepEqual(new Set(sold.map((o) => o.order.trip!.seat)), new Set(Array.from({ length: seats }, (_, i) => i)));
      assert.equal((await ledger.getSale(t.id))!.sold, seats);
      assert.equal(await ledger.tripAvailability(t.id, 0, 1), 0);
      // One buyer, one ticket, and a retry replays its order.
      const again = await trip(ledger, t.id, 0, 1, { userId: 'b0' });
      assert.ok(again.kind === 'sold_out' || again.kind === 'limit_reached');
    });

    it('replays a retried trip and enforces the per-user limit and the window', async () => {
      const ledger = ledgerOf();
      const t = train({ seats: 5, perUserLimit: 1, opensAt: T, closesAt: T + 100_000 });
      await ledger.createTrain(t, T - 1000);
      assert.deepEqual(await trip(ledger, t.id, 0, 1, { now: T - 1 }), { kind: 'not_open', opensAt: T });
      assert.deepEqual(await trip(ledger, t.id, 0, 1, { now: T + 100_000 }), { kind: 'closed', closesAt: T + 100_000 });
      const first = reserved(await trip(ledger, t.id, 0, 2, { userId: 'carol', requestKey: 'k:carol-1' }));
      assert.deepEqual(await trip(ledger, t.id, 0, 2, { userId: 'carol', requestKey: 'k:carol-1' }), { kind: 'replayed', order: first.order });
      assert.deepEqual(await trip(ledger, t.id, 0, 2, { userId: 'dave', requestKey: 'k:carol-1' }), { kind: 'key_reused' });
      assert.deepEqual(await trip(ledger, t.id, 3, 4, { userId: 'carol' }), { kind: 'limit_reached', perUserLimit: 1 });
    });

    for (const seatChoice of ['best-fit', 'first-fit'] as const satisfies readonly SeatChoice[]) {
      it(`${seatChoice}: picks ${seatChoice === 'best-fit' ? 'a seat whose neighbouring segments are both taken' : 'the lowest free seat'}`, async () => {
        const ledger = ledgerOf();
        const t = train({ stations: ['A', 'B', 'C', 'D'], seats: 2, seatChoice });
        await ledger.createTrain(t, T);
        const ab = reserved(await trip(ledger, t.id, 0, 1));
        assert.equal(reserved(await trip(ledger, t.id, 0, 1)).order.trip!.seat, 1);
        const cd = reserved(await trip(ledger, t.id, 2, 3));
        assert.equal(reserved(await trip(ledger, t.id, 2, 3)).order.trip!.seat, 1);
        assert.equal((await ledger.cancel(ab.order.orderId, null, T)).kind, 'cancelled');
        assert.equal((await ledger.cancel(cd.order.orderId, null, T)).kind, 'cancelled');
        // B->C: seat 1 is taken A->B just before it and C->D just after it; seat 0 is free all along.
        assert.equal(reserved(await trip(ledger, t.id, 1, 2)).order.trip!.seat, seatChoice === 'best-fit' ? 1 : 0);
      });

      it(`${seatChoice}: one taken neighbour is not a fit; the lowest free seat is taken`, async () => {
        const ledger = ledgerOf();
        const t = train({ stations: ['A', 'B', 'C', 'D'], seats: 2, seatChoice });
        await ledger.createTrain(t, T);
        const first = reserved(await trip(ledger, t.id, 0, 1));
        assert.equal(reserved(await trip(ledger, t.id, 0, 1)).order.trip!.seat, 1);
        assert.equal((await ledger.cancel(first.order.orderId, null, T)).kind, 'cancelled');
        // B->C: seat 1 is taken A->B just before it but free C->D after it.
        assert.equal(reserved(await trip(ledger, t.id, 1, 2)).order.trip!.seat, 0);
      });
    }

    it('availability is exact: free on every segment of the trip, not the least free segment', async () => {
      const ledger = ledgerOf();
      const t = train({ stations: ['A', 'B', 'C', 'D'], seats: 2, seatChoice: 'first-fit' });
      await ledger.createTrain(t, T);
      assert.equal(await ledger.tripAvailability(t.id, 0, 3), 2);
      reserved(await trip(ledger, t.id, 0, 1));
      const c = reserved(await trip(ledger, t.id, 2, 3));
      reserved(await trip(ledger, t.id, 2, 3));
      await ledger.cancel(c.order.orderId, null, T);
      // Seat 0 is taken A->B, seat 1 C->D: every segment has a free seat, and no seat is free A->D.
      assert.equal(await ledger.tripAvailability(t.id, 0, 1), 1);
      assert.equal(await ledger.tripAvailability(t.id, 1, 2), 2);
      assert.equal(await ledger.tripAvailability(t.id, 2, 3), 1);
      assert.equal(await ledger.tripAvailability(t.id, 0, 2), 1);
      assert.equal(await ledger.tripAvailability(t.id, 0, 3), 0);
      assert.deepEqual(await ledger.segmentAvailability(t.id), [1, 2, 1]);
      assert.equal(await ledger.segmentAvailability('no-such-train'), null);
      // Refused by fragmentation: no segment of A->D is full.
      assert.deepEqual(await trip(ledger, t.id, 0, 3), { kind: 'sold_out', from: 0, to: 3, nextReleaseAt: T + 60_000, full: 0 });
    });

    it('an expired or cancelled hold frees exactly its segments, and they sell again', async () => {
      const ledger = ledgerOf();
      const t = train({ seats: 1, holdSeconds: 60 });
      await ledger.createTrain(t, T);
      const bd = reserved(await trip(ledger, t.id, at('B'), at('D'), { now: T }));
      const ab = reserved(await trip(ledger, t.id, at('A'), at('B'), { now: T + 30_000 }));
      reserved(await trip(ledger, t.id, at('D'), at('F'), { now: T + 30_000 }));
      assert.equal(await ledger.expireHolds(t.id, T + 61_000, 100), 1);
      assert.equal((await ledger.getOrder(bd.order.orderId))!.state, 'expired');
      assert.deepEqual((await ledger.auditTrain(t.id))!.taken, [1, 0, 0, 1, 1]);
      assert.equal((await trip(ledger, t.id, at('A'), at('C'), { now: T + 62_000 })).kind, 'sold_out');
      assert.equal(reserved(await trip(ledger, t.id, at('B'), at('C'), { now: T + 62_000 })).order.trip!.seat, 0);
      assert.equal((await ledger.cancel(ab.order.orderId, null, T + 63_000)).kind, 'cancelled');
      assert.equal(await ledger.tripAvailability(t.id, at('A'), at('B')), 1);
      assert.equal(await ledger.tripAvailability(t.id, at('A'), at('C')), 0);
      assert.equal(await ledger.tripAvailability(t.id, at('C'), at('D')), 1);
      const audit = (await ledger.auditTrain(t.id))!;
      assert.deepEqual(audit.taken, [0, 1, 0, 1, 1]);
      assert.equal(audit.mismatched, 0);
    });

    it('a quota keeps its seats for long trips until its releaseAt, then for any trip', async () => {
      const ledger = ledgerOf();
      // Seats 2-3 only for trips of 3 segments or more until T + 10 s.
      const t = train({ seats: 4, seatChoice: 'first-fit', quotas: [{ firstSeat: 2, seats: 2, minSegments: 3, releaseAt: T + 10_000 }] });
      const created = await ledger.createTrain(t, T);
      assert.deepEqual(created?.train?.quotas, t.quotas);
      assert.deepEqual((await ledger.getSale(t.id))?.train?.quotas, t.quotas);
      assert.equal(await ledger.tripAvailability(t.id, 0, 2, T), 2, 'a short trip sees the general seats only');
      assert.equal(await ledger.tripAvailability(t.id, 0, 3, T), 4, 'a long trip sees all');
      assert.equal(await ledger.tripAvailability(t.id, 0, 2, T + 10_000), 4, 'released');
      assert.equal(reserved(await trip(ledger, t.id, 0, 2)).order.trip!.seat, 0);
      assert.equal(reserved(await trip(ledger, t.id, 0, 2)).order.trip!.seat, 1);
      // Short trips are refused while only quota seats are left, by no full segment.
      assert.deepEqual(await trip(ledger, t.id, 0, 1), { kind: 'sold_out', from: 0, to: 1, nextReleaseAt: T + 60_000, full: 0 });
      assert.equal(reserved(await trip(ledger, t.id, 0, 4)).order.trip!.seat, 2);
      assert.equal(reserved(await trip(ledger, t.id, 1, 2, { now: T + 10_000 })).order.trip!.seat, 3);
      assert.equal((await ledger.auditTrain(t.id))!.mismatched, 0);
    });

    it('announces the seat range a cancel or an expiry gives back, for the workers to clear exactly those marks', async () => {
      const ledger = ledgerOf();
      const heard: SeatsReleased[] = [];
      await ledger.onSeatsReleased((release) => heard.push(release));
      const t = train({ seats: 2, holdSeconds: 60 });
      await ledger.createTrain(t, T);
      const a = reserved(await trip(ledger, t.id, 1, 3, { now: T }));
      reserved(await trip(ledger, t.id, 2, 5, { now: T + 30_000 }));
      await ledger.cancel(a.order.orderId, null, T + 1);
      assert.equal(await ledger.expireHolds(t.id, T + 90_000, 10), 1);
      const deadline = Date.now() + 5000;
      while (heard.filter((r) => r.trainId === t.id).length < 2 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
      assert.deepEqual(heard.filter((r) => r.trainId === t.id), [{ trainId: t.id, from: 1, to: 3 }, { trainId: t.id, from: 2, to: 5 }]);
    });

    it('a paid train order keeps its seat; paying and cancelling work as for a sale', async () => {
      const ledger = ledgerOf();
      const t = train({ seats: 1 });
      await ledger.createTrain(t, T);
      const order = reserved(await trip(ledger, t.id, 0, 3)).order;
      const paid = await ledger.pay(order.orderId, order.userId, T + 1000);
      assert.equal(paid.kind, 'paid');
      assert.deepEqual(paid.kind === 'paid' && paid.order.trip, order.trip);
      assert.equal((await ledger.cancel(order.orderId, null, T + 2000)).kind, 'paid');
      assert.equal(await ledger.expireHolds(t.id, T + 3_600_000, 100), 0);
      assert.equal((await trip(ledger, t.id, 2, 3, { now: T + 3_600_000 })).kind, 'sold_out');
    });

    it('a flood of random trips from many buyers, with cancels, sells no seat-segment twice (the audit)', async () => {
      const ledger = ledgerOf();
      const stations = Array.from({ length: 20 }, (_, i) => `S${i}`);
      const t = train({ stations, seats: 40, perUserLimit: 4 });
      await ledger.createTrain(t, T);
      const random = rng(99);
      const trips = Array.from({ length: 1200 }, (_, i) => {
        const from = Math.floor(random() * 19);
        const to = from + 1 + Math.floor(random() * Math.min(8, 19 - from));
        return { from, to, userId: `f${i % 400}` };
      });
      const outcomes = await Promise.all(trips.map((x) => trip(ledger, t.id, x.from, x.to, { userId: x.userId })));
      const sold = outcomes.filter((o) => o.kind === 'reserved').map(reserved);
      assert.ok(sold.length > 40, `sold ${sold.length}`);
      // Cancel every fifth order, then sell into the gaps again.
      await Promise.all(sold.filter((_, i) => i % 5 === 0).map((o) => ledger.cancel(o.order.orderId, null, T + 1)));
      await Promise.all(trips.slice(0, 400).map((x) => trip(ledger, t.id, x.from, x.to, { userId: `g${x.userId}`, now: T + 2 })));
      const audit = (await ledger.auditTrain(t.id))!;
      assert.equal(audit.mismatched, 0, JSON.stringify(audit));
      assert.deepEqual(audit.taken, audit.covering);
      const sale = (await ledger.getSale(t.id))!;
      const saleAudit = (await ledger.audit(t.id))!;
      assert.equal(sale.sold, saleAudit.orders.reserved + saleAudit.orders.paid);
      assert.equal(saleAudit.buyersOverLimit, 0);
      for (let s = 0; s < 19; s++) assert.ok(audit.taken[s]! <= 40);
    });
  });
}
