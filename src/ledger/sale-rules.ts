// The sale's rules of time and stock, written once for TypeScript: the
// embedded ledger decides with them, the worker's gate turns buyers away early
// with them, and the sale view shows them. (The Redis scripts state the same
// rules in Lua; the contract suite holds the two to each other.)
import type { Sale, SaleSpec } from './types';

/** Where `now` falls in the sale's window: before opensAt, at or after closesAt, or between. */
export type SaleWindow = 'not_open' | 'closed' | 'open';

export function saleWindow(sale: Pick<SaleSpec, 'opensAt' | 'closesAt'>, now: number): SaleWindow {
  // Closed wins over not-open: a window that is over is over.
  if (sale.closesAt !== null && now >= sale.closesAt) return 'closed';
  if (sale.opensAt !== null && now < sale.opensAt) return 'not_open';
  return 'open';
}

/** Tickets left to sell. The seed checked total >= sold and so sold total + 1; stock is left only while sold < total. */
export function remainingStock(sale: Pick<Sale, 'total' | 'sold'>): number {
  return Math.max(0, sale.total - sale.sold);
}

export type SaleStatus = 'scheduled' | 'open' | 'sold_out' | 'closed';

export function saleStatus(sale: Sale, now: number): SaleStatus {
  const window = saleWindow(sale, now);
  if (window === 'closed') return 'closed';
  if (window === 'not_open') return 'scheduled';
  return remainingStock(sale) === 0 ? 'sold_out' : 'open';
}

/** A buyer's own cancellations per sale, unless the sale says otherwise (issue 11: buy-cancel loops grew the ledger without bound). */
export const DEFAULT_MAX_CANCELS_PER_BUYER = 3;
