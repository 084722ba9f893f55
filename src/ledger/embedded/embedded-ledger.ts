// The embedded ledger: the sale state machine held in the cluster primary,
// the one process every worker reaches, so each command runs alone with no
// lock. Each command decides its outcome and the events it causes; events are
// applied to memory and journaled, and no reply leaves before its events are
// on disk. Semantics match the Lua scripts in src/lua exactly.
import { LedgerUnavailableError } from '../../errors/errors';
import { Journal, type ReplayFigures } from './journal/journal';
import type { JournalEvent, OrderTransition, SaleCreated, TicketReserved } from './journal/journal-events';
import {
  saleIdOfOrder,
  type Actor,
  type CancelOutcome,
  type FeedEvent,
  type FeedPage,
  type Ledger,
  type Order,
  type OrderPage,
  type OrderState,
  type PayOutcome,
  type ReserveOutcome,
  type ReserveRequest,
  type Sale,
  type SaleAudit,
  type SaleSpec,
} from '../ledger';
import { ExpiryHeap, OrderTable } from './order-table';

interface SaleState {
  readonly record: SaleCreated;
  /** Tickets taken (held + paid); remaining = total - sold. */
  sold: number;
  paid: number;
  /** userId -> tickets held; a buyer at 0 is removed, as the Lua scripts do. */
  readonly buyers: Map<string, number>;
  readonly orders: OrderTable;
  /** requestKey -> index of the order it made */
  readonly requests: Map<string, number>;
  /** Unpaid holds by expiresAt, so expiry never scans the orders. */
  readonly holds: ExpiryHeap;
}

export interface LedgerState {
  readonly sales: Map<string, SaleState>;
}

export function emptyState(): LedgerState {
  return { sales: new Map() };
}

/** What a command decided: the reply, the events that make it true, and whether tickets went back on sale. */
interface Decision<T> {
  readonly result: T;
  readonly events: readonly JournalEvent[];
  /** The sale whose stock grew; announced to onStockReturned listeners once the events are durable. */
  readonly stockReturned?: string;
}

const nothing = <T>(result: T): Decision<T> => ({ result, events: [] });

function locate(state: LedgerState, orderId: string): { sale: SaleState; index: number } | null {
  const saleId = saleIdOfOrder(orderId);
  const sale = saleId === null ? undefined : state.sales.get(saleId);
  const index = sale?.orders.indexOf(orderId);
  return sale && index !== undefined ? { sale, index } : null;
}

/** An empty actor is an admin too, as in the Lua scripts (which receive "" for one). */
function mayAct(actor: Actor, userId: string): boolean {
  return !actor || actor === userId;
}

function wholeNumber(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`sale ${name} must be a whole number >= 0, got ${value}`);
  return value;
}

// ---- commands: read the state, never change it (expiry's index upkeep aside) --------------

export function decideCreateSale(state: LedgerState, spec: SaleSpec, now: number): Decision<Sale | null> {
  if (state.sales.has(spec.id)) return nothing(null);
  // A value the journal cannot hold (NaN) would make it unreadable at the next start.
  const event: SaleCreated = {
    type: 'sale_created',
    id: spec.id,
    name: spec.name,
    total: wholeNumber('total', spec.total),
    perUserLimit: wholeNumber('perUserLimit', spec.perUserLimit),
    holdSeconds: wholeNumber('holdSeconds', spec.holdSeconds ?? 0),
    opensAt: spec.opensAt ?? null,
    closesAt: spec.closesAt ?? null,
    createdAt: now,
    anonymous: spec.anonymous === true,
  };
  return { result: toSale(event, 0, 0), events: [event] };
}

export function decideReserve(state: LedgerState, request: ReserveRequest): Decision<ReserveOutcome> {
  const sale = state.sales.get(request.saleId);
  if (!sale) return nothing({ kind: 'not_found' });

  // A retry of a request that already succeeded gets the same order back,
  // whatever happened to the sale (and the order) since.
  const earlier = sale.requests.get(request.requestKey);
  if (earlier !== undefined) {
    return nothing(sale.orders.userId(earlier) === request.userId ? { kind: 'replayed', order: sale.orders.order(earlier) } : { kind: 'key_reused' });
  }

  const { opensAt, closesAt, total, perUserLimit, holdSeconds } = sale.record;
  if (opensAt !== null && request.now < opensAt) return nothing({ kind: 'not_open', opensAt });
  if (closesAt !== null && request.now >= closesAt) return nothing({ kind: 'closed', closesAt });
  // The seed checked total >= sold and so sold total + 1; strictly less is right.
  if (sale.sold >= total) return nothing({ kind: 'sold_out', total });
  if ((sale.buyers.get(request.userId) ?? 0) >= perUserLimit) return nothing({ kind: 'limit_reached', perUserLimit });

  const event: TicketReserved = {
    type: 'ticket_reserved',
    saleId: sale.record.id,
    userId: request.userId,
    requestKey: request.requestKey,
    orderId: request.orderId,
    createdAt: request.now,
  };
  const held = holdSeconds > 0;
  const order: Order = {
    orderId: request.orderId,
    saleId: sale.record.id,
    userId: request.userId,
    state: held ? 'reserved' : 'paid',
    createdAt: request.now,
    expiresAt: held ? request.now + holdSeconds * 1000 : null,
    updatedAt: request.now,
  };
  return { result: { kind: 'reserved', order, sold: sale.sold + 1, total }, events: [event] };
}

/** reserved -> paid; an overdue hold expires instead, in the same step, so a payment racing the sweep has one winner. */
export function decidePay(state: LedgerState, orderId: string, actor: Actor, now: number): Decision<PayOutcome> {
  const found = locate(state, orderId);
  if (!found) return nothing({ kind: 'not_found' });
  const { sale, index } = found;
  const orders = sale.orders;
  if (!mayAct(actor, orders.userId(index))) return nothing({ kind: 'forbidden' });
  const current = orders.state(index);
  if (current === 'paid') return nothing({ kind: 'paid', order: orders.order(index), replayed: true });
  if (current === 'cancelled') return nothing({ kind: 'cancelled', order: orders.order(index) });
  if (orders.isOverdue(index, now)) {
    return { result: { kind: 'expired', order: orders.orderAfter(index, 'expired', now) }, events: [{ type: 'order_expired', orderId, at: now }], stockReturned: sale.record.id };
  }
  if (current === 'expired') return nothing({ kind: 'expired', order: orders.order(index) });
  return { result: { kind: 'paid', order: orders.orderAfter(index, 'paid', now), replayed: false }, events: [{ type: 'order_paid', orderId, at: now }] };
}

/** reserved -> cancelled, releasing the ticket; an overdue hold becomes expired instead. */
export function decideCancel(state: LedgerState, orderId: string, actor: Actor, now: number): Decision<CancelOutcome> {
  const found = locate(state, orderId);
  if (!found) return nothing({ kind: 'not_found' });
  const { sale, index } = found;
  const orders = sale.orders;
  if (!mayAct(actor, orders.userId(index))) return nothing({ kind: 'forbidden' });
  const current = orders.state(index);
  if (current === 'cancelled') return nothing({ kind: 'cancelled', order: orders.order(index), replayed: true });
  if (current === 'paid') return nothing({ kind: 'paid', order: orders.order(index) });
  if (current === 'expired') return nothing({ kind: 'expired', order: orders.order(index) });
  const saleId = sale.record.id;
  if (orders.isOverdue(index, now)) {
    return { result: { kind: 'expired', order: orders.orderAfter(index, 'expired', now) }, events: [{ type: 'order_expired', orderId, at: now }], stockReturned: saleId };
  }
  return { result: { kind: 'cancelled', order: orders.orderAfter(index, 'cancelled', now), replayed: false }, events: [{ type: 'order_cancelled', orderId, at: now }], stockReturned: saleId };
}

/**
 * Up to `limit` due holds, earliest first, from the expiry index. This is the
 * one command that touches the state: it pops the index entries it looks at.
 * That is upkeep of an index, not a state change, and is safe because the
 * caller applies the decision in the same synchronous step.
 */
export function decideExpireHolds(state: LedgerState, saleId: string, now: number, limit: number): Decision<number> {
  const sale = state.sales.get(saleId);
  if (!sale) return nothing(0);
  const events: OrderTransition[] = [];
  while (events.length < limit && sale.holds.peekAt() <= now) {
    const index = sale.holds.pop();
    // Paid, cancelled or expired meanwhile: its entry was left for here to drop.
    if (sale.orders.isOverdue(index, now)) events.push({ type: 'order_expired', orderId: sale.orders.orderId(index), at: now });
  }
  return { result: events.length, events, stockReturned: events.length > 0 ? saleId : undefined };
}

export function getSale(state: LedgerState, saleId: string): Sale | null {
  const sale = state.sales.get(saleId);
  return sale ? toSale(sale.record, sale.sold, sale.paid) : null;
}

export function getOrder(state: LedgerState, orderId: string): Order | null {
  const found = locate(state, orderId);
  return found ? found.sale.orders.order(found.index) : null;
}

export function findByRequestKey(state: LedgerState, saleId: string, requestKey: string): Order | null {
  const sale = state.sales.get(saleId);
  const index = sale?.requests.get(requestKey);
  return sale && index !== undefined ? sale.orders.order(index) : null;
}

export function auditSale(state: LedgerState, saleId: string): SaleAudit | null {
  const sale = state.sales.get(saleId);
  if (!sale) return null;
  let buyersOverLimit = 0;
  for (const count of sale.buyers.values()) if (count > sale.record.perUserLimit) buyersOverLimit++;
  return { total: sale.record.total, sold: sale.sold, paid: sale.paid, orders: sale.orders.countByState(), buyers: sale.buyers.size, buyersOverLimit };
}

/** Everything a test or benchmark may check about a sale, beyond the audit: buyers' holdings, request keys, index sizes. */
export interface SaleFigures extends SaleAudit {
  /** Orders ever made, in any state. */
  readonly orderCount: number;
  /** Tickets the buyers hold between them; equals sold. */
  readonly held: number;
  readonly requestKeys: number;
  readonly feedEvents: number;
  /** Entries in the expiry index, including ones of orders paid or cancelled since. */
  readonly holdIndex: number;
}

export function saleFigures(state: LedgerState, saleId: string): SaleFigures | null {
  const audit = auditSale(state, saleId);
  const sale = state.sales.get(saleId);
  if (!audit || !sale) return null;
  let held = 0;
  for (const count of sale.buyers.values()) held += count;
  return { ...audit, orderCount: sale.orders.size, held, requestKeys: sale.requests.size, feedEvents: sale.orders.feedSize, holdIndex: sale.holds.size };
}

/** Positions and cursors are decimal counts; anything else (a Redis stream id's tail) counts by its leading digits. */
function position(text: string | null | undefined): number {
  const digits = text ? /^\d+/.exec(text) : null;
  return digits ? Number(digits[0]) : 0;
}

/** However selective the filter, one page never scans more than this many orders; the cursor resumes the scan. */
export const LIST_SCAN_BUDGET = 10_000;

export function listOrders(state: LedgerState, saleId: string, options: { state?: OrderState; cursor?: string | null; limit: number }): OrderPage {
  const sale = state.sales.get(saleId);
  if (!sale) return { orders: [], cursor: null };
  const table = sale.orders;
  const limit = Math.max(1, Math.floor(options.limit));
  const stop = Math.min(table.size, position(options.cursor) + Math.max(limit, LIST_SCAN_BUDGET));
  const orders: Order[] = [];
  let next = position(options.cursor);
  for (; next < stop && orders.length < limit; next++) {
    if (!options.state || table.hasState(next, options.state)) orders.push(table.order(next));
  }
  return { orders, cursor: next < table.size ? String(next) : null };
}

export function readFeed(state: LedgerState, saleId: string, after: string | null, limit: number): FeedPage {
  const sale = state.sales.get(saleId);
  if (!sale) return { events: [], last: after };
  const table = sale.orders;
  const events: FeedEvent[] = [];
  for (let at = position(after); at < table.feedSize && events.length < limit; at++) events.push(table.feedEvent(at));
  return { events, last: events.at(-1)?.id ?? after };
}

// ---- events: the only way the state changes, live and at replay ---------------------------

export function applyEvent(state: LedgerState, event: JournalEvent): void {
  switch (event.type) {
    case 'sale_created': {
      if (state.sales.has(event.id)) throw new Error(`sale "${event.id}" is created twice`);
      state.sales.set(event.id, {
        record: event,
        sold: 0,
        paid: 0,
        buyers: new Map(),
        orders: new OrderTable(event.id, event.holdSeconds * 1000),
        requests: new Map(),
        holds: new ExpiryHeap(),
      });
      return;
    }
    case 'ticket_reserved': {
      const sale = state.sales.get(event.saleId);
      if (!sale) throw new Error(`order ${event.orderId} is for sale "${event.saleId}", which was never created`);
      if (sale.requests.has(event.requestKey)) throw new Error(`request key ${event.requestKey} of sale "${event.saleId}" made two orders`);
      if (sale.orders.indexOf(event.orderId) !== undefined) throw new Error(`order ${event.orderId} is made twice`);
      const index = sale.orders.add(event.orderId, event.userId, event.createdAt);
      sale.sold++;
      sale.buyers.set(event.userId, (sale.buyers.get(event.userId) ?? 0) + 1);
      sale.requests.set(event.requestKey, index);
      const expiresAt = sale.orders.expiresAt(index);
      if (expiresAt === null) sale.paid++;
      else sale.holds.push(expiresAt, index);
      return;
    }
    case 'order_paid':
      return applyTransition(state, event, 'paid');
    case 'order_cancelled':
      return applyTransition(state, event, 'cancelled');
    case 'order_expired':
      return applyTransition(state, event, 'expired');
  }
}

function applyTransition(state: LedgerState, event: OrderTransition, to: OrderState): void {
  const found = locate(state, event.orderId);
  if (!found) throw new Error(`order ${event.orderId} cannot become ${to}: it was never made`);
  const { sale, index } = found;
  const from = sale.orders.state(index);
  if (from !== 'reserved') throw new Error(`order ${event.orderId} cannot become ${to}: it is ${from}, not reserved`);
  if (to === 'paid') {
    sale.paid++;
  } else {
    // The ticket goes back on sale: stock and the buyer's count. Its index entry is dropped by the next sweep.
    sale.sold--;
    const userId = sale.orders.userId(index);
    const held = (sale.buyers.get(userId) ?? 0) - 1;
    if (held > 0) sale.buyers.set(userId, held);
    else sale.buyers.delete(userId);
  }
  sale.orders.transition(index, to, event.at);
}

/** After replay the expiry index holds every hold ever made; keep only those still held. */
function compactHoldIndexes(state: LedgerState): void {
  for (const sale of state.sales.values()) {
    if (sale.holds.size === 0) continue;
    sale.holds.clear();
    for (let index = 0; index < sale.orders.size; index++) {
      if (sale.orders.state(index) === 'reserved') sale.holds.push(sale.orders.expiresAt(index)!, index);
    }
  }
}

function toSale(record: SaleCreated, sold: number, paid: number): Sale {
  return {
    id: record.id,
    name: record.name,
    total: record.total,
    perUserLimit: record.perUserLimit,
    holdSeconds: record.holdSeconds,
    opensAt: record.opensAt,
    closesAt: record.closesAt,
    anonymous: record.anonymous === true,
    sold,
    paid,
    createdAt: record.createdAt,
  };
}

// ---- the Ledger over state + journal -----------------------------------------------------

export interface EmbeddedLedgerOptions {
  readonly dataDir: string;
  readonly fsync: 'batch' | 'off';
  readonly log?: (line: string) => void;
  readonly warn?: (line: string) => void;
}

export class EmbeddedLedger implements Ledger {
  readonly description: string;
  private readonly stockListeners: Array<(saleId: string) => void> = [];
  private readonly warn: (line: string) => void;

  private constructor(
    private readonly state: LedgerState,
    private readonly journal: Journal,
    options: EmbeddedLedgerOptions,
  ) {
    this.description = embeddedDescription(options.dataDir, options.fsync);
    this.warn = options.warn ?? options.log ?? (() => {});
  }

  /** Replays the journal in dataDir (creating it if needed); throws on a corrupt journal. */
  static open(options: EmbeddedLedgerOptions): EmbeddedLedger {
    const log = options.log ?? (() => {});
    const warn = options.warn ?? log;
    if (options.fsync === 'off') {
      warn('JOURNAL_FSYNC=off: the embedded ledger does not fsync its journal. A buyer may hear "yes" for an order a power cut then erases. Use this for benchmarks only.');
    }
    const state = emptyState();
    const journal = Journal.open({ dataDir: options.dataDir, fsync: options.fsync === 'batch', log, warn }, (event) => applyEvent(state, event));
    compactHoldIndexes(state);
    const r = journal.replay;
    log(`journal ${journal.file}: replayed ${r.records} record(s), ${(r.bytes / 1e6).toFixed(1)} MB, in ${r.ms.toFixed(0)} ms`);
    return new EmbeddedLedger(state, journal, options);
  }

  get replayFigures(): ReplayFigures {
    return this.journal.replay;
  }

  get journalFigures() {
    return this.journal.figures;
  }

  async createSale(spec: SaleSpec, now: number): Promise<Sale | null> {
    return this.run(() => decideCreateSale(this.state, spec, now));
  }

  async getSale(saleId: string): Promise<Sale | null> {
    return this.read(getSale(this.state, saleId));
  }

  async reserve(request: ReserveRequest): Promise<ReserveOutcome> {
    return this.run(() => decideReserve(this.state, request));
  }

  async getOrder(orderId: string): Promise<Order | null> {
    return this.read(getOrder(this.state, orderId));
  }

  async findByRequestKey(saleId: string, requestKey: string): Promise<Order | null> {
    return this.read(findByRequestKey(this.state, saleId, requestKey));
  }

  async pay(orderId: string, actor: Actor, now: number): Promise<PayOutcome> {
    return this.run(() => decidePay(this.state, orderId, actor, now));
  }

  async cancel(orderId: string, actor: Actor, now: number): Promise<CancelOutcome> {
    return this.run(() => decideCancel(this.state, orderId, actor, now));
  }

  async expireHolds(saleId: string, now: number, limit: number): Promise<number> {
    return this.run(() => decideExpireHolds(this.state, saleId, now, limit));
  }

  async saleIds(): Promise<string[]> {
    return this.read([...this.state.sales.keys()]);
  }

  async listOrders(saleId: string, options: { state?: OrderState; cursor?: string | null; limit: number }): Promise<OrderPage> {
    return this.read(listOrders(this.state, saleId, options));
  }

  async readFeed(saleId: string, after: string | null, limit: number): Promise<FeedPage> {
    return this.read(readFeed(this.state, saleId, after, limit));
  }

  async audit(saleId: string): Promise<SaleAudit | null> {
    return this.read(auditSale(this.state, saleId));
  }

  /** The sale's figures now, synchronously, without waiting for the journal: for tests and benchmarks. */
  figures(saleId: string): SaleFigures | null {
    return saleFigures(this.state, saleId);
  }

  async onStockReturned(listener: (saleId: string) => void): Promise<void> {
    this.stockListeners.push(listener);
  }

  async ping(): Promise<void> {
    this.checkHealthy();
  }

  async close(): Promise<void> {
    await this.journal.close();
  }

  /** Decides, applies and journals; the reply waits until the events are durable, then returned stock is announced. */
  private async run<T>(decide: () => Decision<T>): Promise<T> {
    // Before deciding: expiry's decision pops index entries, which a refused command must not lose.
    this.checkHealthy();
    const decision = decide();
    for (const event of decision.events) {
      applyEvent(this.state, event);
      void this.journal.append(event);
    }
    const result = await this.read(decision.result);
    if (decision.stockReturned !== undefined) this.announce(decision.stockReturned);
    return result;
  }

  private announce(saleId: string): void {
    for (const listener of this.stockListeners) {
      try {
        listener(saleId);
      } catch (error) {
        this.warn(`a returned-stock listener failed for sale "${saleId}": ${(error as Error).message}`);
      }
    }
  }

  /**
   * A reply may reveal state a pending batch created (a replayed order, a sold
   * count), so every reply waits for what is already appended to be durable.
   * When nothing is pending this costs nothing.
   */
  private async read<T>(result: T): Promise<T> {
    try {
      await this.journal.durable();
    } catch (error) {
      throw new LedgerUnavailableError(`the embedded ledger cannot write its journal: ${(error as Error).message}`, error);
    }
    return result;
  }

  private checkHealthy(): void {
    const failed = this.journal.failed;
    if (failed) throw new LedgerUnavailableError(`the embedded ledger stopped after a journal failure; restart spike to recover from the journal (${failed.message})`, failed);
  }
}

export function embeddedDescription(dataDir: string, fsync: 'batch' | 'off'): string {
  return `embedded journal ${dataDir} (fsync ${fsync})`;
}
