// A small, obviously correct ledger for the model-based test: plain objects,
// every counter derived by counting orders, and no code shared with either
// real ledger (it imports their types only). Slow on purpose; it only has to
// be right.
import type { Order, OrderState, Sale, SaleAudit, SaleSpec, TrainSpec } from '../../src/ledger';

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
    // A train's seats sell per trip only.
    if (!sale || sale.spec.train) return { kind: 'not_found' };
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

  /** A train is a sale with a layout; total is seats x segments. */
  createTrain(spec: TrainSpec, now: number): Sale | null {
    const segments = spec.stations.length - 1;
    return this.createSale(
      {
        id: spec.id,
        name: spec.name ?? spec.id,
        total: spec.seats * segments,
        perUserLimit: spec.perUserLimit,
        holdSeconds: spec.holdSeconds,
        opensAt: spec.opensAt,
        closesAt: spec.closesAt,
        train: { stations: [...spec.stations], seats: spec.seats, seatChoice: spec.seatChoice ?? 'best-fit', ...(spec.quotas && spec.quotas.length > 0 ? { quotas: spec.quotas } : {}) },
      },
      now,
    );
  }

  /** Seat `seat` on segment `s` is taken when a live order's trip covers s on that seat; the ends of the train count as taken. */
  private seatTaken(sale: ModelSale, s: number, seat: number): boolean {
    const segments = sale.spec.train!.stations.length - 1;
    if (s < 0 || s >= segments) return true;
    return sale.orders.some((o) => TAKEN.includes(o.state) && o.trip !== undefined && o.trip.seat === seat && o.trip.from <= s && s < o.trip.to);
  }

  /** Free for the trip at `now`: no live order holds it on any segment, and no quota closed to the trip holds it. */
  private freeFor(sale: ModelSale, seat: number, from: number, to: number, now: number): boolean {
    for (let s = from; s < to; s++) if (this.seatTaken(sale, s, seat)) return false;
    const closed = (sale.spec.train!.quotas ?? []).some((q) => to - from < q.minSegments && now < q.releaseAt && q.firstSeat <= seat && seat < q.firstSeat + q.seats);
    return !closed;
  }

  tripAvailability(saleId: string, from: number, to: number, now: number): number | null {
    const sale = this.sales.get(saleId);
    const train = sale?.spec.train;
    if (!sale || !train || !(from >= 0 && to <= train.stations.length - 1 && from < to)) return null;
    let free = 0;
    for (let seat = 0; seat < train.seats; seat++) if (this.freeFor(sale, seat, from, to, now)) free++;
    return free;
  }

  /** Seats free on each segment, quotas aside: what the worker's gate reads. */
  segmentAvailability(saleId: string): number[] | null {
    const sale = this.sales.get(saleId);
    const train = sale?.spec.train;
    if (!sale || !train) return null;
    return Array.from({ length: train.stations.length - 1 }, (_, s) => Array.from({ length: train.seats }, (_, seat) => seat).filter((seat) => !this.seatTaken(sale, s, seat)).length);
  }

  /** Segments of the trip with no seat taken-free at all (quotas aside), as bits (bit i: segment from + i). */
  private fullMask(sale: ModelSale, from: number, to: number): number {
    const free = this.segmentAvailability(sale.spec.id)!;
    let mask = 0;
    for (let s = from; s < to; s++) if (free[s] === 0) mask += 2 ** (s - from);
    return mask;
  }

  reserveTrip(saleId: string, userId: string, requestKey: string, orderId: string, now: number, from: number, to: number): Answer {
    const sale = this.sales.get(saleId);
    const train = sale?.spec.train;
    if (!sale || !train) return { kind: 'not_found' };
    const segments = train.stations.length - 1;
    if (!(from >= 0 && to <= segments && from < to)) return { kind: 'bad_route' };
    const earlierId = sale.requests.get(requestKey);
    if (earlierId !== undefined) {
      const earlier = this.getOrder(earlierId)!;
      return earlier.userId === userId ? { kind: 'replayed', order: earlier } : { kind: 'key_reused' };
    }
    const { perUserLimit, holdSeconds, opensAt, closesAt } = sale.spec;
    if (closesAt !== null && now >= closesAt) return { kind: 'closed', closesAt };
    if (opensAt !== null && now < opensAt) return { kind: 'not_open', opensAt };
    const free = Array.from({ length: train.seats }, (_, seat) => seat).filter((seat) => this.freeFor(sale, seat, from, to, now));
    if (free.length === 0) {
      const holds = sale.orders.filter((o) => o.state === 'reserved').map((o) => o.expiresAt!);
      return { kind: 'sold_out', from, to, nextReleaseAt: holds.length > 0 ? Math.min(...holds) : 0, full: this.fullMask(sale, from, to) };
    }
    if (this.heldBy(sale, userId) >= perUserLimit) return { kind: 'limit_reached', perUserLimit };
    // best-fit: both neighbouring segments taken (the train's ends count as taken), else the lowest free seat; first-fit: the lowest.
    const before = (seat: number) => this.seatTaken(sale, from - 1, seat);
    const after = (seat: number) => this.seatTaken(sale, to, seat);
    const seat =
      train.seatChoice === 'first-fit'
        ? free[0]!
        : (free.find((s) => before(s) && after(s)) ?? free[0]!);
    const order: Order = {
      orderId,
      saleId,
      userId,
      state: holdSeconds > 0 ? 'reserved' : 'paid',
      createdAt: now,
      expiresAt: holdSeconds > 0 ? now + holdSeconds * 1000 : null,
      updatedAt: now,
      trip: { from, to, seat },
    };
    sale.orders.push(order);
    sale.requests.set(requestKey, orderId);
    sale.feed.push({ orderId, userId, state: order.state, at: now });
    const available = free.length - 1;
    return { kind: 'reserved', order, available, full: available === 0 ? this.fullMask(sale, from, to) : 0 };
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
