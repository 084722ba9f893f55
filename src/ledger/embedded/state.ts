// The embedded ledger's memory: per sale, its record, counters, buyers,
// orders, request keys and hold index. Decisions read it; only applyEvent
// changes it.
import { DEFAULT_MAX_CANCELS_PER_BUYER } from '../sale-rules';
import type { Sale } from '../types';
import { saleIdOfOrder } from '../types';
import type { SaleCreated } from './journal/journal-events';
import type { ExpiryHeap } from './expiry-heap';
import type { OrderTable } from './order-table';
import type { SeatMap } from './seat-map';
import type { ShardedMap, ShardedSet } from './sharded-map';

export interface SaleState {
  /** The sale's settings; replaced (never mutated) when an operator changes them. */
  record: SaleCreated;
  /** Tickets taken (held + paid); remaining = total - sold. */
  sold: number;
  paid: number;
  /** userId -> tickets held; a buyer at 0 is removed, as the Lua scripts do. */
  readonly buyers: ShardedMap<string, number>;
  /** userId -> orders the buyer cancelled themself (maxCancelsPerBuyer); the Redis cancels hash. */
  readonly cancels: ShardedMap<string, number>;
  readonly orders: OrderTable;
  /** requestKey -> index of the order it made */
  readonly requests: ShardedMap<string, number>;
  /** Unpaid holds by expiresAt, so expiry never scans the orders. */
  readonly holds: ExpiryHeap;
  /** Indexes of paid orders whose ticket the issuer has not yet recorded; filled by the event that paid them. */
  readonly ticketsDue: Set<number>;
  /** A queue sale's line; null for open sales. */
  readonly queue: QueueState | null;
  /** A train's seats, one bit array per segment; null for a sale of one pool. */
  readonly seatMap: SeatMap | null;
}

/** A queue sale's line, serving counter and spent passes (the Redis keys' twins: see redis/keys.ts). */
export interface QueueState {
  pre: number;
  post: number;
  drawn: boolean;
  /** userId -> entry, encoded number * 2 + (pre ? 1 : 0) */
  readonly members: ShardedMap<string, number>;
  serving: number;
  lastAt: number;
  expiredBelow: number;
  /** Each move of the serving counter within the last passSeconds, oldest first from logHead. */
  readonly log: Array<{ serving: number; at: number }>;
  logHead: number;
  /** Spent pass ids (admitted places): one pass buys once. */
  readonly passes: ShardedSet<number>;
  /** Spent places at or above expiredBelow, for counting unused live passes. */
  readonly livePasses: ExpiryHeap;
  /** Spent proof-of-work challenges -> their expiry, in spending order (within each shard). */
  readonly challenges: ShardedMap<string, number>;
}

export interface LedgerState {
  readonly sales: Map<string, SaleState>;
  /** Each sale's feed keeps at least this many of its latest events (FEED_MAX_EVENTS). */
  readonly feedMaxEvents: number;
}

export function emptyState(feedMaxEvents = Infinity): LedgerState {
  return { sales: new Map(), feedMaxEvents };
}

/** The sale and row of an order id, or null when there is none. */
export function locate(state: LedgerState, orderId: string): { sale: SaleState; index: number } | null {
  const saleId = saleIdOfOrder(orderId);
  const sale = saleId === null ? undefined : state.sales.get(saleId);
  const index = sale?.orders.indexOf(orderId);
  return sale && index !== undefined ? { sale, index } : null;
}

export function toSale(record: SaleCreated, sold: number, paid: number): Sale {
  return {
    id: record.id,
    name: record.name,
    total: record.total,
    perUserLimit: record.perUserLimit,
    holdSeconds: record.holdSeconds,
    opensAt: record.opensAt,
    closesAt: record.closesAt,
    ...(record.admission ? { admission: record.admission } : {}),
    ...(record.train ? { train: record.train } : {}),
    anonymous: record.anonymous === true,
    maxCancelsPerBuyer: record.maxCancelsPerBuyer ?? DEFAULT_MAX_CANCELS_PER_BUYER,
    sold,
    paid,
    createdAt: record.createdAt,
  };
}
