// The global ledger: the one place that decides, atomically, whether a ticket
// is sold. Workers talk to this interface and never know which ledger is behind it.
import type { CancelOutcome, CheckInOutcome, CloseSaleOutcome, DeleteSaleOutcome, RetireSaleOutcome, JoinOutcome, PayOutcome, ReserveOutcome, ReserveTripOutcome, UpdateSaleOutcome } from './outcomes';
import type { Actor, CheckInRequest, FeedPage, JoinRequest, Order, OrderPage, OrderState, QueueStatus, ReserveRequest, Sale, SaleAudit, SaleChanges, SalePage, SaleSpec, SeatsReleased, TicketCounts, TrainAudit, TrainSpec, TripRequest } from './types';

export interface Ledger {
  /** Human-readable description for the start-up line, e.g. the Redis URL or data directory. */
  readonly description: string;
  /** Creates a sale; resolves null when one with this id already exists. */
  createSale(spec: SaleSpec, now: number): Promise<Sale | null>;
  getSale(saleId: string): Promise<Sale | null>;
  /** A page of sales; pass the cursor back for the next page until it is null. */
  listSales(cursor: string | null, limit: number): Promise<SalePage>;
  /**
   * Changes a sale's settings atomically with every purchase (total never
   * below sold; a passed opensAt stays), records the change in the sale's feed
   * and announces it to onSaleChanged listeners.
   */
  updateSale(saleId: string, changes: SaleChanges, now: number): Promise<UpdateSaleOutcome>;
  /** closesAt becomes now: every purchase from here on is refused. In the feed and announced. */
  closeSale(saleId: string, now: number): Promise<CloseSaleOutcome>;
  /** Removes a sale that has no order, with its feed; announced. */
  deleteSale(saleId: string): Promise<DeleteSaleOutcome>;
  /**
   * Where the sale's feed stands: the last event's id ("" for none), null for
   * no such sale. Read before archiving a sale; retireSale checks it is unchanged.
   */
  feedMark(saleId: string): Promise<string | null>;
  /**
   * Removes a sale closed at or before closedBefore, with its orders, buyers,
   * request keys and feed, if its feed still stands at feedMark (nothing
   * changed since its archive was read); announced as a sale change.
   */
  retireSale(saleId: string, feedMark: string, closedBefore: number, now: number): Promise<RetireSaleOutcome>;
  /** The atomic reservation: sale open, stock left, buyer under the limit, request key unused. */
  reserve(request: ReserveRequest): Promise<ReserveOutcome>;
  /**
   * Creates a train: a sale whose seats are sold per segment (its `train`
   * layout), so pay, cancel, expiry and the feed serve its orders as any
   * sale's. Resolves null when a sale or train with this id exists.
   */
  createTrain(spec: TrainSpec, now: number): Promise<Sale | null>;
  /**
   * The atomic trip reservation: a sale's checks (replay, window, per-user
   * limit), then one seat free on every segment from..to-1, picked by the
   * train's seat choice, taken on each of them. Cancel and expiry free
   * exactly those segments of that seat.
   */
  reserveTrip(request: TripRequest): Promise<ReserveTripOutcome>;
  /** Seats free on every segment of the trip, exactly, for that trip at `now` (quotas closed to it left out); null for no such train or a bad route. */
  tripAvailability(trainId: string, from: number, to: number, now?: number): Promise<number | null>;
  /** Seats free on each segment, in one read (what a worker's gate re-reads); null for no such train. */
  segmentAvailability(trainId: string): Promise<number[] | null>;
  /** Every segment's taken seats against the live orders covering it, atomically; O(orders x segments). */
  auditTrain(trainId: string): Promise<TrainAudit | null>;
  getOrder(orderId: string): Promise<Order | null>;
  /** The order an earlier attempt with this request key made, if any. */
  findByRequestKey(saleId: string, requestKey: string): Promise<Order | null>;
  /** reserved -> paid, unless the hold has run out; the ledger decides a race with expiry atomically. */
  pay(orderId: string, actor: Actor, now: number): Promise<PayOutcome>;
  /** reserved -> cancelled, releasing the ticket. */
  cancel(orderId: string, actor: Actor, now: number): Promise<CancelOutcome>;
  /** Releases up to `limit` holds of the sale whose expiresAt <= now; returns how many. Safe to run from many places at once. */
  expireHolds(saleId: string, now: number, limit: number): Promise<number>;
  /** Takes the buyer's one place in a queue sale's line (the same entry when they join again); O(1), one round trip. */
  joinQueue(request: JoinRequest): Promise<JoinOutcome>;
  /** The queue tick: moves a queue sale's serving counter and answers the line's figures; null for an open sale or none. Safe to run from many places. */
  advanceQueue(saleId: string, now: number): Promise<QueueStatus | null>;
  /**
   * Sales that may have holds due by `now`, at most `limit`, from an index of
   * sales with pending holds: the sweeper asks this every tick, so its cost
   * follows the sales with holds, not every sale there is.
   */
  dueSales(now: number, limit: number): Promise<string[]>;
  /**
   * Records up to `limit` of the sale's due tickets (orders paid since their
   * ticket was last recorded) as issued, each with a ticket_issued feed event;
   * returns how many. Every paid order's ticket is due from the same atomic
   * step that paid it, and each is issued exactly once, however many issuers run.
   */
  issueTickets(saleId: string, now: number, limit: number): Promise<number>;
  /** Admits a paid order's ticket once, atomically: the first check-in wins, later ones hear when and where it was used. */
  checkIn(request: CheckInRequest): Promise<CheckInOutcome>;
  /** The sale's tickets due, issued and checked in; null for no such sale. */
  ticketCounts(saleId: string): Promise<TicketCounts | null>;
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
  /**
   * Calls the listener with the train and segments whenever a train order's
   * seat goes back on sale (expiry, cancel), so workers forget exactly the
   * sold-out marks over that range. Resolves as onStockReturned does.
   */
  onSeatsReleased(listener: (release: SeatsReleased) => void): Promise<void>;
  /**
   * Calls the listener with a sale id whenever the sale itself changed
   * (updated, closed, deleted), so each worker re-reads it at once. Resolves
   * once announcements made from then on will be heard.
   */
  onSaleChanged(listener: (saleId: string) => void): Promise<void>;
  /** Throws when the ledger cannot serve. */
  ping(): Promise<void>;
  close(): Promise<void>;
}


/**
 * Every command of the Ledger: the methods that ask the ledger something.
 * The embedded ledger's IPC client and server and the metrics' timing
 * decorator are all derived from this one list.
 */
export const LEDGER_COMMANDS = [
  'createSale', 'getSale', 'reserve', 'getOrder', 'findByRequestKey', 'pay', 'cancel',
  'expireHolds', 'dueSales', 'joinQueue', 'advanceQueue', 'saleIds', 'listOrders', 'readFeed', 'audit', 'ping',
  'listSales', 'updateSale', 'closeSale', 'deleteSale',
  'issueTickets', 'checkIn', 'ticketCounts', 'feedMark', 'retireSale',
  'createTrain', 'reserveTrip', 'tripAvailability', 'segmentAvailability', 'auditTrain',
] as const satisfies ReadonlyArray<keyof Ledger>;
export type LedgerCommand = (typeof LEDGER_COMMANDS)[number];
/** The members every wrapper must pass through itself: what the ledger is, and its announcements. */
export type LedgerLocalMember = 'description' | 'onStockReturned' | 'onSeatsReleased' | 'onSaleChanged' | 'close';
/** Fails to compile when a Ledger member is neither a command nor local: a new method must be listed. */
const everyMemberListed: [Exclude<keyof Ledger, LedgerCommand | LedgerLocalMember>] extends [never] ? true : never = true;
void everyMemberListed;
