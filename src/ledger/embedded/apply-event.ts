// The only way the embedded ledger's state changes, live and at replay: one
// journaled event at a time. Every event re-checks the invariants it could
// break, so a journal that would build an oversold state (two primaries on
// one DATA_DIR, a hand-edited file) stops the start with a precise message.
import type { OrderState } from '../types';
import { ExpiryHeap } from './expiry-heap';
import type { JournalEvent, OrderTransition, QueueAdvanced, QueueJoined, SaleChange, SaleCreated } from './journal/journal-events';
import { OrderTable } from './order-table';
import { SeatMap } from './seat-map';
import { ShardedMap, ShardedSet } from './sharded-map';
import { isRoute, segmentCount } from '../train-rules';
import { locate, type LedgerState, type QueueState, type SaleState } from './state';

export function applyEvent(state: LedgerState, event: JournalEvent): void {
  switch (event.type) {
    case 'sale_created': {
      if (state.sales.has(event.id)) throw new Error(`sale "${event.id}" is created twice`);
      state.sales.set(event.id, newSaleState(event, state.feedMaxEvents));
      return;
    }
    case 'ticket_reserved': {
      const sale = state.sales.get(event.saleId);
      if (!sale) throw new Error(`order ${event.orderId} is for sale "${event.saleId}", which was never created`);
      if (sale.requests.has(event.requestKey)) throw new Error(`request key ${event.requestKey} of sale "${event.saleId}" made two orders`);
      if (sale.orders.indexOf(event.orderId) !== undefined) throw new Error(`order ${event.orderId} is made twice`);
      const { total, perUserLimit } = sale.record;
      // A train's guard is its seat map (below); its total only bounds what it could ever sell.
      if (!sale.seatMap && sale.sold >= total) throw new Error(`order ${event.orderId} would oversell sale "${event.saleId}": ${sale.sold} of ${total} tickets are already taken`);
      const held = sale.buyers.get(event.userId) ?? 0;
      if (held >= perUserLimit) throw new Error(`order ${event.orderId} would give buyer "${event.userId}" ${held + 1} tickets of sale "${event.saleId}", over its perUserLimit of ${perUserLimit}`);
      if (event.passPlace !== undefined) {
        if (!sale.queue) throw new Error(`order ${event.orderId} spent a pass in sale "${event.saleId}", which has no queue`);
        if (sale.queue.passes.has(event.passPlace)) throw new Error(`the pass of place ${event.passPlace} of sale "${event.saleId}" bought twice`);
        sale.queue.passes.add(event.passPlace);
        if (event.passPlace >= sale.queue.expiredBelow) sale.queue.livePasses.push(event.passPlace, event.passPlace);
      }
      const trip = event.trip;
      if (sale.seatMap && !trip) throw new Error(`order ${event.orderId} of train "${event.saleId}" has no trip`);
      if (trip) {
        if (!sale.seatMap || !sale.record.train) throw new Error(`order ${event.orderId} has a trip in sale "${event.saleId}", which is not a train`);
        if (!isRoute(sale.record.train, trip.from, trip.to)) throw new Error(`order ${event.orderId} of train "${event.saleId}" has no route ${trip.from}->${trip.to}`);
        if (!sale.seatMap.isFree(trip.from, trip.to, trip.seat)) throw new Error(`order ${event.orderId} would sell seat ${trip.seat} of train "${event.saleId}" twice on ${trip.from}->${trip.to}`);
        sale.seatMap.mark(trip.from, trip.to, trip.seat, true);
      }
      // The sale's holdSeconds at this point of the journal: a later change applies to later orders only.
      const index = sale.orders.add(event.orderId, event.userId, event.createdAt, sale.record.holdSeconds * 1000);
      if (trip) sale.orders.setTrip(index, trip);
      sale.sold++;
      sale.buyers.set(event.userId, held + 1);
      sale.requests.set(event.requestKey, index);
      const expiresAt = sale.orders.expiresAt(index);
      if (expiresAt === null) {
        // Final at once: its ticket is due from this same event.
        sale.paid++;
        sale.ticketsDue.add(index);
      } else {
        sale.holds.push(expiresAt, index);
      }
      return;
    }
    case 'order_paid':
      return applyTransition(state, event, 'paid');
    case 'order_cancelled':
      return applyTransition(state, event, 'cancelled', event.byBuyer === true);
    case 'order_expired':
      return applyTransition(state, event, 'expired');
    case 'ticket_issued': {
      const { sale, index } = paidOrder(state, event.orderId, 'have its ticket issued');
      if (sale.orders.isIssued(index)) throw new Error(`the ticket of order ${event.orderId} is issued twice`);
      sale.ticketsDue.delete(index);
      sale.orders.recordIssued(index, event.at);
      return;
    }
    case 'checked_in': {
      const { sale, index } = paidOrder(state, event.orderId, 'be checked in');
      const used = sale.orders.checkIn(index);
      if (used) throw new Error(`the ticket of order ${event.orderId} is checked in twice (first at gate "${used.gate}")`);
      sale.orders.recordCheckIn(index, event.at, event.gate);
      return;
    }
    case 'sale_updated':
    case 'sale_closed':
    case 'sale_deleted':
    case 'sale_retired':
      return applySaleChange(state, event);
    case 'queue_joined':
      return applyJoin(state, event);
    case 'queue_advanced':
      return applyAdvance(state, event);
  }
}

function applySaleChange(state: LedgerState, event: SaleChange): void {
  const sale = state.sales.get(event.saleId);
  if (!sale) throw new Error(`sale "${event.saleId}" cannot be changed (${event.type}): it does not exist`);
  switch (event.type) {
    case 'sale_updated': {
      const record = { ...sale.record, ...event.changes };
      if (record.total < sale.sold) throw new Error(`sale "${event.saleId}" cannot get total ${record.total}: ${sale.sold} tickets are already taken`);
      sale.record = record;
      sale.orders.addSaleEvent({ change: 'updated', changes: event.changes, at: event.at });
      return;
    }
    case 'sale_closed':
      sale.record = { ...sale.record, closesAt: event.at };
      sale.orders.addSaleEvent({ change: 'closed', changes: { closesAt: event.at }, at: event.at });
      return;
    case 'sale_deleted':
      if (sale.orders.size > 0) throw new Error(`sale "${event.saleId}" cannot be deleted: it has ${sale.orders.size} order(s)`);
      state.sales.delete(event.saleId);
      return;
    case 'sale_retired':
      if (sale.record.closesAt === null || sale.record.closesAt > event.at) throw new Error(`sale "${event.saleId}" cannot be retired at ${event.at}: it has not closed`);
      state.sales.delete(event.saleId);
      return;
  }
}

function queueOf(state: LedgerState, saleId: string, what: string): { sale: SaleState; queue: QueueState } {
  const sale = state.sales.get(saleId);
  if (!sale?.queue) throw new Error(`${what} for sale "${saleId}", which ${sale ? 'has no queue' : 'was never created'}`);
  return { sale, queue: sale.queue };
}

function applyJoin(state: LedgerState, event: QueueJoined): void {
  const { queue } = queueOf(state, event.saleId, `buyer "${event.userId}" joined the line`);
  if (queue.members.has(event.userId)) throw new Error(`buyer "${event.userId}" joined the line of sale "${event.saleId}" twice`);
  const expected = event.pre ? queue.pre : queue.post;
  if (event.number !== expected) throw new Error(`buyer "${event.userId}" got number ${event.number} in the line of sale "${event.saleId}", where the next is ${expected}`);
  if (event.pre) queue.pre++;
  else {
    queue.post++;
    queue.drawn = true;
  }
  queue.members.set(event.userId, event.number * 2 + (event.pre ? 1 : 0));
  if (event.challengeId !== undefined) queue.challenges.set(event.challengeId, event.challengeExpiresAt!);
}

function applyAdvance(state: LedgerState, event: QueueAdvanced): void {
  const { sale, queue } = queueOf(state, event.saleId, 'the line moved');
  if (event.serving < queue.serving) throw new Error(`the serving counter of sale "${event.saleId}" went back from ${queue.serving} to ${event.serving}`);
  if (event.serving > queue.pre + queue.post) throw new Error(`the serving counter of sale "${event.saleId}" passed the end of the line (${event.serving} > ${queue.pre + queue.post})`);
  if (event.serving > queue.serving) queue.log.push({ serving: event.serving, at: event.at });
  queue.serving = event.serving;
  queue.lastAt = event.lastAt;
  queue.drawn = queue.drawn || event.drawn;
  // Index upkeep: drop what the new expiredBelow has put behind.
  queue.expiredBelow = Math.max(queue.expiredBelow, event.expiredBelow);
  const cutoff = event.at - sale.record.admission!.passSeconds * 1000;
  while (queue.logHead < queue.log.length && queue.log[queue.logHead]!.at <= cutoff) queue.logHead++;
  if (queue.logHead > 1024 && queue.logHead * 2 > queue.log.length) {
    queue.log.splice(0, queue.logHead);
    queue.logHead = 0;
  }
  while (queue.livePasses.peekAt() < queue.expiredBelow) queue.livePasses.pop();
  queue.challenges.dropStaleFronts((expiresAt) => expiresAt <= event.at);
}

function paidOrder(state: LedgerState, orderId: string, what: string): { sale: SaleState; index: number } {
  const found = locate(state, orderId);
  if (!found) throw new Error(`order ${orderId} cannot ${what}: it was never made`);
  const current = found.sale.orders.state(found.index);
  if (current !== 'paid') throw new Error(`order ${orderId} cannot ${what}: it is ${current}, not paid`);
  return found;
}

function applyTransition(state: LedgerState, event: OrderTransition, to: OrderState, byBuyer = false): void {
  const found = locate(state, event.orderId);
  if (!found) throw new Error(`order ${event.orderId} cannot become ${to}: it was never made`);
  const { sale, index } = found;
  const from = sale.orders.state(index);
  if (from !== 'reserved') throw new Error(`order ${event.orderId} cannot become ${to}: it is ${from}, not reserved`);
  if (to === 'paid') {
    sale.paid++;
    // Its ticket is due from the same journaled event that paid it.
    sale.ticketsDue.add(index);
  } else {
    // The ticket goes back on sale: stock and the buyer's count. Its index entry is dropped by the next sweep.
    sale.sold--;
    const userId = sale.orders.userId(index);
    const held = (sale.buyers.get(userId) ?? 0) - 1;
    if (held > 0) sale.buyers.set(userId, held);
    else sale.buyers.delete(userId);
    if (byBuyer) sale.cancels.set(userId, (sale.cancels.get(userId) ?? 0) + 1);
    // A train order frees exactly its seat's segments.
    const trip = sale.orders.trip(index);
    if (trip) sale.seatMap!.mark(trip.from, trip.to, trip.seat, false);
  }
  sale.orders.transition(index, to, event.at);
}

/**
 * A sale as created, before any order: what replay builds from sale_created and
 * a snapshot load from its sale record, which then fills it from its own records.
 */
export function newSaleState(record: SaleCreated, feedMaxEvents: number): SaleState {
  return {
    record,
    sold: 0,
    paid: 0,
    buyers: new ShardedMap(),
    cancels: new ShardedMap(),
    orders: new OrderTable(record.id, feedMaxEvents),
    requests: new ShardedMap(),
    holds: new ExpiryHeap(),
    ticketsDue: new Set(),
    queue: record.admission
      ? { pre: 0, post: 0, drawn: false, members: new ShardedMap(), serving: 0, lastAt: 0, expiredBelow: 0, log: [], logHead: 0, passes: new ShardedSet(), livePasses: new ExpiryHeap(), challenges: new ShardedMap() }
      : null,
    seatMap: record.train ? new SeatMap(record.train.seats, segmentCount(record.train), record.train.quotas) : null,
  };
}

/** After replay the expiry index holds every hold ever made; keep only those still held. */
export function compactHoldIndexes(state: LedgerState): void {
  for (const sale of state.sales.values()) {
    if (sale.holds.size === 0) continue;
    sale.holds.clear();
    for (let index = 0; index < sale.orders.size; index++) {
      if (sale.orders.state(index) === 'reserved') sale.holds.push(sale.orders.expiresAt(index)!, index);
    }
  }
}
