// How sales, orders and feed events look on the wire: times as ISO 8601,
// derived figures (remaining, reserved, status) computed here.
import { isOrderEvent, isTicketEvent, remainingStock, saleStatus, seatLabel, type FeedEvent, type Order, type Sale, type SaleChanges } from '../ledger';

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export function saleToJson(sale: Sale, now = Date.now()) {
  const remaining = remainingStock(sale);
  return {
    id: sale.id,
    name: sale.name,
    total: sale.total,
    sold: sale.sold,
    reserved: sale.sold - sale.paid,
    paid: sale.paid,
    remaining,
    perUserLimit: sale.perUserLimit,
    holdSeconds: sale.holdSeconds,
    opensAt: iso(sale.opensAt),
    closesAt: iso(sale.closesAt),
    anonymous: sale.anonymous,
    maxCancelsPerBuyer: sale.maxCancelsPerBuyer,
    status: saleStatus(sale, now),
    admission: admissionToJson(sale, now),
    ...(sale.train ? { train: sale.train } : {}),
  };
}

/** A queue sale's waiting-room settings; the shuffle key only once the sale has opened (it decides the draw). */
function admissionToJson(sale: Sale, now: number) {
  const a = sale.admission;
  if (!a) return { mode: 'open' as const };
  const drawn = sale.opensAt === null || now >= sale.opensAt;
  return { mode: a.mode, admitPerSecond: a.admitPerSecond, overAdmit: a.overAdmit, passSeconds: a.passSeconds, difficulty: a.difficulty, maxDifficulty: a.maxDifficulty, shuffleKey: drawn ? a.shuffleKey : null };
}

export function orderToJson(order: Order) {
  return {
    orderId: order.orderId,
    saleId: order.saleId,
    userId: order.userId,
    state: order.state,
    createdAt: iso(order.createdAt),
    expiresAt: iso(order.expiresAt),
    updatedAt: iso(order.updatedAt),
    // A train order's trip by station index and its seat (the train routes name the stations).
    ...(order.trip ? { trip: { from: order.trip.from, to: order.trip.to, seat: seatLabel(order.trip.seat) } } : {}),
  };
}

/** The fields a sale change set, with its times as ISO 8601 like everywhere else. */
function changesToJson(changes: SaleChanges) {
  const json: Record<string, unknown> = { ...changes };
  if (changes.opensAt !== undefined) json.opensAt = iso(changes.opensAt);
  if (changes.closesAt !== undefined) json.closesAt = iso(changes.closesAt);
  return json;
}

/** An order's change `{type:"order", orderId, userId, state, at}`, or the sale's own `{type:"sale", change, changes, at}`. */
export function feedEventToJson(event: FeedEvent) {
  if (isOrderEvent(event)) return { id: event.id, type: 'order', orderId: event.orderId, userId: event.userId, state: event.state, at: iso(event.at) };
  if (isTicketEvent(event)) {
    const json = { id: event.id, type: event.ticket, orderId: event.orderId, userId: event.userId, at: iso(event.at) };
    return event.gate === undefined ? json : { ...json, gate: event.gate };
  }
  return { id: event.id, type: 'sale', change: event.change, changes: changesToJson(event.changes), at: iso(event.at) };
}
