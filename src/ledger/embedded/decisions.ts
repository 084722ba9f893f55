// The embedded ledger's commands as pure decisions: each reads the state and
// says what to answer and which events make the answer true, without changing
// anything. Semantics match the Lua scripts in ../redis/lua exactly; the
// outcome names are the table in ../outcomes.ts.
import type { CancelOutcome, CheckInOutcome, CloseSaleOutcome, DeleteSaleOutcome, RetireSaleOutcome, JoinOutcome, PayOutcome, ReserveOutcome, UpdateSaleOutcome } from '../outcomes';
import { admissionStep } from '../queue-rules';
import { DEFAULT_MAX_CANCELS_PER_BUYER, remainingStock, saleWindow } from '../sale-rules';
import type { Actor, CheckInRequest, JoinRequest, Order, QueueStatus, ReserveRequest, Sale, SaleChanges, SaleSpec, SeatsReleased } from '../types';
import type { JournalEvent, OrderTransition, QueueAdvanced, QueueJoined, SaleCreated, TicketIssued, TicketReserved } from './journal/journal-events';
import { locate, toSale, type LedgerState, type SaleState } from './state';

/** What a command decided: the reply, the events that make it true, and whether tickets went back on sale. */
export interface Decision<T> {
  readonly result: T;
  readonly events: readonly JournalEvent[];
  /** The sale whose stock grew; announced to onStockReturned listeners once the events are durable. */
  readonly stockReturned?: string;
  /** The sale that was changed, closed or deleted; announced to onSaleChanged listeners once durable. */
  readonly saleChanged?: string;
  /** Train orders' seats back on sale, by range; announced to onSeatsReleased listeners once durable. */
  readonly seatsReleased?: readonly SeatsReleased[];
}

/** The seat ranges the released orders give back (train orders only); undefined when none does. */
function seatsOf(sale: SaleState, indexes: readonly number[]): SeatsReleased[] | undefined {
  if (!sale.seatMap) return undefined;
  const released: SeatsReleased[] = [];
  for (const index of indexes) {
    const trip = sale.orders.trip(index);
    if (trip) released.push({ trainId: sale.record.id, from: trip.from, to: trip.to });
  }
  return released.length > 0 ? released : undefined;
}

const nothing = <T>(result: T): Decision<T> => ({ result, events: [] });

/** An empty actor is an admin too, as in the Lua scripts (which receive "" for one). */
function mayAct(actor: Actor, userId: string): boolean {
  return !actor || actor === userId;
}

export function wholeNumber(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`sale ${name} must be a whole number >= 0, got ${value}`);
  return value;
}

export function decideCreateSale(state: LedgerState, spec: SaleSpec, now: number): Decision<Sale | null> {
  if (state.sales.has(spec.id)) return nothing(null);
  // A value the journal cannot hold (NaN) would make it unreadable at the next start.
  const event: SaleCreated = {
    type: 'sale_created',
    id: spec.id,
    name: spec.name,
    total: wholeNumber('total', spec.total),
    perUserLimit: wholeNumber('perUserLimit', spec.perUserLimit),
    holdSeconds: wholeNumber('holdSeconds', spec.holdSeconds ?? 0),
    opensAt: spec.opensAt ?? null,
    closesAt: spec.closesAt ?? null,
    createdAt: now,
    anonymous: spec.anonymous === true,
    maxCancelsPerBuyer: wholeNumber('maxCancelsPerBuyer', spec.maxCancelsPerBuyer ?? DEFAULT_MAX_CANCELS_PER_BUYER),
    ...(spec.admission ? { admission: spec.admission } : {}),
    ...(spec.train ? { train: spec.train } : {}),
  };
  return { result: toSale(event, 0, 0), events: [event] };
}

/** The refusals or replay every reservation checks first, a sale's and a train's alike (replay, then the window). */
export type FirstCheck = { kind: 'replayed'; order: Order } | { kind: 'key_reused' } | { kind: 'closed'; closesAt: number } | { kind: 'not_open'; opensAt: number };

export function firstChecks(sale: SaleState, request: ReserveRequest): FirstCheck | null {
  // A retry of a request that already succeeded gets the same order back,
  // whatever happened to the sale (and the order) since.
  const earlier = sale.requests.get(request.requestKey);
  if (earlier !== undefined) {
    return sale.orders.userId(earlier) === request.userId ? { kind: 'replayed', order: sale.orders.order(earlier) } : { kind: 'key_reused' };
  }
  const window = saleWindow(sale.record, request.now);
  if (window === 'closed') return { kind: 'closed', closesAt: sale.record.closesAt! };
  if (window === 'not_open') return { kind: 'not_open', opensAt: sale.record.opensAt! };
  return null;
}

export function decideReserve(state: LedgerState, request: ReserveRequest): Decision<ReserveOutcome> {
  const sale = state.sales.get(request.saleId);
  // A train's seats sell per trip (decideReserveTrip), never as one pool.
  if (!sale || sale.seatMap) return nothing({ kind: 'not_found' });
  const first = firstChecks(sale, request);
  if (first) return nothing(first);

  const { total, perUserLimit, holdSeconds } = sale.record;
  // A queue sale sells only to pass holders; the pass is spent with the reservation.
  const pass = request.pass;
  if (sale.queue) {
    if (!pass) return nothing({ kind: 'pass_required' });
    if (request.now >= pass.expiresAt) return nothing({ kind: 'pass_expired' });
    if (sale.queue.passes.has(pass.place)) return nothing({ kind: 'pass_used' });
  }
  if (remainingStock({ total, sold: sale.sold }) === 0) return nothing({ kind: 'sold_out', total, nextReleaseAt: nextReleaseAt(sale) });
  if ((sale.buyers.get(request.userId) ?? 0) >= perUserLimit) return nothing({ kind: 'limit_reached', perUserLimit });

  const event: TicketReserved = {
    type: 'ticket_reserved',
    saleId: sale.record.id,
    userId: request.userId,
    requestKey: request.requestKey,
    orderId: request.orderId,
    createdAt: request.now,
    ...(sale.queue && pass ? { passPlace: pass.place } : {}),
  };
  const order = newOrder(sale.record.id, request, holdSeconds);
  const sold = sale.sold + 1;
  // The last ticket: the earliest hold pending, this new one included (as the script's ZRANGE sees it).
  const pending = sold >= total ? nextReleaseAt(sale) : 0;
  const lastRelease = sold < total ? 0 : pending > 0 && (order.expiresAt === null || pending <= order.expiresAt) ? pending : (order.expiresAt ?? 0);
  return { result: { kind: 'reserved', order, sold, total, nextReleaseAt: lastRelease }, events: [event] };
}

/** The order a reservation makes: held for holdSeconds, or paid at once when it is 0 (a sale's and a train's alike). */
export function newOrder(saleId: string, request: ReserveRequest, holdSeconds: number): Order {
  const held = holdSeconds > 0;
  return {
    orderId: request.orderId,
    saleId,
    userId: request.userId,
    state: held ? 'reserved' : 'paid',
    createdAt: request.now,
    expiresAt: held ? request.now + holdSeconds * 1000 : null,
    updatedAt: request.now,
  };
}

/** The order an actor may act on, or the refusal to give instead (the Lua scripts' orderForActor). */
function orderForActor(state: LedgerState, orderId: string, actor: Actor): { kind: 'not_found' } | { kind: 'forbidden' } | { sale: SaleState; index: number } {
  const found = locate(state, orderId);
  if (!found) return { kind: 'not_found' };
  return mayAct(actor, found.sale.orders.userId(found.index)) ? found : { kind: 'forbidden' };
}

/** An overdue hold becomes expired, in the same step as the pay or cancel that found it (the Lua scripts' expireNow). */
function expireNow(sale: SaleState, index: number, orderId: string, now: number): Decision<{ kind: 'expired'; order: Order }> {
  return { result: { kind: 'expired', order: sale.orders.orderAfter(index, 'expired', now) }, events: [{ type: 'order_expired', orderId, at: now }], stockReturned: sale.record.id, seatsReleased: seatsOf(sale, [index]) };
}

/** reserved -> paid; an overdue hold expires instead, in the same step, so a payment racing the sweep has one winner. */
export function decidePay(state: LedgerState, orderId: string, actor: Actor, now: number): Decision<PayOutcome> {
  const found = orderForActor(state, orderId, actor);
  if ('kind' in found) return nothing(found);
  const { sale, index } = found;
  const orders = sale.orders;
  const current = orders.state(index);
  if (current === 'paid') return nothing({ kind: 'already_paid', order: orders.order(index) });
  if (current === 'cancelled') return nothing({ kind: 'cancelled', order: orders.order(index) });
  if (orders.isOverdue(index, now)) return expireNow(sale, index, orderId, now);
  if (current === 'expired') return nothing({ kind: 'expired', order: orders.order(index) });
  return { result: { kind: 'paid', order: orders.orderAfter(index, 'paid', now) }, events: [{ type: 'order_paid', orderId, at: now }] };
}

/** reserved -> cancelled, releasing the ticket; an overdue hold becomes expired instead. */
export function decideCancel(state: LedgerState, orderId: string, actor: Actor, now: number): Decision<CancelOutcome> {
  const found = orderForActor(state, orderId, actor);
  if ('kind' in found) return nothing(found);
  const { sale, index } = found;
  const orders = sale.orders;
  const current = orders.state(index);
  if (current === 'cancelled') return nothing({ kind: 'already_cancelled', order: orders.order(index) });
  if (current === 'paid') return nothing({ kind: 'paid', order: orders.order(index) });
  if (current === 'expired') return nothing({ kind: 'expired', order: orders.order(index) });
  if (orders.isOverdue(index, now)) return expireNow(sale, index, orderId, now);
  // A buyer's own cancellations are capped per sale (buy-cancel loops grew the ledger without bound); an admin's are not counted.
  if (actor) {
    const max = sale.record.maxCancelsPerBuyer ?? DEFAULT_MAX_CANCELS_PER_BUYER;
    if ((sale.cancels.get(actor) ?? 0) >= max) return nothing({ kind: 'too_many_cancellations', order: orders.order(index), maxCancelsPerBuyer: max });
  }
  return {
    result: { kind: 'cancelled', order: orders.orderAfter(index, 'cancelled', now) },
    events: [{ type: 'order_cancelled', orderId, at: now, ...(actor ? { byBuyer: true } : {}) }],
    stockReturned: sale.record.id,
    seatsReleased: seatsOf(sale, [index]),
  };
}

/**
 * Up to `limit` due holds, earliest first, from the expiry index. This is the
 * one command that touches the state: it pops the index entries it looks at.
 * That is upkeep of an index, not a state change, and is safe because the
 * caller applies the decision in the same synchronous step.
 */
export function decideExpireHolds(state: LedgerState, saleId: string, now: number, limit: number): Decision<number> {
  const sale = state.sales.get(saleId);
  if (!sale) return nothing(0);
  const events: OrderTransition[] = [];
  const expired: number[] = [];
  while (events.length < limit && sale.holds.peekAt() <= now) {
    const index = sale.holds.pop();
    // Paid, cancelled or expired meanwhile: its entry was left for here to drop.
    if (sale.orders.isOverdue(index, now)) {
      events.push({ type: 'order_expired', orderId: sale.orders.orderId(index), at: now });
      expired.push(index);
    }
  }
  return { result: events.length, events, stockReturned: events.length > 0 ? saleId : undefined, seatsReleased: seatsOf(sale, expired) };
}

/** Joins a queue sale's line: the buyer's one entry, made once (the Lua joinQueue-3). */
export function decideJoinQueue(state: LedgerState, request: JoinRequest): Decision<JoinOutcome> {
  const sale = state.sales.get(request.saleId);
  if (!sale) return nothing({ kind: 'not_found' });
  const queue = sale.queue;
  if (!queue) return nothing({ kind: 'not_queue' });
  const earlier = queue.members.get(request.userId);
  if (earlier !== undefined) return nothing({ kind: 'rejoined', pre: earlier & 1, number: Math.floor(earlier / 2) });
  const { opensAt, closesAt } = sale.record;
  if (closesAt !== null && request.now >= closesAt) return nothing({ kind: 'closed', closesAt });
  if (request.challengeId !== undefined && queue.challenges.has(request.challengeId)) return nothing({ kind: 'challenge_used' });
  const pre = opensAt !== null && request.now < opensAt && !queue.drawn;
  const number = pre ? queue.pre : queue.post;
  const event: QueueJoined = {
    type: 'queue_joined',
    saleId: sale.record.id,
    userId: request.userId,
    pre,
    number,
    at: request.now,
    ...(request.challengeId !== undefined ? { challengeId: request.challengeId, challengeExpiresAt: request.challengeExpiresAt ?? request.now } : {}),
  };
  return { result: { kind: 'joined', pre: pre ? 1 : 0, number }, events: [event] };
}

/**
 * The queue tick (the Lua advanceQueue-3): moves the serving counter by the
 * one admission rule. Like decideExpireHolds it pops index entries it has
 * put behind, which is safe because the caller applies it in the same step.
 */
export function decideAdvanceQueue(state: LedgerState, saleId: string, now: number): Decision<QueueStatus | null> {
  const sale = state.sales.get(saleId);
  const queue = sale?.queue;
  if (!sale || !queue) return nothing(null);
  const { opensAt, total, admission } = sale.record;
  const drawn = queue.drawn || opensAt === null || now >= opensAt;
  let { serving, lastAt, expiredBelow } = queue;
  if (drawn) {
    const cutoff = now - admission!.passSeconds * 1000;
    for (let i = queue.logHead; i < queue.log.length && queue.log[i]!.at <= cutoff; i++) expiredBelow = Math.max(expiredBelow, queue.log[i]!.serving);
    // Index upkeep, as decideExpireHolds does: spent places now behind expiredBelow
    // leave the heap here (the event's apply would drop them anyway).
    while (queue.livePasses.peekAt() < expiredBelow) queue.livePasses.pop();
    const usedLive = queue.livePasses.size;
    ({ serving, lastAt } = admissionStep({ admission: admission!, now, opensAt, inLine: queue.pre + queue.post, serving, lastAt, expiredBelow, usedLive, total, sold: sale.sold }));
  }
  const status: QueueStatus = { saleId, serving, pre: queue.pre, post: queue.post, drawn, expiredBelow, total, sold: sale.sold, paid: sale.paid, at: now };
  const changed = serving !== queue.serving || lastAt !== queue.lastAt || expiredBelow !== queue.expiredBelow || drawn !== queue.drawn;
  if (!changed) return nothing(status);
  const event: QueueAdvanced = { type: 'queue_advanced', saleId, serving, lastAt, expiredBelow, drawn, at: now };
  return { result: status, events: [event] };
}

/** Up to `limit` of the sale's due tickets recorded as issued (the issueTickets Lua script). */
export function decideIssueTickets(state: LedgerState, saleId: string, now: number, limit: number): Decision<number> {
  const sale = state.sales.get(saleId);
  if (!sale) return nothing(0);
  const events: TicketIssued[] = [];
  for (const index of sale.ticketsDue) {
    if (events.length >= limit) break;
    events.push({ type: 'ticket_issued', orderId: sale.orders.orderId(index), at: now });
  }
  return { result: events.length, events };
}

/** Admits a paid order's ticket once (includes/check-in.lua on Redis): a use is reported before a revocation. */
export function decideCheckIn(state: LedgerState, request: CheckInRequest): Decision<CheckInOutcome> {
  const found = locate(state, request.orderId);
  if (!found || found.sale.orders.userId(found.index) !== request.userId) return nothing({ kind: 'unknown' });
  const { sale, index } = found;
  const order = sale.orders.order(index);
  const used = sale.orders.checkIn(index);
  if (used) return nothing({ kind: 'already_used', order, at: used.at, gate: used.gate });
  if (order.state !== 'paid') return nothing({ kind: 'revoked', order });
  return { result: { kind: 'admitted', order, at: request.now, gate: request.gate }, events: [{ type: 'checked_in', orderId: request.orderId, gate: request.gate, at: request.now }] };
}

/**
 * When the earliest pending hold runs out, 0 when none is pending: the expiry
 * heap's top, once the entries of orders paid or cancelled meanwhile are
 * dropped from it (upkeep of the index, as expireHolds does; no state changes).
 */
export function nextReleaseAt(sale: SaleState): number {
  const holds = sale.holds;
  while (holds.size > 0 && sale.orders.state(holds.peekIndex()) !== 'reserved') holds.pop();
  return holds.size > 0 ? holds.peekAt() : 0;
}

/** The same checks, in the same order, as updateSale-2.lua. */
export function decideUpdateSale(state: LedgerState, saleId: string, changes: SaleChanges, now: number): Decision<UpdateSaleOutcome> {
  const sale = state.sales.get(saleId);
  if (!sale) return nothing({ kind: 'not_found' });
  const record = sale.record;
  for (const field of ['total', 'perUserLimit', 'holdSeconds', 'maxCancelsPerBuyer'] as const) if (changes[field] !== undefined) wholeNumber(field, changes[field]);
  if (changes.total !== undefined && changes.total < sale.sold) return nothing({ kind: 'total_below_sold', sold: sale.sold });
  let { opensAt, closesAt } = record;
  if (changes.opensAt !== undefined) {
    if (opensAt === null || now >= opensAt) return nothing({ kind: 'already_open', opensAt: opensAt ?? record.createdAt });
    opensAt = changes.opensAt;
  }
  if (changes.perUserLimit !== undefined && changes.perUserLimit < record.perUserLimit && sale.sold > 0) return nothing({ kind: 'limit_in_use', perUserLimit: record.perUserLimit });
  if (changes.closesAt !== undefined) closesAt = changes.closesAt;
  if (opensAt !== null && closesAt !== null && closesAt <= opensAt) return nothing({ kind: 'bad_window', opensAt, closesAt });
  return {
    result: { kind: 'updated', sale: toSale({ ...record, ...changes }, sale.sold, sale.paid) },
    events: [{ type: 'sale_updated', saleId, changes, at: now }],
    saleChanged: saleId,
  };
}

export function decideCloseSale(state: LedgerState, saleId: string, now: number): Decision<CloseSaleOutcome> {
  const sale = state.sales.get(saleId);
  if (!sale) return nothing({ kind: 'not_found' });
  const { closesAt } = sale.record;
  if (closesAt !== null && closesAt <= now) return nothing({ kind: 'already_closed', sale: toSale(sale.record, sale.sold, sale.paid) });
  return {
    result: { kind: 'closed', sale: toSale({ ...sale.record, closesAt: now }, sale.sold, sale.paid) },
    events: [{ type: 'sale_closed', saleId, at: now }],
    saleChanged: saleId,
  };
}

export function decideDeleteSale(state: LedgerState, saleId: string, now: number): Decision<DeleteSaleOutcome> {
  const sale = state.sales.get(saleId);
  if (!sale) return nothing({ kind: 'not_found' });
  if (sale.orders.size > 0) return nothing({ kind: 'has_orders', orders: sale.orders.size });
  return { result: { kind: 'deleted' }, events: [{ type: 'sale_deleted', saleId, at: now }], saleChanged: saleId };
}

/** Where the sale's feed stands: its next position (the Redis ledger answers its last entry id). */
export function feedMark(state: LedgerState, saleId: string): string | null {
  const sale = state.sales.get(saleId);
  return sale ? String(sale.orders.feedSize) : null;
}

/** The same checks, in the same order, as retireSale-13.lua. */
export function decideRetireSale(state: LedgerState, saleId: string, mark: string, closedBefore: number, now: number): Decision<RetireSaleOutcome> {
  const sale = state.sales.get(saleId);
  if (!sale) return nothing({ kind: 'not_found' });
  const { closesAt } = sale.record;
  if (closesAt === null || closesAt > closedBefore) return nothing({ kind: 'not_due' });
  if (feedMark(state, saleId) !== mark) return nothing({ kind: 'changed' });
  return { result: { kind: 'retired', orders: sale.orders.size }, events: [{ type: 'sale_retired', saleId, at: Math.max(now, closesAt) }], saleChanged: saleId };
}
