// One sale's orders in the embedded ledger, stored column-wise (a million
// orders cost a few typed arrays, not a million objects), with the sale's
// order feed derived from them (with the sale's own changes in between).
import type { FeedEvent, Order, OrderState, SaleFeedEvent, SeatTrip } from '../types';
import { grown } from './grown';
import { ShardedMap } from './sharded-map';

const STATES: readonly OrderState[] = ['reserved', 'paid', 'expired', 'cancelled'];
const CODE: Readonly<Record<OrderState, number>> = { reserved: 0, paid: 1, expired: 2, cancelled: 3 };
/** A feed entry with this bit set is a change to the sale itself: the rest is its number in saleEvents. */
const SALE_EVENT = 0x8000_0000;
/** What an order's feed entry records, in its low two bits. */
const FEED_CREATED = 0;
const FEED_CHANGED = 1;
const FEED_TICKET_ISSUED = 2;
const FEED_CHECKED_IN = 3;

export class OrderTable {
  private readonly ids: string[] = [];
  private readonly users: string[] = [];
  private created = new Float64Array(16);
  private updated = new Float64Array(16);
  /** expiresAt per order, NaN for an order made final at once (the sale's holdSeconds may change between orders). */
  private expires = new Float64Array(16);
  private states = new Uint8Array(16);
  private readonly byId = new ShardedMap<string, number>();
  /** When the issuer recorded the order's ticket (0: not yet). */
  private issued = new Float64Array(16);
  /** A train order's trip: from, to and seat + 1 per order (0: not a train order). */
  private trips = new Int32Array(48);
  /** The ticket's one admission: when and at which gate (sparse: most orders of a live sale are not yet used). */
  private readonly checkIns = new ShardedMap<number, { readonly at: number; readonly gate: string }>();
  /**
   * The feed, one entry per event: index * 4 + FEED_* for an order's
   * creation, its one later change, its ticket recorded issued and its
   * check-in. Every change after creation is final (reserved -> paid |
   * expired | cancelled) and each ticket event happens once, so the entry's
   * state and time are the order's own and need not be stored twice (up to
   * 2^29 orders per sale). Changes to the sale itself are rare and kept as
   * objects, their entries flagged SALE_EVENT.
   */
  private feed = new Uint32Array(16);
  private feedLength = 0;
  /** Feed entries trimmed from the front (FEED_MAX_EVENTS): feed[0] is the event at this position. */
  private feedBase = 0;
  private readonly saleEvents: Array<Omit<SaleFeedEvent, 'id'>> = [];

  /**
   * feedMax: the feed keeps at least its last feedMax events, trimming the
   * oldest in steps of a sixteenth of it (at least 100), as XADD MAXLEN ~
   * trims whole stream nodes. Positions (and ids) never change.
   */
  constructor(readonly saleId: string, private readonly feedMax = Infinity) {}

  get size(): number {
    return this.ids.length;
  }

  /** Events ever appended; the next event's position. */
  get feedSize(): number {
    return this.feedBase + this.feedLength;
  }

  /** The position of the oldest event still kept. */
  get feedStart(): number {
    return this.feedBase;
  }

  /** Events kept. */
  get feedKept(): number {
    return this.feedLength;
  }

  /** A new row at the end, its columns grown to hold it; the caller fills them. */
  private appendRow(orderId: string, userId: string): number {
    const index = this.ids.length;
    this.ids.push(orderId);
    this.users.push(userId);
    this.created = grown(this.created, index + 1);
    this.updated = grown(this.updated, index + 1);
    this.expires = grown(this.expires, index + 1);
    this.states = grown(this.states, index + 1);
    this.issued = grown(this.issued, index + 1);
    return index;
  }

  /** Adds a new order and its creation to the feed; returns its index. holdMs 0: the order is paid at once, with no hold. */
  add(orderId: string, userId: string, createdAt: number, holdMs: number): number {
    const index = this.appendRow(orderId, userId);
    this.created[index] = createdAt;
    this.updated[index] = createdAt;
    this.expires[index] = holdMs > 0 ? createdAt + holdMs : NaN;
    this.states[index] = holdMs > 0 ? CODE.reserved : CODE.paid;
    this.byId.set(orderId, index);
    this.appendFeed(index * 4 + FEED_CREATED);
    return index;
  }

  /** Records the trip of the order just added (train orders only). */
  setTrip(index: number, trip: SeatTrip): void {
    this.trips = grown(this.trips, (index + 1) * 3);
    this.trips[index * 3] = trip.from;
    this.trips[index * 3 + 1] = trip.to;
    this.trips[index * 3 + 2] = trip.seat + 1;
  }

  trip(index: number): SeatTrip | undefined {
    if (index * 3 + 2 >= this.trips.length) return undefined;
    const seat = this.trips[index * 3 + 2]!;
    return seat === 0 ? undefined : { from: this.trips[index * 3]!, to: this.trips[index * 3 + 1]!, seat: seat - 1 };
  }

  /** Moves an order to a final state and records the change in the feed. */
  transition(index: number, state: OrderState, at: number): void {
    this.states[index] = CODE[state];
    this.updated[index] = at;
    this.appendFeed(index * 4 + FEED_CHANGED);
  }

  /** Records the order's ticket as issued, with its feed event. */
  recordIssued(index: number, at: number): void {
    this.issued[index] = at;
    this.appendFeed(index * 4 + FEED_TICKET_ISSUED);
  }

  /** Records the ticket's admission, with its feed event. */
  recordCheckIn(index: number, at: number, gate: string): void {
    this.checkIns.set(index, { at, gate });
    this.appendFeed(index * 4 + FEED_CHECKED_IN);
  }

  isIssued(index: number): boolean {
    return this.issued[index]! > 0;
  }

  checkIn(index: number): { readonly at: number; readonly gate: string } | undefined {
    return this.checkIns.get(index);
  }

  get issuedCount(): number {
    let count = 0;
    for (let i = 0; i < this.ids.length; i++) if (this.issued[i]! > 0) count++;
    return count;
  }

  get checkedInCount(): number {
    return this.checkIns.size;
  }

  indexOf(orderId: string): number | undefined {
    return this.byId.get(orderId);
  }

  state(index: number): OrderState {
    return STATES[this.states[index]!]!;
  }

  orderId(index: number): string {
    return this.ids[index]!;
  }

  userId(index: number): string {
    return this.users[index]!;
  }

  expiresAt(index: number): number | null {
    const at = this.expires[index]!;
    return Number.isNaN(at) ? null : at;
  }

  /** Due for expiry: still held and its time is up (the Lua scripts' isOverdue). NaN compares false. */
  isOverdue(index: number, now: number): boolean {
    return this.states[index] === CODE.reserved && now >= this.expires[index]!;
  }

  order(index: number): Order {
    const trip = this.trip(index);
    return {
      orderId: this.ids[index]!,
      saleId: this.saleId,
      userId: this.users[index]!,
      state: this.state(index),
      createdAt: this.created[index]!,
      expiresAt: this.expiresAt(index),
      updatedAt: this.updated[index]!,
      ...(trip ? { trip } : {}),
    };
  }

  /** The order as it would be after a change, without changing it: what a decision replies. */
  orderAfter(index: number, state: OrderState, at: number): Order {
    return { ...this.order(index), state, updatedAt: at };
  }

  /** Records a change to the sale itself in the feed, in order with the orders' changes. */
  addSaleEvent(event: Omit<SaleFeedEvent, 'id'>): void {
    this.appendFeed(SALE_EVENT | this.saleEvents.length);
    this.saleEvents.push(event);
  }

  /** The feed event at 0-based position; its id is position + 1. */
  feedEvent(position: number): FeedEvent {
    const entry = this.feed[position - this.feedBase]!;
    const id = String(position + 1);
    if (entry & SALE_EVENT) return { id, ...this.saleEvents[entry & ~SALE_EVENT]! };
    const index = entry >>> 2;
    const orderId = this.ids[index]!;
    const userId = this.users[index]!;
    switch (entry & 3) {
      case FEED_CREATED:
        return { id, orderId, userId, state: Number.isNaN(this.expires[index]!) ? 'paid' : 'reserved', at: this.created[index]! };
      case FEED_CHANGED:
        return { id, orderId, userId, state: this.state(index), at: this.updated[index]! };
      case FEED_TICKET_ISSUED:
        return { id, ticket: 'ticket_issued', orderId, userId, at: this.issued[index]! };
      default: {
        const used = this.checkIns.get(index)!;
        return { id, ticket: 'checked_in', orderId, userId, at: used.at, gate: used.gate };
      }
    }
  }

  countByState(): Record<OrderState, number> {
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < this.ids.length; i++) counts[this.states[i]!]!++;
    return { reserved: counts[0]!, paid: counts[1]!, expired: counts[2]!, cancelled: counts[3]! };
  }

  /** Whether the order at index is in the state; for scans that filter without building orders. */
  hasState(index: number, state: OrderState): boolean {
    return this.states[index] === CODE[state];
  }

  // The snapshot's view (snapshot/snapshot-codec.ts): the columns as they are, and their restoration in the same order.

  /** Row index as [orderId, userId, createdAt, updatedAt, expiresAt (null: none), state code, issuedAt (0: not yet)]. */
  row(index: number): [string, string, number, number, number | null, number, number] {
    return [this.ids[index]!, this.users[index]!, this.created[index]!, this.updated[index]!, this.expiresAt(index), this.states[index]!, this.issued[index]!];
  }

  /** Appends a row as row() gave it, without a feed entry (the feed is restored on its own). */
  restoreRow([orderId, userId, createdAt, updatedAt, expiresAt, state, issuedAt]: readonly [string, string, number, number, number | null, number, number]): number {
    if (state < 0 || state > 3 || !Number.isInteger(state)) throw new RangeError(`order ${orderId} has state code ${state}`);
    if (this.byId.has(orderId)) throw new Error(`order ${orderId} is restored twice`);
    const index = this.appendRow(orderId, userId);
    this.created[index] = createdAt;
    this.updated[index] = updatedAt;
    this.expires[index] = expiresAt === null ? NaN : expiresAt;
    this.states[index] = state;
    this.issued[index] = issuedAt;
    this.byId.set(orderId, index);
    return index;
  }

  /** Every check-in as [index, at, gate]. */
  checkInRows(): Array<[number, number, string]> {
    return [...this.checkIns].map(([index, used]) => [index, used.at, used.gate]);
  }

  restoreCheckIn(index: number, at: number, gate: string): void {
    this.checkIns.set(index, { at, gate });
  }

  /** The kept feed: its first position, its entries (a view, not a copy), and the sale's own events they refer to. */
  feedRows(): { readonly base: number; readonly entries: Uint32Array; readonly saleEvents: ReadonlyArray<Omit<SaleFeedEvent, 'id'>> } {
    return { base: this.feedBase, entries: this.feed.subarray(0, this.feedLength), saleEvents: this.saleEvents };
  }

  restoreFeedStart(base: number): void {
    if (this.feedLength > 0) throw new Error(`the feed of sale "${this.saleId}" is restored out of order`);
    this.feedBase = base;
  }

  restoreFeedEntries(entries: readonly number[]): void {
    this.feed = grown(this.feed, this.feedLength + entries.length);
    this.feed.set(entries, this.feedLength);
    this.feedLength += entries.length;
  }

  restoreSaleEvent(event: Omit<SaleFeedEvent, 'id'>): void {
    this.saleEvents.push(event);
  }

  private appendFeed(entry: number): void {
    // Order entries are index * 2 (+ 1); past 2^30 orders they would collide with the SALE_EVENT bit.
    if (this.ids.length >= SALE_EVENT / 2) throw new RangeError(`sale "${this.saleId}" cannot hold more than ${SALE_EVENT / 2} orders`);
    if (this.feedLength >= this.feedMax + Math.max(100, Math.floor(this.feedMax / 16))) {
      const drop = this.feedLength - this.feedMax;
      this.feed.copyWithin(0, drop, this.feedLength);
      this.feedLength -= drop;
      this.feedBase += drop;
    }
    this.feed = grown(this.feed, this.feedLength + 1);
    this.feed[this.feedLength++] = entry;
  }
}
