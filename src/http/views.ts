// How sales, orders and feed events look on the wire: times as ISO 8601,
// derived figures (remaining, reserved, status) computed here.
import type { FeedEvent, Order, Sale } from '../ledger/ledger';

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export function saleToJson(sale: Sale, now = Date.now()) {
  const remaining = Math.max(0, sale.total - sale.sold);
  let status: 'scheduled' | 'open' | 'sold_out' | 'closed';
  if (sale.closesAt !== null && now >= sale.closesAt) status = 'closed';
  else if (sale.opensAt !== null && now < sale.opensAt) status = 'scheduled';
  else if (remaining === 0) status = 'sold_out';
  else status = 'open';
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
    status,
  };
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
