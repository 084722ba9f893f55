// Redis rows as ledger values: the sale hash, order JSON, feed stream entries,
// and the audit script's reply.
import { DEFAULT_MAX_CANCELS_PER_BUYER } from '../sale-rules';
import type { FeedEvent, Order, OrderState, QueueAdmission, Sale, SaleAudit, SaleChanges, SeatChoice, TrainAudit, TrainLayout } from '../types';

export function saleFromHash(fields: Record<string, string>): Sale | null {
  if (!fields.id) return null;
  return {
    id: fields.id,
    name: fields.name ?? fields.id,
    total: Number(fields.total),
    sold: Number(fields.sold),
    paid: Number(fields.paid ?? 0),
    perUserLimit: Number(fields.perUserLimit),
    holdSeconds: Number(fields.holdSeconds ?? 0),
    opensAt: fields.opensAt ? Number(fields.opensAt) : null,
    closesAt: fields.closesAt ? Number(fields.closesAt) : null,
    createdAt: Number(fields.createdAt),
    ...(fields.admission ? { admission: JSON.parse(fields.admission) as QueueAdmission } : {}),
    anonymous: fields.anonymous === '1',
    maxCancelsPerBuyer: fields.maxCancelsPerBuyer ? Number(fields.maxCancelsPerBuyer) : DEFAULT_MAX_CANCELS_PER_BUYER,
    ...(fields.seats ? { train: trainFromHash(fields) } : {}),
  };
}

/** A train's layout from its sale hash; quotas are kept as two JSON lists, [minSegments, releaseAt] and [firstSeat, seats]. */
function trainFromHash(fields: Record<string, string>): TrainLayout {
  const rules = fields.quotas ? (JSON.parse(fields.quotas) as Array<[number, number]>) : [];
  const ranges = fields.quotaSeats ? (JSON.parse(fields.quotaSeats) as Array<[number, number]>) : [];
  return {
    stations: JSON.parse(fields.stations ?? '[]') as string[],
    seats: Number(fields.seats),
    seatChoice: (fields.seatChoice ?? 'best-fit') as SeatChoice,
    ...(rules.length > 0 ? { quotas: rules.map(([minSegments, releaseAt], i) => ({ firstSeat: ranges[i]![0], seats: ranges[i]![1], minSegments, releaseAt })) } : {}),
  };
}

/** auditTrain-2.lua's reply; see its header. */
export function trainAuditFromReply(reply: number[]): TrainAudit | null {
  if (reply.length === 0) return null;
  const [seats, mismatched, ...pairs] = reply.map(Number) as number[];
  const taken: number[] = [];
  const covering: number[] = [];
  for (let i = 0; i + 1 < pairs.length; i += 2) {
    taken.push(pairs[i]!);
    covering.push(pairs[i + 1]!);
  }
  return { seats: seats!, mismatched: mismatched!, taken, covering };
}

export function orderFromJson(json: string | number | undefined): Order {
  return JSON.parse(String(json)) as Order;
}

export function feedEventFromEntry([id, flat]: [string, string[]]): FeedEvent {
  const f: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) f[flat[i]!] = flat[i + 1]!;
  // A change to the sale itself (includes/sales.lua's appendSaleFeed) has `change` and no order.
  if (f.change !== undefined) return { id, change: f.change as 'updated' | 'closed', changes: JSON.parse(f.changes ?? '{}') as SaleChanges, at: Number(f.at) };
  // A ticket event (includes/orders.lua's appendTicketFeed) names its kind in `ticket`.
  if (f.ticket === 'ticket_issued') return { id, ticket: 'ticket_issued', orderId: f.orderId!, userId: f.userId!, at: Number(f.at) };
  if (f.ticket === 'checked_in') return { id, ticket: 'checked_in', orderId: f.orderId!, userId: f.userId!, at: Number(f.at), gate: f.gate ?? '' };
  return { id, orderId: f.orderId!, userId: f.userId!, state: f.state as OrderState, at: Number(f.at) };
}

/** auditSale-3.lua's reply; see its header. */
export function auditFromReply(reply: number[]): SaleAudit | null {
  if (reply.length === 0) return null;
  const [total, sold, paid, reserved, paidOrders, expired, cancelled, buyers, buyersOverLimit] = reply.map(Number) as number[];
  return { total: total!, sold: sold!, paid: paid!, orders: { reserved: reserved!, paid: paidOrders!, expired: expired!, cancelled: cancelled! }, buyers: buyers!, buyersOverLimit: buyersOverLimit! };
}
