// How sales, orders and feed events look on the wire: times as ISO 8601,
// derived figures (remaining, reserved, status) computed here.
import { remainingStock, saleStatus, type FeedEvent, type Order, type Sale } from '../ledger';

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
    status: saleStatus(sale, now),
    admission: admissionToJson(sale, now),
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
  };
}

export function feedEventToJson(event: FeedEvent) {
  return { id: event.id, orderId: event.orderId, userId: event.userId, state: event.state, at: iso(event.at) };
}
