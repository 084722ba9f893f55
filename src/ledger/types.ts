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
  /** GET /buy/ticket without ?user (every request a new anonymous buyer) is allowed only on such a sale; absent: false. */
  readonly anonymous?: boolean;
  /** Orders a buyer may cancel themself in this sale before cancelling answers 429 (an admin's cancel is not counted); absent: 3. */
  readonly maxCancelsPerBuyer?: number;
  /** A waiting room in front of the stock (issue 14); absent means buyers buy directly ("open"). */
  readonly admission?: QueueAdmission;
  /** A train (issue 17): its seats are sold per segment between stations; absent for a sale of one pool. */
  readonly train?: TrainLayout;
}

/** How a seat is picked for a trip (see src/ledger/train-rules.ts). */
export type SeatChoice = 'best-fit' | 'first-fit';

/**
 * A train's stations and seats. Segment s runs from stations[s] to
 * stations[s + 1]; a seat is sold per segment, so a seat sold B->D is still
 * for sale A->B and D->F.
 */
export interface TrainLayout {
  readonly stations: readonly string[];
  readonly seats: number;
  readonly seatChoice: SeatChoice;
  /** Seats kept for long trips until a time (absent: none). */
  readonly quotas?: readonly SeatQuota[];
}

/**
 * A quota (票额预分): seats firstSeat .. firstSeat+seats-1 sell only to trips
 * of at least minSegments segments until releaseAt (epoch ms), and to any
 * trip from then on.
 */
export interface SeatQuota {
  readonly firstSeat: number;
  readonly seats: number;
  readonly minSegments: number;
  readonly releaseAt: number;
}

/**
 * A train as POST /api/trains creates it. The ledger keeps it as a sale whose
 * total is seats x segments (the most tickets it could ever sell, every seat
 * sold one segment at a time), so pay, cancel, expiry, the feed and the
 * tickets work for its orders as for any sale's.
 */
export interface TrainSpec {
  readonly id: string;
  readonly name?: string;
  readonly stations: readonly string[];
  readonly seats: number;
  readonly perUserLimit: number;
  readonly holdSeconds: number;
  readonly opensAt: number | null;
  readonly closesAt: number | null;
  /** Absent: best-fit. */
  readonly seatChoice?: SeatChoice;
  readonly quotas?: readonly SeatQuota[];
}

/** A train order's trip: stations by index (from < to) and the seat index it holds on segments from..to-1. */
export interface SeatTrip {
  readonly from: number;
  readonly to: number;
  readonly seat: number;
}

export interface TripRequest extends ReserveRequest {
  /** Station indexes; the trip covers segments from..to-1. */
  readonly from: number;
  readonly to: number;
}

/** Seats of a train back on sale on segments from..to-1 (a train order cancelled or expired). */
export interface SeatsReleased {
  readonly trainId: string;
  readonly from: number;
  readonly to: number;
}

/** Every segment's taken seats next to the live orders covering it, taken in one atomic step. */
export interface TrainAudit {
  readonly seats: number;
  /** Per segment: seats whose bit is set. */
  readonly taken: readonly number[];
  /** Per segment: live (reserved or paid) orders whose trip covers it. */
  readonly covering: readonly number[];
  /** Segments where the two differ, or a seat is held twice (must be 0). */
  readonly mismatched: number;
}

/** The settings of a sale's waiting room, fixed when the sale is created. */
export interface QueueAdmission {
  readonly mode: 'queue';
  /** How many places in line the serving counter moves per second. */
  readonly admitPerSecond: number;
  /** Unused passes out at once are at most remaining stock x this. */
  readonly overAdmit: number;
  /** How long an admitted buyer's pass lasts. */
  readonly passSeconds: number;
  /** Leading zero bits of SHA-256(challenge || nonce) a join needs; 0 needs no proof of work. */
  readonly difficulty: number;
  /** The difficulty rises with the join rate up to this. */
  readonly maxDifficulty: number;
  /** Hex key of the pre-queue's shuffle, made at creation; published once the sale opens. */
  readonly shuffleKey: string;
}

/** The sale's line and serving counter, as the ledger's queue tick leaves them. */
export interface QueueStatus {
  readonly saleId: string;
  /** Places 0 .. serving-1 are admitted. */
  readonly serving: number;
  /** Buyers who joined before opening (the shuffled pre-queue); final once drawn. */
  readonly pre: number;
  /** Buyers who joined after opening, first come first served behind the pre-queue. */
  readonly post: number;
  /** The sale has opened and the pre-queue is closed. */
  readonly drawn: boolean;
  /** Places below this were admitted more than passSeconds ago: their passes are spent or void. */
  readonly expiredBelow: number;
  readonly total: number;
  readonly sold: number;
  readonly paid: number;
  readonly at: number;
}

/** What the ledger needs of a pass: its id (the admitted place, one pass per place) and its expiry. */
export interface PassClaim {
  readonly place: number;
  readonly expiresAt: number;
}

/** A buyer's entry in the line: their number in the pre-queue or behind it. */
export interface QueueEntry {
  readonly pre: boolean;
  readonly number: number;
}

export interface JoinRequest {
  readonly saleId: string;
  readonly userId: string;
  readonly now: number;
  /** The proof-of-work challenge spent on this join, remembered until it expires; absent when the sale needs none. */
  readonly challengeId?: string;
  readonly challengeExpiresAt?: number;
}

export interface Sale extends SaleSpec {
  readonly anonymous: boolean;
  readonly maxCancelsPerBuyer: number;
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
  /** A train order's stations and seat; absent for a sale's. */
  readonly trip?: SeatTrip;
}

/** One state change of one order, as the order feed delivers it. */
export interface OrderFeedEvent {
  /** Position in the sale's feed; pass it back as `after` to read on. */
  readonly id: string;
  readonly orderId: string;
  readonly userId: string;
  readonly state: OrderState;
  readonly at: number;
}

/** What an operator may change on a sale (PATCH /api/sales/:id); absent fields stay. Times are epoch ms, null for no bound. */
export interface SaleChanges {
  readonly name?: string;
  readonly total?: number;
  readonly perUserLimit?: number;
  /** Applies to orders made from now on; holds already made keep their expiresAt. */
  readonly holdSeconds?: number;
  readonly opensAt?: number | null;
  readonly closesAt?: number | null;
  /** Counts the cancellations already made: lowering it below a buyer's count stops their cancelling, raising it lets them go on. */
  readonly maxCancelsPerBuyer?: number;
}

/** A change to the sale itself, in the sale's feed between its orders' changes. */
export interface SaleFeedEvent {
  readonly id: string;
  /** `updated` by PATCH (the fields it set), `closed` by POST .../close (closesAt). */
  readonly change: 'updated' | 'closed';
  readonly changes: SaleChanges;
  readonly at: number;
}

/** A paid order's ticket recorded as issued, or admitted at a gate, in the sale's feed between its orders' changes. */
export interface TicketFeedEvent {
  readonly id: string;
  /** ticket_issued: the issuer recorded the ticket (`at` is when it did); checked_in: a gate admitted it. */
  readonly ticket: 'ticket_issued' | 'checked_in';
  readonly orderId: string;
  readonly userId: string;
  readonly at: number;
  /** The gate that admitted the ticket (checked_in only). */
  readonly gate?: string;
}

export type FeedEvent = OrderFeedEvent | SaleFeedEvent | TicketFeedEvent;

/** An order's state change (ticket events name an order too, but carry no state). */
export function isOrderEvent(event: FeedEvent): event is OrderFeedEvent {
  return 'state' in event;
}

export function isTicketEvent(event: FeedEvent): event is TicketFeedEvent {
  return 'ticket' in event;
}

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

export interface SalePage {
  readonly sales: readonly Sale[];
  /** Pass back to read the next page; null when there is none. */
  readonly cursor: string | null;
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
  /** In a queue sale: the buyer's pass, its signature already checked by the worker; spent with the reservation. */
  readonly pass?: PassClaim;
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
