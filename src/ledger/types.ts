// The ledger's vocabulary: sales, orders, feed events and pages, as both
// ledgers store them and every other part of spike reads them.

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
}

export interface Sale extends SaleSpec {
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

/**
 * One event of the sale's order feed: an order's state change, its ticket
 * recorded as issued, or its ticket admitted at a gate. Every event names its
 * order and buyer; `state` is the order's state the event leaves it in (paid
 * for both ticket events).
 */
export type FeedEvent = OrderStateChanged | TicketIssuedEvent | CheckedInEvent;

interface FeedEventBase {
  /** Position in the sale's feed; pass it back as `after` to read on. */
  readonly id: string;
  readonly orderId: string;
  readonly userId: string;
  readonly state: OrderState;
  readonly at: number;
}

export interface OrderStateChanged extends FeedEventBase {
  readonly type: 'state_changed';
}

/** The issuer recorded the paid order's ticket as issued (`at` is when it did). */
export interface TicketIssuedEvent extends FeedEventBase {
  readonly type: 'ticket_issued';
}

/** The order's ticket was admitted at a gate. */
export interface CheckedInEvent extends FeedEventBase {
  readonly type: 'checked_in';
  readonly gate: string;
}

export type FeedEventType = FeedEvent['type'];

/** Where a sale's tickets stand: due (paid, not yet recorded issued), issued, checked in. */
export interface TicketCounts {
  readonly due: number;
  readonly issued: number;
  readonly checkedIn: number;
}

/** A ticket's check-in as the ledger records it. */
export interface CheckInRequest {
  readonly orderId: string;
  /** The buyer the signed ticket names; must be the order's. */
  readonly userId: string;
  /** The gate's id: 1-64 of A-Z a-z 0-9 _ -. */
  readonly gate: string;
  readonly now: number;
}

export interface ReserveRequest {
  readonly saleId: string;
  readonly userId: string;
  /**
   * Names this purchase attempt for its whole life: "k:<Idempotency-Key>",
   * with a key the client sent or one the worker made for it. A retry with
   * the same key never reserves twice.
   */
  readonly requestKey: string;
  /** The id the order gets if this attempt creates one. */
  readonly orderId: string;
  readonly now: number;
}

/** Who asks to pay or cancel: the buyer by id, or an admin (null). */
export type Actor = string | null;

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

/** Order ids carry their sale id so an order can be found on the sale's shard. */
export function saleIdOfOrder(orderId: string): string | null {
  const dot = orderId.indexOf('.');
  return dot > 0 ? orderId.slice(0, dot) : null;
}
