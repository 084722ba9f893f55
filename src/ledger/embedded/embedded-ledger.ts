// The embedded ledger: the sale state machine held in the cluster primary,
// the one process every worker reaches, so each command runs alone with no
// lock. A command decides (decisions.ts), its events are applied to memory
// (apply-event.ts) and journaled, and no reply leaves before its events are on disk.
import { LedgerUnavailableError } from '../../errors/errors';
import type { Ledger } from '../ledger';
import type { CancelOutcome, CheckInOutcome, CloseSaleOutcome, DeleteSaleOutcome, RetireSaleOutcome, JoinOutcome, PayOutcome, ReserveOutcome, ReserveTripOutcome, UpdateSaleOutcome } from '../outcomes';
import type { Actor, CheckInRequest, FeedPage, JoinRequest, Order, OrderPage, OrderState, QueueStatus, ReserveRequest, Sale, SaleAudit, SaleChanges, SalePage, SaleSpec, SeatsReleased, TicketCounts, TrainAudit, TrainSpec, TripRequest } from '../types';
import { applyEvent, compactHoldIndexes } from './apply-event';
import { decideAdvanceQueue, decideCancel, decideCheckIn, decideCloseSale, decideIssueTickets, decideCreateSale, decideDeleteSale, decideExpireHolds, decideJoinQueue, decidePay, decideReserve, decideRetireSale, decideUpdateSale, feedMark, type Decision } from './decisions';
import { Journal, type ReplayFigures } from './journal/journal';
import type { JournalFileOps, WriterStats } from './journal/journal-writer';
import { decideCreateTrain, decideReserveTrip } from './train-decisions';
import { auditSale, auditTrain, tripAvailability, findByRequestKey, getOrder, getSale, listOrders, listSales, readFeed, saleFigures, ticketCounts, type SaleFigures } from './queries';
import { emptyState, type LedgerState } from './state';
import { Compactor } from './snapshot/compactor';
import { SnapshotLoader } from './snapshot/snapshot-codec';
import type { ThreadPriority } from '../../system/thread-priority';

export interface EmbeddedLedgerOptions {
  readonly dataDir: string;
  readonly fsync: 'batch' | 'off';
  readonly log?: (line: string) => void;
  readonly warn?: (line: string) => void;
  /** The journal's write and fsync; tests inject a slow or failing disk here. */
  readonly fileOps?: JournalFileOps;
  /** Each sale's feed keeps at least its last this many events (FEED_MAX_EVENTS); unset: all. */
  readonly feedMaxEvents?: number;
  /** Compact the journal (snapshot plus tail, on a worker thread) once the active journal passes this many bytes; 0 or unset: never by size. */
  readonly compactBytes?: number;
  /** The compaction thread's CPU priority (JOURNAL_COMPACT_NICE); unset: as the primary's. */
  readonly compactPriority?: ThreadPriority;
}

/** What the embedded ledger can tell about itself beyond the Ledger contract: for tests, the bench and diagnostics. */
export interface EmbeddedDiagnostics {
  /** The sale's figures now, synchronously, without waiting for the journal. */
  saleFigures(saleId: string): SaleFigures | null;
  readonly replay: ReplayFigures;
  readonly journal: WriterStats;
}

export function embeddedDescription(dataDir: string, fsync: 'batch' | 'off'): string {
  return `embedded journal ${dataDir} (fsync ${fsync})`;
}

export class EmbeddedLedger implements Ledger {
  readonly description: string;
  private readonly stockListeners: Array<(saleId: string) => void> = [];
  private readonly saleListeners: Array<(saleId: string) => void> = [];
  private readonly seatListeners: Array<(release: SeatsReleased) => void> = [];
  private readonly warn: (line: string) => void;

  /** Rotates the journal and folds it into a snapshot off the event loop (JOURNAL_COMPACT_MB). */
  readonly compactor: Compactor;

  private constructor(
    private readonly state: LedgerState,
    private readonly journal: Journal,
    options: EmbeddedLedgerOptions,
  ) {
    this.description = embeddedDescription(options.dataDir, options.fsync);
    this.warn = options.warn ?? options.log ?? (() => {});
    this.compactor = new Compactor(journal, { thresholdBytes: options.compactBytes ?? 0, feedMaxEvents: options.feedMaxEvents ?? Infinity, priority: options.compactPriority, log: options.log ?? (() => {}), warn: this.warn });
  }

  /** Replays the journal in dataDir (creating it if needed); throws on a corrupt journal. */
  static open(options: EmbeddedLedgerOptions): EmbeddedLedger {
    const log = options.log ?? (() => {});
    const warn = options.warn ?? log;
    if (options.fsync === 'off') {
      warn('JOURNAL_FSYNC=off: the embedded ledger does not fsync its journal. A buyer may hear "yes" for an order a power cut then erases. Use this for benchmarks only.');
    }
    const state = emptyState(options.feedMaxEvents);
    const loader = new SnapshotLoader(state);
    const snapshot = { record: (payload: string) => loader.record(payload), finish: () => (loader.finish(), loader.gen) };
    const journal = Journal.open({ dataDir: options.dataDir, fsync: options.fsync === 'batch', log, warn, fileOps: options.fileOps }, (event) => applyEvent(state, event), snapshot);
    compactHoldIndexes(state);
    const r = journal.replay;
    const loaded = r.snapshotRecords > 0 ? `loaded a snapshot of ${r.snapshotRecords} record(s), ${(r.snapshotBytes / 1e6).toFixed(1)} MB, and ` : '';
    log(`journal ${journal.file}: ${loaded}replayed ${r.records} record(s), ${(r.bytes / 1e6).toFixed(1)} MB, in ${r.ms.toFixed(0)} ms`);
    const ledger = new EmbeddedLedger(state, journal, options);
    // Segments left by a compaction that did not finish (a crash, a stop) are folded in now, off the event loop.
    if (journal.segments().length > 0) void ledger.compactor.compact(false);
    return ledger;
  }

  get diagnostics(): EmbeddedDiagnostics {
    const { state, journal } = this;
    return {
      saleFigures: (saleId) => saleFigures(state, saleId),
      replay: journal.replay,
      journal: journal.figures,
    };
  }

  createSale(spec: SaleSpec, now: number): Promise<Sale | null> {
    return this.run(() => decideCreateSale(this.state, spec, now));
  }

  getSale(saleId: string): Promise<Sale | null> {
    return this.read(getSale(this.state, saleId));
  }

  listSales(cursor: string | null, limit: number): Promise<SalePage> {
    return this.read(listSales(this.state, cursor, limit));
  }

  updateSale(saleId: string, changes: SaleChanges, now: number): Promise<UpdateSaleOutcome> {
    return this.run(() => decideUpdateSale(this.state, saleId, changes, now));
  }

  closeSale(saleId: string, now: number): Promise<CloseSaleOutcome> {
    return this.run(() => decideCloseSale(this.state, saleId, now));
  }

  deleteSale(saleId: string): Promise<DeleteSaleOutcome> {
    return this.run(() => decideDeleteSale(this.state, saleId, Date.now()));
  }

  feedMark(saleId: string): Promise<string | null> {
    return this.read(feedMark(this.state, saleId));
  }

  retireSale(saleId: string, mark: string, closedBefore: number, now: number): Promise<RetireSaleOutcome> {
    return this.run(() => decideRetireSale(this.state, saleId, mark, closedBefore, now));
  }

  reserve(request: ReserveRequest): Promise<ReserveOutcome> {
    return this.run(() => decideReserve(this.state, request));
  }

  createTrain(spec: TrainSpec, now: number): Promise<Sale | null> {
    return this.run(() => decideCreateTrain(this.state, spec, now));
  }

  reserveTrip(request: TripRequest): Promise<ReserveTripOutcome> {
    return this.run(() => decideReserveTrip(this.state, request));
  }

  tripAvailability(trainId: string, from: number, to: number, now?: number): Promise<number | null> {
    return this.read(tripAvailability(this.state, trainId, from, to, now ?? Date.now()));
  }

  segmentAvailability(trainId: string): Promise<number[] | null> {
    const seatMap = this.state.sales.get(trainId)?.seatMap;
    return this.read(seatMap ? Array.from({ length: seatMap.segmentCount }, (_, s) => seatMap.seats - seatMap.takenOn(s)) : null);
  }

  auditTrain(trainId: string): Promise<TrainAudit | null> {
    return this.read(auditTrain(this.state, trainId));
  }

  getOrder(orderId: string): Promise<Order | null> {
    return this.read(getOrder(this.state, orderId));
  }

  findByRequestKey(saleId: string, requestKey: string): Promise<Order | null> {
    return this.read(findByRequestKey(this.state, saleId, requestKey));
  }

  pay(orderId: string, actor: Actor, now: number): Promise<PayOutcome> {
    return this.run(() => decidePay(this.state, orderId, actor, now));
  }

  cancel(orderId: string, actor: Actor, now: number): Promise<CancelOutcome> {
    return this.run(() => decideCancel(this.state, orderId, actor, now));
  }

  expireHolds(saleId: string, now: number, limit: number): Promise<number> {
    return this.run(() => decideExpireHolds(this.state, saleId, now, limit));
  }

  dueSales(now: number, limit: number): Promise<string[]> {
    // In memory a look at each sale's earliest hold costs no I/O; only the due ones get a journaled call.
    const due: string[] = [];
    for (const [saleId, sale] of this.state.sales) {
      if (due.length >= limit) break;
      if (sale.holds.peekAt() <= now) due.push(saleId);
    }
    return this.read(due);
  }

  joinQueue(request: JoinRequest): Promise<JoinOutcome> {
    return this.run(() => decideJoinQueue(this.state, request));
  }

  advanceQueue(saleId: string, now: number): Promise<QueueStatus | null> {
    return this.run(() => decideAdvanceQueue(this.state, saleId, now));
  }

  issueTickets(saleId: string, now: number, limit: number): Promise<number> {
    return this.run(() => decideIssueTickets(this.state, saleId, now, limit));
  }

  checkIn(request: CheckInRequest): Promise<CheckInOutcome> {
    return this.run(() => decideCheckIn(this.state, request));
  }

  ticketCounts(saleId: string): Promise<TicketCounts | null> {
    return this.read(ticketCounts(this.state, saleId));
  }

  saleIds(): Promise<string[]> {
    return this.read([...this.state.sales.keys()]);
  }

  listOrders(saleId: string, options: { state?: OrderState; cursor?: string | null; limit: number }): Promise<OrderPage> {
    return this.read(listOrders(this.state, saleId, options));
  }

  readFeed(saleId: string, after: string | null, limit: number): Promise<FeedPage> {
    return this.read(readFeed(this.state, saleId, after, limit));
  }

  audit(saleId: string): Promise<SaleAudit | null> {
    return this.read(auditSale(this.state, saleId));
  }

  async onStockReturned(listener: (saleId: string) => void): Promise<void> {
    this.stockListeners.push(listener);
  }

  async onSaleChanged(listener: (saleId: string) => void): Promise<void> {
    this.saleListeners.push(listener);
  }

  async onSeatsReleased(listener: (release: SeatsReleased) => void): Promise<void> {
    this.seatListeners.push(listener);
  }

  async ping(): Promise<void> {
    this.checkHealthy();
  }

  async close(): Promise<void> {
    await this.compactor.close();
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
    if (decision.events.length > 0) this.compactor.check();
    const result = await this.read(decision.result);
    if (decision.stockReturned !== undefined) this.announce(this.stockListeners, decision.stockReturned, 'returned-stock');
    if (decision.saleChanged !== undefined) this.announce(this.saleListeners, decision.saleChanged, 'sale-changed');
    for (const release of decision.seatsReleased ?? []) this.announce(this.seatListeners, release, 'seats-released');
    return result;
  }

  private announce<T extends string | SeatsReleased>(listeners: ReadonlyArray<(value: T) => void>, value: T, what: string): void {
    for (const listener of listeners) {
      try {
        listener(value);
      } catch (error) {
        const saleId = typeof value === 'string' ? value : value.trainId;
        this.warn(`a ${what} listener failed for sale "${saleId}": ${(error as Error).message}`);
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
