// One sale's orders in the embedded ledger, stored column-wise (a million
// orders cost a few typed arrays, not a million objects), with the sale's
// order feed derived from them.
import type { FeedEvent, Order, OrderState } from '../types';
import { grown } from './grown';

const STATES: readonly OrderState[] = ['reserved', 'paid', 'expired', 'cancelled'];
const CODE: Readonly<Record<OrderState, number>> = { reserved: 0, paid: 1, expired: 2, cancelled: 3 };

export class OrderTable {
  private readonly ids: string[] = [];
  private readonly users: string[] = [];
  private created = new Float64Array(16);
  private updated = new Float64Array(16);
  private states = new Uint8Array(16);
  private readonly byId = new Map<string, number>();
  /**
   * The feed, one entry per state change: index * 2 for an order's creation,
   * index * 2 + 1 for its one later change. Every change after creation is
   * final (reserved -> paid | expired | cancelled), so the entry's state and
   * time are the order's own and need not be stored twice.
   */
  private feed = new Uint32Array(16);
  private feedLength = 0;

  /** holdMs 0: orders are created paid, with no hold. */
  constructor(readonly saleId: string, private readonly holdMs: number) {}

  get size(): number {
    return this.ids.length;
  }

  get feedSize(): number {
    return this.feedLength;
  }

  /** Adds a new order and its creation to the feed; returns its index. */
  add(orderId: string, userId: string, createdAt: number): number {
    const index = this.ids.length;
    this.ids.push(orderId);
    this.users.push(userId);
    this.created = grown(this.created, index + 1);
    this.updated = grown(this.updated, index + 1);
    this.states = grown(this.states, index + 1);
    this.created[index] = createdAt;
    this.updated[index] = createdAt;
    this.states[index] = this.holdMs > 0 ? CODE.reserved : CODE.paid;
    this.byId.set(orderId, index);
    this.appendFeed(index * 2);
    return index;
  }

  /** Moves an order to a final state and records the change in the feed. */
  transition(index: number, state: OrderState, at: number): void {
    this.states[index] = CODE[state];
    this.updated[index] = at;
    this.appendFeed(index * 2 + 1);
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
    return this.holdMs > 0 ? this.created[index]! + this.holdMs : null;
  }

  /** Due for expiry: still held and its time is up (the Lua scripts' isOverdue). */
  isOverdue(index: number, now: number): boolean {
    return this.states[index] === CODE.reserved && this.holdMs > 0 && now >= this.created[index]! + this.holdMs;
  }

  order(index: number): Order {
    return {
      orderId: this.ids[index]!,
      saleId: this.saleId,
      userId: this.users[index]!,
      state: this.state(index),
      createdAt: this.created[index]!,
      expiresAt: this.expiresAt(index),
      updatedAt: this.updated[index]!,
    };
  }

  /** The order as it would be after a change, without changing it: what a decision replies. */
  orderAfter(index: number, state: OrderState, at: number): Order {
    return { ...this.order(index), state, updatedAt: at };
  }

  /** The feed event at 0-based position; its id is position + 1. */
  feedEvent(position: number): FeedEvent {
    const entry = this.feed[position]!;
    const index = entry >>> 1;
    const created = (entry & 1) === 0;
    return {
      id: String(position + 1),
      orderId: this.ids[index]!,
      userId: this.users[index]!,
      state: created ? (this.holdMs > 0 ? 'reserved' : 'paid') : this.state(index),
      at: created ? this.created[index]! : this.updated[index]!,
    };
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

  private appendFeed(entry: number): void {
    this.feed = grown(this.feed, this.feedLength + 1);
    this.feed[this.feedLength++] = entry;
  }
}
