// A small, obviously correct ledger for the model-based test: plain objects,
// every counter derived by counting orders, and no code shared with either
// real ledger (it imports their types only). Slow on purpose; it only has to
// be right.
import type { Order, OrderState, Sale, SaleAudit, SaleSpec } from '../../src/ledger';

interface ModelSale {
  readonly spec: SaleSpec;
  readonly createdAt: number;
  /** Every order the sale ever made, in purchase order. */
  readonly orders: Order[];
  /** request key -> order id */
  readonly requests: Map<string, string>;
  /** Every state change of every order, in the order it happened. */
  readonly feed: FeedEntry[];
  /** The buyer of each order a buyer cancelled themself, one entry per cancellation. */
  readonly buyerCancels: string[];
}

/** A feed event without its id (each ledger numbers its feed its own way). */
export interface FeedEntry {
  readonly orderId: string;
  readonly userId: string;
  readonly state: OrderState;
  readonly at: number;
}

/** What a command answered, in the shape both ledgers answer it: `{kind, ...fields}`. */
export type Answer = { readonly kind: string } & Record<string, unknown>;

const TAKEN: readonly OrderState[] = ['reserved', 'paid'];

export class ReferenceLedger {
  private readonly sales = new Map<string, ModelSale>();

  createSale(spec: SaleSpec, now: number): Sale | null {
    if (this.sales.has(spec.id)) return null;
    this.sales.set(spec.id, { spec, createdAt: now, orders: [], requests: new Map(), feed: [], buyerCancels: [] });
    return this.getSale(spec.id);
  }

  getSale(saleId: string): Sale | null {
    const sale = this.sales.get(saleId);
    if (!sale) return null;
    return { ...sale.spec, anonymous: sale.spec.anonymous ?? false, maxCancelsPerBuyer: sale.spec.maxCancelsPerBuyer ?? 3, sold: this.sold(sale), paid: sale.orders.filter((o) => o.state === 'paid').length, createdAt: sale.createdAt };
  }

  getOrder(orderId: string): Order | null {
    for (const sale of this.sales.values()) {
      const order = sale.orders.find((o) => o.orderId === orderId);
      if (order) return order;
    }
    return null;
  }

  ordersOf(saleId: string): readonly Order[] {
    return this.sales.get(saleId)?.orders ?? [];
  }

  findByRequestKey(saleId: string, requestKey: string): Order | null {
    const orderId = this.sales.get(saleId)?.requests.get(requestKey);
    return orderId === undefined ? null : this.getOrder(orderId);
  }

  feedOf(saleId: string): readonly FeedEntry[] {
    return this.sales.get(saleId)?.feed ?? [];
  }

  reserve(saleId: string, userId: string, requestKey: string, orderId: string, now: number): Answer {
    const sale = this.sales.get(saleId);
    if (!sale) return { kind: 'not_found' };
    const earlierId = sale.requests.get(requestKey);
    if (earlierId !== undefined) {
      const earlier = this.getOrder(earlierId)!;
      return earlier.userId === userId ? { kind: 'replayed', order: earlier } : { kind: 'key_reused' };
    }
    const { total, perUserLimit, holdSeconds, opensAt, closesAt } = sale.spec;
    if (closesAt !== null && now >= closesAt) return { kind: 'closed', closesAt };
    if (opensAt !== null && now < opensAt) return { kind: 'not_open', opensAt };
    if (this.sold(sale) >= total) {
      // When the earliest hold still reserved runs out (overdue ones included: no sweep released them yet), 0 for none.
      const holds = sale.orders.filter((o) => o.state === 'reserved').map((o) => o.expiresAt!);
      return { kind: 'sold_out', total, nextReleaseAt: holds.length > 0 ? Math.min(...holds) : 0 };
    }
    if (this.heldBy(sale, userId) >= perUserLimit) return { kind: 'limit_reached', perUserLimit };
    const order: Order = {
      orderId,
      saleId,
      userId,
      state: holdSeconds > 0 ? 'reserved' : 'paid',
      createdAt: now,
      expiresAt: holdSeconds > 0 ? now + holdSeconds * 1000 : null,
      updatedAt: now,
    };
    sale.orders.push(order);
    sale.requests.set(requestKey, orderId);
    sale.feed.push({ orderId, userId, state: order.state, at: now });
    const sold = this.sold(sale);
    const holds = sale.orders.filter((o) => o.state === 'reserved').map((o) => o.expiresAt!);
    return { kind: 'reserved', order, sold, total, nextReleaseAt: sold >= total && holds.length > 0 ? Math.min(...holds) : 0 };
  }

  /** `actor` null is an admin. */
  pay(orderId: string, actor: string | null, now: number): Answer {
    const order = this.getOrder(orderId);
    if (!order) return { kind: 'not_found' };
    if (actor !== null && actor !== order.userId) return { kind: 'forbidden' };
    if (order.state === 'paid') return { kind: 'already_paid', order };
    if (order.state === 'cancelled') return { kind: 'cancelled', order };
    if (order.state === 'expired') return { kind: 'expired', order };
    if (now >= order.expiresAt!) return { kind: 'expired', order: this.move(order, 'expired', now) };
    return { kind: 'paid', order: this.move(order, 'paid', now) };
  }

  cancel(orderId: string, actor: string | null, now: number): Answer {
    const order = this.getOrder(orderId);
    if (!order) return { kind: 'not_found' };
    if (actor !== null && actor !== order.userId) return { kind: 'forbidden' };
    if (order.state === 'cancelled') return { kind: 'already_cancelled', order };
    if (order.state === 'paid') return { kind: 'paid', order };
    if (order.state === 'expired') return { kind: 'expired', order };
    if (now >= order.expiresAt!) return { kind: 'expired', order: this.move(order, 'expired', now) };
    if (actor !== null) {
      const sale = this.sales.get(order.saleId)!;
      const max = sale.spec.maxCancelsPerBuyer ?? 3;
      if (sale.buyerCancels.filter((userId) => userId === actor).length >= max) return { kind: 'too_many_cancellations', order, maxCancelsPerBuyer: max };
      sale.buyerCancels.push(actor);
    }
    return { kind: 'cancelled', order: this.move(order, 'cancelled', now) };
  }

  /** Up to `limit` overdue holds expire, earliest expiry first, older purchase first on a tie. */
  expireHolds(saleId: string, now: number, limit: number): number {
    const sale = this.sales.get(saleId);
    if (!sale) return 0;
    const due = sale.orders
      .filter((o) => o.state === 'reserved' && o.expiresAt! <= now)
      .sort((a, b) => a.expiresAt! - b.expiresAt! || sale.orders.indexOf(a) - sale.orders.indexOf(b))
      .slice(0, limit);
    for (const order of due) this.move(order, 'expired', now);
    return due.length;
  }

  audit(saleId: string): SaleAudit | null {
    const sale = this.sales.get(saleId);
    if (!sale) return null;
    const orders: Record<OrderState, number> = { reserved: 0, paid: 0, expired: 0, cancelled: 0 };
    for (const order of sale.orders) orders[order.state]++;
    const holders = new Set(sale.orders.filter((o) => TAKEN.includes(o.state)).map((o) => o.userId));
    const overLimit = [...holders].filter((userId) => this.heldBy(sale, userId) > sale.spec.perUserLimit);
    return { total: sale.spec.total, sold: this.sold(sale), paid: orders.paid, orders, buyers: holders.size, buyersOverLimit: overLimit.length };
  }

  private sold(sale: ModelSale): number {
    return sale.orders.filter((o) => TAKEN.includes(o.state)).length;
  }

  private heldBy(sale: ModelSale, userId: string): number {
    return sale.orders.filter((o) => o.userId === userId && TAKEN.includes(o.state)).length;
  }

  /** Replaces the order with its next state (orders are immutable values, as the ledgers return them). */
  private move(order: Order, state: OrderState, now: number): Order {
    const sale = this.sales.get(order.saleId)!;
    const next: Order = { ...order, state, updatedAt: now };
    sale.orders[sale.orders.indexOf(order)] = next;
    sale.feed.push({ orderId: order.orderId, userId: order.userId, state, at: now });
    return next;
  }
}
