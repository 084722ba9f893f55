// The embedded ledger: the sale state machine held in the cluster primary,
// the one process every worker reaches, so each command runs alone with no
// lock. Each command decides its outcome and the events it causes; events are
// applied to memory and journaled, and no reply leaves before its events are
// on disk. Semantics match src/lua/reserveTicket-4.lua and createSale-1.lua exactly.
import { LedgerUnavailableError } from '../errors/errors';
import { Journal, type ReplayFigures } from './journal/journal';
import type { JournalEvent, SaleCreated, TicketReserved } from './journal/journal-events';
import { saleIdOfOrder, type Ledger, type Order, type ReserveOutcome, type ReserveRequest, type Sale, type SaleSpec } from './ledger';

interface SaleState {
  readonly record: SaleCreated;
  sold: number;
  /** userId -> tickets held */
  readonly buyers: Map<string, number>;
  readonly orders: Map<string, Order>;
  /** requestKey -> the order it made */
  readonly requests: Map<string, Order>;
}

export interface LedgerState {
  readonly sales: Map<string, SaleState>;
}

export function emptyState(): LedgerState {
  return { sales: new Map() };
}

/** What a command decided: the reply, and the events that make it true. */
interface Decision<T> {
  readonly result: T;
  readonly events: readonly JournalEvent[];
}

// ---- commands: read the state, never change it -------------------------------------------

export function decideCreateSale(state: LedgerState, spec: SaleSpec, now: number): Decision<Sale | null> {
  if (state.sales.has(spec.id)) return { result: null, events: [] };
  const event: SaleCreated = {
    type: 'sale_created',
    id: spec.id,
    name: spec.name,
    total: spec.total,
    perUserLimit: spec.perUserLimit,
    opensAt: spec.opensAt ?? null,
    closesAt: spec.closesAt ?? null,
    createdAt: now,
  };
  return { result: toSale(event, 0), events: [event] };
}

export function decideReserve(state: LedgerState, request: ReserveRequest): Decision<ReserveOutcome> {
  const sale = state.sales.get(request.saleId);
  if (!sale) return { result: { kind: 'not_found' }, events: [] };

  // A retry of a request that already succeeded gets the same order back,
  // whatever happened to the sale since.
  const earlier = sale.requests.get(request.requestKey);
  if (earlier) {
    return { result: earlier.userId === request.userId ? { kind: 'replayed', order: earlier } : { kind: 'key_reused' }, events: [] };
  }

  const { opensAt, closesAt, total, perUserLimit } = sale.record;
  if (opensAt !== null && request.now < opensAt) return { result: { kind: 'not_open', opensAt }, events: [] };
  if (closesAt !== null && request.now >= closesAt) return { result: { kind: 'closed', closesAt }, events: [] };
  if (sale.sold >= total) return { result: { kind: 'sold_out', total }, events: [] };
  if ((sale.buyers.get(request.userId) ?? 0) >= perUserLimit) return { result: { kind: 'limit_reached', perUserLimit }, events: [] };

  const event: TicketReserved = {
    type: 'ticket_reserved',
    saleId: sale.record.id,
    userId: request.userId,
    requestKey: request.requestKey,
    orderId: request.orderId,
    createdAt: request.now,
  };
  return { result: { kind: 'reserved', order: toOrder(event), sold: sale.sold + 1, total }, events: [event] };
}

export function getSale(state: LedgerState, saleId: string): Sale | null {
  const sale = state.sales.get(saleId);
  return sale ? toSale(sale.record, sale.sold) : null;
}

export function getOrder(state: LedgerState, orderId: string): Order | null {
  const saleId = saleIdOfOrder(orderId);
  if (!saleId) return null;
  return state.sales.get(saleId)?.orders.get(orderId) ?? null;
}

export function findByRequestKey(state: LedgerState, saleId: string, requestKey: string): Order | null {
  return state.sales.get(saleId)?.requests.get(requestKey) ?? null;
}

/** The figures an audit compares: sold must equal orders, buyers' holdings must sum to sold. */
export function auditSale(state: LedgerState, saleId: string): { sold: number; total: number; orders: number; buyers: number; held: number; requestKeys: number } | null {
  const sale = state.sales.get(saleId);
  if (!sale) return null;
  let held = 0;
  for (const count of sale.buyers.values()) held += count;
  return { sold: sale.sold, total: sale.record.total, orders: sale.orders.size, buyers: sale.buyers.size, held, requestKeys: sale.requests.size };
}

// ---- events: the only way the state changes, live and at replay ---------------------------

export function applyEvent(state: LedgerState, event: JournalEvent): void {
  switch (event.type) {
    case 'sale_created': {
      if (state.sales.has(event.id)) throw new Error(`sale "${event.id}" is created twice`);
      state.sales.set(event.id, { record: event, sold: 0, buyers: new Map(), orders: new Map(), requests: new Map() });
      return;
    }
    case 'ticket_reserved': {
      const sale = state.sales.get(event.saleId);
      if (!sale) throw new Error(`order ${event.orderId} is for sale "${event.saleId}", which was never created`);
      if (sale.requests.has(event.requestKey)) throw new Error(`request key ${event.requestKey} of sale "${event.saleId}" made two orders`);
      // Share the sale's id string: a million orders should not hold a million copies.
      const order: Order = { orderId: event.orderId, saleId: sale.record.id, userId: event.userId, state: 'confirmed', createdAt: event.createdAt };
      sale.sold++;
      sale.buyers.set(event.userId, (sale.buyers.get(event.userId) ?? 0) + 1);
      sale.orders.set(event.orderId, order);
      sale.requests.set(event.requestKey, order);
      return;
    }
  }
}

function toSale(record: SaleCreated, sold: number): Sale {
  return {
    id: record.id,
    name: record.name,
    total: record.total,
    perUserLimit: record.perUserLimit,
    opensAt: record.opensAt,
    closesAt: record.closesAt,
    sold,
    createdAt: record.createdAt,
  };
}

function toOrder(event: Omit<TicketReserved, 'type' | 'requestKey'>): Order {
  return { orderId: event.orderId, saleId: event.saleId, userId: event.userId, state: 'confirmed', createdAt: event.createdAt };
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

  private constructor(
    private readonly state: LedgerState,
    private readonly journal: Journal,
    options: EmbeddedLedgerOptions,
  ) {
    this.description = embeddedDescription(options.dataDir, options.fsync);
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
    return this.run(decideCreateSale(this.state, spec, now));
  }

  async getSale(saleId: string): Promise<Sale | null> {
    return this.read(getSale(this.state, saleId));
  }

  async reserve(request: ReserveRequest): Promise<ReserveOutcome> {
    return this.run(decideReserve(this.state, request));
  }

  async getOrder(orderId: string): Promise<Order | null> {
    return this.read(getOrder(this.state, orderId));
  }

  async findByRequestKey(saleId: string, requestKey: string): Promise<Order | null> {
    return this.read(findByRequestKey(this.state, saleId, requestKey));
  }

  audit(saleId: string) {
    return auditSale(this.state, saleId);
  }

  async ping(): Promise<void> {
    this.checkHealthy();
  }

  async close(): Promise<void> {
    await this.journal.close();
  }

  /** Applies and journals a decision's events; the reply waits until they are durable. */
  private async run<T>(decision: Decision<T>): Promise<T> {
    this.checkHealthy();
    for (const event of decision.events) {
      applyEvent(this.state, event);
      void this.journal.append(event);
    }
    return this.read(decision.result);
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
