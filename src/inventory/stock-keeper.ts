// The worker's half of the stock path: take a unit of the local allowance
// first (no I/O), and only then ask the ledger for the atomic reservation.
// Buyers past the stock are answered here and never reach the ledger. It
// answers in the ledger's own outcome names; the HTTP layer turns those into
// replies from the one outcome table.
import { LedgerUnavailableError } from '../errors/errors';
import { saleWindow, type Ledger, type PassClaim, type ReserveOutcome, type Sale } from '../ledger';
import { newOrderId, newRetryKey, requestKeyOf } from './order-ids';
import { SaleDirectory } from './sale-directory';
import { StockGate, type GateShare } from './stock-gate';

export interface StockKeeperOptions extends GateShare {
  readonly saleViewTtlMs: number;
}

export interface AllowanceStats {
  readonly available: number;
  readonly soldOut: boolean;
  readonly extensions: number;
  readonly extendedUnits: number;
  readonly reserveCalls: number;
}

/** Refusals a worker can give from memory alone, without I/O or allocation. */
export type QuickRefusal = 'sold_out' | 'not_open' | 'closed';

export class StockKeeper {
  readonly sales: SaleDirectory;
  private readonly gates = new Map<string, StockGate>();
  /** Resolves once returned-stock and sale-changed announcements reach this keeper; the worker waits for it before serving. */
  readonly listening: Promise<void>;

  constructor(private readonly ledger: Ledger, private readonly options: StockKeeperOptions) {
    this.sales = new SaleDirectory(ledger, options.saleViewTtlMs);
    this.listening = Promise.all([
      ledger.onStockReturned((saleId) => this.stockReturned(saleId)),
      ledger.onSaleChanged((saleId) => void this.saleChanged(saleId)),
    ]).then(() => undefined);
  }

  /** This worker made the change and holds the ledger's answer: its view and allowance follow at once, with no read. */
  adopt(sale: Sale): void {
    this.sales.remember(sale);
    this.gates.get(sale.id)?.follow(sale);
  }

  /**
   * The sale itself changed (new total, times, closed, deleted): re-read it
   * now, and size this worker's allowance to the new remaining. The ledger's
   * own check guards the stock meanwhile; this only keeps the worker's view,
   * and so its cheap refusals, in step.
   */
  async saleChanged(saleId: string): Promise<void> {
    let fresh: Sale | null;
    try {
      fresh = await this.sales.reload(saleId);
    } catch {
      // The ledger is away: the view's next TTL re-read catches up.
      this.sales.invalidate(saleId);
      return;
    }
    if (!fresh) this.gates.delete(saleId);
    else this.gates.get(saleId)?.follow(fresh);
  }

  /** Tickets of the sale went back on sale somewhere: this worker may sell them again. */
  stockReturned(saleId: string): void {
    this.gates.get(saleId)?.allowance.clearSoldOut();
    this.sales.invalidate(saleId);
  }

  /**
   * The refusal for a buyer this worker can turn away without I/O: the sale
   * is known sold out, or not open yet. Undefined means "go through
   * purchase()". Requests with an Idempotency-Key never take this path, since
   * they may be retries of a purchase that succeeded.
   */
  quickRefusal(saleId: string, idempotencyKey: string | undefined, now: number): QuickRefusal | undefined {
    if (idempotencyKey) return undefined;
    const sale = this.sales.peek(saleId);
    if (!sale) return undefined;
    const window = saleWindow(sale, now);
    if (window !== 'open') return window;
    return this.gates.get(saleId)?.trustsSoldOut(now) ? 'sold_out' : undefined;
  }

  /** The cached sale, for building answers; never waits for I/O. */
  peekSale(saleId: string): Sale | null | undefined {
    return this.sales.peek(saleId);
  }

  /** When the sale's earliest pending hold runs out, as the ledger last said; 0 when none is known pending. */
  nextReleaseAt(saleId: string, now: number): number {
    const at = this.gates.get(saleId)?.nextReleaseAt ?? 0;
    return at > now ? at : 0;
  }

  async purchase(saleId: string, userId: string, idempotencyKey?: string, pass?: PassClaim): Promise<ReserveOutcome> {
    const sale = this.sales.peek(saleId) ?? (await this.sales.get(saleId));
    if (!sale) return { kind: 'not_found' };
    const now = Date.now();

    const window = saleWindow(sale, now);
    if (window === 'not_open') return { kind: 'not_open', opensAt: sale.opensAt! };
    if (window === 'closed') return this.answerWithoutStock(sale, userId, idempotencyKey, now);

    const gate = this.gateFor(sale);
    // Without a unit of the allowance, this buyer may still go to the ledger once, to learn when held tickets come back.
    const asking = !(await gate.take(this.sales, saleId, now));
    if (asking && !gate.mayAskForRelease(sale, now)) return this.answerWithoutStock(sale, userId, idempotencyKey, now);
    const giveBack = () => {
      if (!asking) gate.allowance.giveBack();
    };

    const retryKey = idempotencyKey ?? newRetryKey();
    gate.reserveCalls++;
    let outcome: ReserveOutcome;
    try {
      outcome = await this.ledger.reserve({ saleId, userId, requestKey: requestKeyOf(userId, retryKey), orderId: newOrderId(saleId), now, ...(pass ? { pass } : {}) });
    } catch (error) {
      giveBack();
      throw error instanceof LedgerUnavailableError ? error.retryWith(retryKey) : error;
    } finally {
      if (asking) gate.doneAsking();
    }

    switch (outcome.kind) {
      case 'reserved':
        this.sales.noteSold(saleId, outcome.sold);
        if (outcome.sold >= outcome.total) {
          // This worker answers the next buyers itself: it must know when a hold may free a ticket.
          gate.allowance.markSoldOut();
          gate.nextReleaseAt = outcome.nextReleaseAt;
        }
        break;
      case 'sold_out':
        gate.allowance.markSoldOut();
        gate.nextReleaseAt = outcome.nextReleaseAt;
        this.sales.noteSold(saleId, outcome.total);
        break;
      case 'not_found':
        this.gates.delete(saleId);
        break;
      case 'closed':
      case 'not_open':
        // The ledger knows the sale's times better than this worker's view: a
        // change whose announcement was missed. Re-read it, so the next buyers
        // are answered here again.
        giveBack();
        this.sales.refresh(saleId).catch(() => {});
        break;
      default:
        // Nothing was sold: replayed, limit_reached, key_reused, not_open, closed, a pass refused.
        giveBack();
    }
    return outcome;
  }

  /** Per-sale allowance figures, for /api/cluster and the bench audit. */
  allowanceStats(): Record<string, AllowanceStats> {
    const stats: Record<string, AllowanceStats> = {};
    for (const [saleId, gate] of this.gates) {
      const a = gate.allowance;
      stats[saleId] = { available: a.available, soldOut: a.soldOut, extensions: a.extensions, extendedUnits: a.extendedUnits, reserveCalls: gate.reserveCalls };
    }
    return stats;
  }

  /**
   * No local stock: the answer costs no ledger reservation. A request that
   * carries an Idempotency-Key may be a retry of one that succeeded, so it
   * gets its order back (one cheap read) rather than a wrong "sold out" -
   * but only its own buyer's order.
   */
  private async answerWithoutStock(sale: Sale, userId: string, idempotencyKey: string | undefined, now: number): Promise<ReserveOutcome> {
    if (idempotencyKey) {
      const order = await this.ledger.findByRequestKey(sale.id, requestKeyOf(userId, idempotencyKey));
      if (order) return order.userId === userId ? { kind: 'replayed', order } : { kind: 'key_reused' };
    }
    if (saleWindow(sale, now) === 'closed') return { kind: 'closed', closesAt: sale.closesAt! };
    return { kind: 'sold_out', total: sale.total, nextReleaseAt: this.nextReleaseAt(sale.id, now) };
  }

  private gateFor(sale: Sale): StockGate {
    let gate = this.gates.get(sale.id);
    if (!gate) {
      gate = new StockGate(sale, this.options);
      this.gates.set(sale.id, gate);
    }
    return gate;
  }
}
