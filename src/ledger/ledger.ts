// The global ledger: the one place that decides, atomically, whether a ticket
// is sold. Workers talk to this interface and never know which ledger is behind it.

export interface SaleSpec {
  readonly id: string;
  readonly name: string;
  readonly total: number;
  readonly perUserLimit: number;
  /** How long a reservation is held for payment; 0 makes every sale final at once. */
  readonly holdSeconds: number;
  /** Epoch milliseconds, or null for "always". */
  readonly opensAt: number | null;
  readonly closesAt: number | null;
  /** GET /buy/ticket without ?user (every request a new anonymous buyer) is allowed only on such a sale; absent: false. */
  readonly anonymous?: boolean;
}

export interface Sale extends SaleSpec {
  readonly anonymous: boolean;
  /** Tickets taken: held for payment plus paid. remaining = total - sold. */
  readonly sold: number;
  /** Of those, paid (or final at once when holdSeconds is 0). reserved = sold - paid. */
  readonly paid: number;
  readonly createdAt: number;
}

/**
 * reserved -> paid, reserved -> expired (hold ran out), reserved -> cancelled.
 * A sale with holdSeconds 0 creates orders directly as paid.
 */
export type OrderState = 'reserved' | 'paid' | 'expired' | 'cancelled';

export interface Order {
  readonly orderId: string;
  readonly saleId: string;
  readonly userId: string;
  readonly state: OrderState;
  /** Epoch milliseconds. */
  readonly createdAt: number;
  /** When an unpaid hold is released; null for orders final at once. */
  readonly expiresAt: number | null;
  /** When the order last changed state. */
  readonly updatedAt: number;
}

/** One state change of one order, as the order feed delivers it. */
export interface FeedEvent {
  /** Position in the sale's feed; pass it back as `after` to read on. */
  readonly id: string;
  readonly orderId: string;
  readonly userId: string;
  readonly state: OrderState;
  readonly at: number;
}

export interface ReserveRequest {
  readonly saleId: string;
  readonly userId: string;
  /**
   * Names this purchase attempt for its whole life: "k:<userId>:<Idempotency-Key>",
   * with a key the client sent or one the worker made for it. A retry with
   * the same key never reserves twice.
   */
  readonly requestKey: string;
  /** The id the order gets if this attempt creates one. */
  readonly orderId: string;
  readonly now: number;
}

export type ReserveOutcome =
  | { readonly kind: 'reserved'; readonly order: Order; readonly sold: number; readonly total: number }
  | { readonly kind: 'replayed'; readonly order: Order }
  | { readonly kind: 'sold_out'; readonly total: number }
  | { readonly kind: 'limit_reached'; readonly perUserLimit: number }
  | { readonly kind: 'key_reused' }
  | { readonly kind: 'not_found' }
  | { readonly kind: 'not_open'; readonly opensAt: number }
  | { readonly kind: 'closed'; readonly closesAt: number };

/** Who asks to pay or cancel: the buyer by id, or an admin (null). */
export type Actor = string | null;

export type PayOutcome =
  | { readonly kind: 'paid'; readonly order: Order; readonly replayed: boolean }
  | { readonly kind: 'expired'; readonly order: Order }
  | { readonly kind: 'cancelled'; readonly order: Order }
  | { readonly kind: 'forbidden' }
  | { readonly kind: 'not_found' };

export type CancelOutcome =
  | { readonly kind: 'cancelled'; readonly order: Order; readonly replayed: boolean }
  | { readonly kind: 'paid'; readonly order: Order }
  | { readonly kind: 'expired'; readonly order: Order }
  | { readonly kind: 'forbidden' }
  | { readonly kind: 'not_found' };

export interface OrderPage {
  readonly orders: readonly Order[];
  /** Pass back to read the next page; null when there is none. */
  readonly cursor: string | null;
}

export interface FeedPage {
  readonly events: readonly FeedEvent[];
  /** The id of the last event returned (or the `after` given, when none). */
  readonly last: string | null;
}

/** A sale's counters checked against its orders, taken in one atomic step. */
export interface SaleAudit {
  readonly total: number;
  readonly sold: number;
  readonly paid: number;
  readonly orders: Readonly<Record<OrderState, number>>;
  /** Buyers whose ticket count is above the sale's perUserLimit (must be 0). */
  readonly buyersOverLimit: number;
  /** Buyers holding at least one ticket. */
  readonly buyers: number;
}

export interface Ledger {
  /** Human-readable description for the start-up line, e.g. the Redis URL or data directory. */
  readonly description: string;
  /** Creates a sale; resolves null when one with this id already exists. */
  createSale(spec: SaleSpec, now: number): Promise<Sale | null>;
  getSale(saleId: string): Promise<Sale | null>;
  /** The atomic reservation: sale open, stock left, buyer under the limit, request key unused. */
  reserve(request: ReserveRequest): Promise<ReserveOutcome>;
  getOrder(orderId: string): Promise<Order | null>;
  /** The order an earlier attempt with this request key made, if any. */
  findByRequestKey(saleId: string, requestKey: string): Promise<Order | null>;
  /** reserved -> paid, unless the hold has run out; the ledger decides a race with expiry atomically. */
  pay(orderId: string, actor: Actor, now: number): Promise<PayOutcome>;
  /** reserved -> cancelled, releasing the ticket. */
  cancel(orderId: string, actor: Actor, now: number): Promise<CancelOutcome>;
  /** Releases up to `limit` holds of the sale whose expiresAt <= now; returns how many. Safe to run from many places at once. */
  expireHolds(saleId: string, now: number, limit: number): Promise<number>;
  /** Every sale id, for the expiry sweeper. */
  saleIds(): Promise<string[]>;
  /** A page of the sale's orders, optionally only those in one state. */
  listOrders(saleId: string, options: { state?: OrderState; cursor?: string | null; limit: number }): Promise<OrderPage>;
  /** The sale's order feed: every state change of every order, in order, after the given event id. */
  readFeed(saleId: string, after: string | null, limit: number): Promise<FeedPage>;
  /** Counts the sale's orders by state next to its counters, atomically; O(orders), for audits not hot paths. */
  audit(saleId: string): Promise<SaleAudit | null>;
  /**
   * Calls the listener with a sale id whenever tickets of that sale return to
   * stock (expiry, cancel). Resolves once announcements made from then on will
   * be heard (for Redis: once the subscription is in place).
   */
  onStockReturned(listener: (saleId: string) => void): Promise<void>;
  /** Throws when the ledger cannot serve. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** Order ids carry their sale id so an order can be found on the sale's shard. */
export function saleIdOfOrder(orderId: string): string | null {
  const dot = orderId.indexOf('.');
  return dot > 0 ? orderId.slice(0, dot) : null;
}
