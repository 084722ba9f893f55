// Reads of the embedded ledger's state: sales, orders, pages of orders, the
// feed, the audit, and the figures a diagnostics reader may check.
import type { FeedEvent, FeedPage, Order, OrderPage, OrderState, Sale, SaleAudit, SalePage, TicketCounts, TrainAudit } from '../types';
import { isRoute } from '../train-rules';
import { locate, toSale, type LedgerState } from './state';

export function getSale(state: LedgerState, saleId: string): Sale | null {
  const sale = state.sales.get(saleId);
  return sale ? toSale(sale.record, sale.sold, sale.paid) : null;
}

/** Sales in id order; the cursor is the last id of the previous page, so a sale deleted meanwhile shifts nothing. */
export function listSales(state: LedgerState, cursor: string | null, limit: number): SalePage {
  const ids = [...state.sales.keys()].filter((id) => cursor === null || id > cursor).sort();
  const page = ids.slice(0, Math.max(1, Math.floor(limit)));
  const sales = page.map((id) => getSale(state, id)!);
  return { sales, cursor: ids.length > page.length ? page.at(-1)! : null };
}

export function getOrder(state: LedgerState, orderId: string): Order | null {
  const found = locate(state, orderId);
  return found ? found.sale.orders.order(found.index) : null;
}

export function findByRequestKey(state: LedgerState, saleId: string, requestKey: string): Order | null {
  const sale = state.sales.get(saleId);
  const index = sale?.requests.get(requestKey);
  return sale && index !== undefined ? sale.orders.order(index) : null;
}

export function auditSale(state: LedgerState, saleId: string): SaleAudit | null {
  const sale = state.sales.get(saleId);
  if (!sale) return null;
  let buyersOverLimit = 0;
  for (const count of sale.buyers.values()) if (count > sale.record.perUserLimit) buyersOverLimit++;
  return { total: sale.record.total, sold: sale.sold, paid: sale.paid, orders: sale.orders.countByState(), buyers: sale.buyers.size, buyersOverLimit };
}

/** Everything a diagnostics reader may check about a sale beyond the audit: buyers' holdings, request keys, index sizes. */
export interface SaleFigures extends SaleAudit {
  /** Orders ever made, in any state. */
  readonly orderCount: number;
  /** Tickets the buyers hold between them; equals sold. */
  readonly held: number;
  readonly requestKeys: number;
  /** Feed events kept (at most about FEED_MAX_EVENTS). */
  readonly feedEvents: number;
  /** Entries in the expiry index, including ones of orders paid or cancelled since. */
  readonly holdIndex: number;
}

export function saleFigures(state: LedgerState, saleId: string): SaleFigures | null {
  const audit = auditSale(state, saleId);
  const sale = state.sales.get(saleId);
  if (!audit || !sale) return null;
  let held = 0;
  for (const count of sale.buyers.values()) held += count;
  return { ...audit, orderCount: sale.orders.size, held, requestKeys: sale.requests.size, feedEvents: sale.orders.feedKept, holdIndex: sale.holds.size };
}

/** Positions and cursors are decimal counts; anything else (a Redis stream id's tail) counts by its leading digits. */
function position(text: string | null | undefined): number {
  const digits = text ? /^\d+/.exec(text) : null;
  return digits ? Number(digits[0]) : 0;
}

/** However selective the filter, one page never scans more than this many orders; the cursor resumes the scan. */
export const LIST_SCAN_BUDGET = 10_000;

export function listOrders(state: LedgerState, saleId: string, options: { state?: OrderState; cursor?: string | null; limit: number }): OrderPage {
  const sale = state.sales.get(saleId);
  if (!sale) return { orders: [], cursor: null };
  const table = sale.orders;
  const limit = Math.max(1, Math.floor(options.limit));
  const stop = Math.min(table.size, position(options.cursor) + Math.max(limit, LIST_SCAN_BUDGET));
  const orders: Order[] = [];
  let next = position(options.cursor);
  for (; next < stop && orders.length < limit; next++) {
    if (!options.state || table.hasState(next, options.state)) orders.push(table.order(next));
  }
  return { orders, cursor: next < table.size ? String(next) : null };
}

export function readFeed(state: LedgerState, saleId: string, after: string | null, limit: number): FeedPage {
  const sale = state.sales.get(saleId);
  if (!sale) return { events: [], last: after };
  const table = sale.orders;
  const events: FeedEvent[] = [];
  for (let at = Math.max(position(after), table.feedStart); at < table.feedSize && events.length < limit; at++) events.push(table.feedEvent(at));
  return { events, last: events.at(-1)?.id ?? after };
}

export function ticketCounts(state: LedgerState, saleId: string): TicketCounts | null {
  const sale = state.sales.get(saleId);
  return sale ? { due: sale.ticketsDue.size, issued: sale.orders.issuedCount, checkedIn: sale.orders.checkedInCount } : null;
}

/** Seats free for the whole trip; null for no such train or a bad route. */
export function tripAvailability(state: LedgerState, trainId: string, from: number, to: number, now: number): number | null {
  const sale = state.sales.get(trainId);
  if (!sale?.seatMap || !sale.record.train || !isRoute(sale.record.train, from, to)) return null;
  return sale.seatMap.freeFor(from, to, sale.seatMap.closedTo(from, to, now));
}

/** Each segment's set bits against the live orders covering it, and every live order's seat checked taken and held once (auditTrain-2.lua). */
export function auditTrain(state: LedgerState, trainId: string): TrainAudit | null {
  const sale = state.sales.get(trainId);
  const seatMap = sale?.seatMap;
  if (!sale || !seatMap) return null;
  const segments = seatMap.segmentCount;
  const covering = new Array<number>(segments).fill(0);
  const holders = Array.from({ length: segments }, () => new Set<number>());
  const bad = new Set<number>();
  for (let index = 0; index < sale.orders.size; index++) {
    const trip = sale.orders.trip(index);
    if (!trip || !(sale.orders.hasState(index, 'reserved') || sale.orders.hasState(index, 'paid'))) continue;
    for (let s = trip.from; s < trip.to; s++) {
      covering[s]!++;
      if (holders[s]!.has(trip.seat) || !seatMap.isTaken(s, trip.seat)) bad.add(s);
      holders[s]!.add(trip.seat);
    }
  }
  const taken = covering.map((_, s) => seatMap.takenOn(s));
  const mismatched = taken.filter((count, s) => count !== covering[s] || bad.has(s)).length;
  return { seats: seatMap.seats, taken, covering, mismatched };
}
