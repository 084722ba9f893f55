// The embedded ledger's train commands as pure decisions, with the semantics
// of the Redis train scripts (reserveTrip-7.lua, createTrain-1.lua): a
// sale's checks, then one seat free on every segment of the trip.
import type { ReserveTripOutcome } from '../outcomes';
import { isRoute, trainSaleSpec } from '../train-rules';
import type { Order, Sale, TrainSpec, TripRequest } from '../types';
import { decideCreateSale, firstChecks, newOrder, nextReleaseAt, wholeNumber, type Decision } from './decisions';
import type { TicketReserved } from './journal/journal-events';
import type { LedgerState } from './state';

const nothing = <T>(result: T): Decision<T> => ({ result, events: [] });

export function decideCreateTrain(state: LedgerState, spec: TrainSpec, now: number): Decision<Sale | null> {
  if (wholeNumber('seats', spec.seats) < 1 || spec.stations.length < 2) throw new RangeError(`a train needs at least 1 seat and 2 stations, got ${spec.seats} and ${spec.stations.length}`);
  for (const q of spec.quotas ?? []) {
    if (wholeNumber('quota firstSeat', q.firstSeat) + wholeNumber('quota seats', q.seats) > spec.seats || wholeNumber('quota minSegments', q.minSegments) < 1 || !Number.isFinite(q.releaseAt)) {
      throw new RangeError(`a quota must hold seats of the train and name minSegments >= 1 and a releaseAt, got ${JSON.stringify(q)}`);
    }
  }
  return decideCreateSale(state, trainSaleSpec(spec), now);
}

export function decideReserveTrip(state: LedgerState, request: TripRequest): Decision<ReserveTripOutcome> {
  const sale = state.sales.get(request.saleId);
  const train = sale?.record.train;
  const seatMap = sale?.seatMap;
  if (!sale || !train || !seatMap) return nothing({ kind: 'not_found' });
  const { from, to } = request;
  if (!isRoute(train, from, to)) return nothing({ kind: 'bad_route' });
  const first = firstChecks(sale, request);
  if (first) return nothing(first);

  // Quotas closed to this trip now: their seats are left out, as reserveTrip-7.lua's closeQuotas does.
  const closed = seatMap.closedTo(from, to, request.now);
  const seat = seatMap.choose(from, to, train.seatChoice, closed);
  if (seat < 0) return nothing({ kind: 'sold_out', from, to, nextReleaseAt: nextReleaseAt(sale), full: seatMap.fullSegments(from, to) });
  const { perUserLimit, holdSeconds } = sale.record;
  if ((sale.buyers.get(request.userId) ?? 0) >= perUserLimit) return nothing({ kind: 'limit_reached', perUserLimit });

  const trip = { from, to, seat };
  const event: TicketReserved = { type: 'ticket_reserved', saleId: sale.record.id, userId: request.userId, requestKey: request.requestKey, orderId: request.orderId, createdAt: request.now, trip };
  const order: Order = { ...newOrder(sale.record.id, request, holdSeconds), trip };
  const available = seatMap.freeFor(from, to, closed) - 1;
  // The segments this seat fills: those with exactly one seat free before it (only when it was the trip's last).
  let full = 0;
  if (available === 0) for (let s = from; s < to; s++) if (seatMap.takenOn(s) === seatMap.seats - 1) full += 2 ** (s - from);
  return { result: { kind: 'reserved', order, available, full }, events: [event] };
}
