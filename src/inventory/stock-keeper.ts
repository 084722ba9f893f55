// The worker's half of the stock path: take a unit of the local allowance
// first (no I/O), and only then ask the ledger for the atomic reservation.
// Buyers past the stock are answered here and never reach the ledger.
import { randomBytes } from 'node:crypto';
import { LedgerUnavailableError, SpikeError } from '../errors/errors';
import type { Ledger, Order, Sale } from '../ledger/ledger';
import { LocalAllowance, weightedShare } from './local-allowance';
import { SaleDirectory } from './sale-directory';

export interface StockKeeperOptions {
  /** This worker's weight and the sum over all workers: the allowance is the weighted share. */
  readonly weight: number;
  readonly totalWeight: number;
  readonly localBuffer: number;
  /** Minimum time between two re-reads of the global remaining for one sale. */
  readonly allowanceRefreshMs: number;
  readonly saleViewTtlMs: number;
}

export interface AllowanceStats {
  readonly available: number;
  readonly soldOut: boolean;
  readonly extensions: number;
  readonly extendedUnits: number;
  readonly reserveCalls: number;
}

export interface PurchaseResult {
  readonly order: Order;
  /** False when an earlier request with the same key made this order. */
  readonly created: boolean;
}

interface Gate {
  readonly allowance: LocalAllowance;
  lastRefillAt: number;
  refilling?: Promise<void>;
  /** Reservations sent to the ledger for this sale, for the bench's ledger-call audit. */
  reserveCalls: number;
}

/**
 * A refusal known without any I/O, built once per sale: on sale day most
 * requests get one of these, so they must cost no allocation beyond the reply.
 */
export interface Refusal {
  readonly status: number;
  readonly body: string;
}

function refusal(error: SpikeError): Refusal {
  return { status: error.status, body: JSON.stringify(error.toJSON()) };
}

/** How long a worker trusts its own "sold out" before re-reading the ledger once. */
const SOLD_OUT_RECHECK_MS = 1000;

/**
 * A sold-out mark is trusted for SOLD_OUT_RECHECK_MS: stock-returned messages
 * clear it sooner, and the re-read after it covers a message that was missed.
 */
function trustsSoldOut(gate: Gate, now: number): boolean {
  return gate.allowance.soldOut && gate.allowance.soldOutFor(now) < SOLD_OUT_RECHECK_MS;
}

export function newOrderId(saleId: string): string {
  return `${saleId}.${randomBytes(9).toString('base64url')}`;
}

/**
 * The ledger's name for a purchase attempt. Keys are scoped per buyer, so one
 * buyer sending another's Idempotency-Key makes a purchase of its own: it can
 * neither read the other's order nor squat the key before them.
 */
export function requestKeyOf(userId: string, idempotencyKey: string): string {
  return `k:${userId}:${idempotencyKey}`;
}

export class StockKeeper {
  readonly sales: SaleDirectory;
  private readonly gates = new Map<string, Gate>();
  /** Resolves once returned-stock announcements reach this keeper; the worker waits for it before serving. */
  readonly listening: Promise<void>;
  private readonly refusals = new Map<string, { soldOut: Refusal; notOpen?: Refusal }>();

  constructor(private readonly ledger: Ledger, private readonly options: StockKeeperOptions) {
    this.sales = new SaleDirectory(ledger, options.saleViewTtlMs);
    this.listening = ledger.onStockReturned((saleId) => this.stockReturned(saleId));
  }

  /** Tickets of the sale went back on sale somewhere: this worker may sell them again. */
  stockReturned(saleId: string): void {
    this.gates.get(saleId)?.allowance.clearSoldOut();
    this.sales.invalidate(saleId);
  }

  /**
   * The answer for a buyer this worker can turn away without I/O or
   * allocation: the sale is known sold out, or not open yet. Undefined means
   * "go through purchase()". Requests with an Idempotency-Key never take this
   * path, since they may be retries of a purchase that succeeded.
   */
  quickRefusal(saleId: string, idempotencyKey: string | undefined, now: number): Refusal | undefined {
    if (idempotencyKey) return undefined;
    const sale = this.sales.peek(saleId);
    if (!sale) return undefined;
    if (sale.closesAt !== null && now >= sale.closesAt) return undefined;
    if (sale.opensAt !== null && now < sale.opensAt) return this.refusalsFor(sale).notOpen;
    const gate = this.gates.get(saleId);
    if (gate && trustsSoldOut(gate, now)) return this.refusalsFor(sale).soldOut;
    return undefined;
  }

  async purchase(saleId: string, userId: string, idempotencyKey?: string): Promise<PurchaseResult> {
    const sale = this.sales.peek(saleId) ?? (await this.sales.get(saleId));
    if (!sale) throw new SpikeError('SALE_NOT_FOUND', `no sale has id "${saleId}"`);
    const now = Date.now();

    if (sale.opensAt !== null && now < sale.opensAt) throw notOpen(sale.opensAt);
    if (sale.closesAt !== null && now >= sale.closesAt) return this.answerWithoutStock(sale, userId, idempotencyKey, now);

    const gate = this.gateFor(sale);
    if (!gate.allowance.take()) {
      if (!trustsSoldOut(gate, now)) await this.refill(sale, gate);
      if (!gate.allowance.take()) return this.answerWithoutStock(sale, userId, idempotencyKey, now);
    }

    // A buyer who sent no key gets one made here, so that a 503 can hand it
    // back and a retry with it can never reserve twice.
    const retryKey = idempotencyKey ?? `auto-${randomBytes(12).toString('base64url')}`;
    const requestKey = requestKeyOf(userId, retryKey);
    gate.reserveCalls++;
    let outcome;
    try {
      outcome = await this.ledger.reserve({ saleId, userId, requestKey, orderId: newOrderId(saleId), now });
    } catch (error) {
      gate.allowance.giveBack();
      if (error instanceof LedgerUnavailableError) {
        // The script may have run and only its reply was lost: the same key replays it safely.
        error.message += `; retry with the header Idempotency-Key: ${retryKey}`;
        error.headers = { 'idempotency-key': retryKey };
      }
      throw error;
    }

    switch (outcome.kind) {
      case 'reserved':
        this.sales.noteSold(saleId, outcome.sold);
        if (outcome.sold >= outcome.total) gate.allowance.markSoldOut();
        return { order: outcome.order, created: true };
      case 'replayed':
        gate.allowance.giveBack();
        return { order: outcome.order, created: false };
      case 'sold_out':
        gate.allowance.markSoldOut();
        this.sales.noteSold(saleId, outcome.total);
        throw soldOut(saleId);
      case 'limit_reached':
        gate.allowance.giveBack();
        throw new SpikeError('LIMIT_REACHED', `buyer "${userId}" already holds ${outcome.perUserLimit} ticket(s) of sale "${saleId}", the limit`);
      case 'key_reused':
        gate.allowance.giveBack();
        throw keyReused();
      case 'not_open':
        gate.allowance.giveBack();
        throw notOpen(outcome.opensAt);
      case 'closed':
        gate.allowance.giveBack();
        throw closed(outcome.closesAt);
      case 'not_found':
        this.gates.delete(saleId);
        throw new SpikeError('SALE_NOT_FOUND', `no sale has id "${saleId}"`);
    }
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

  private refusalsFor(sale: Sale): { soldOut: Refusal; notOpen?: Refusal } {
    let cached = this.refusals.get(sale.id);
    if (!cached) {
      cached = {
        soldOut: refusal(soldOut(sale.id)),
        notOpen: sale.opensAt === null ? undefined : refusal(notOpen(sale.opensAt)),
      };
      this.refusals.set(sale.id, cached);
    }
    return cached;
  }

  /**
   * No local stock: the answer costs no ledger reservation. A request that
   * carries an Idempotency-Key may be a retry of one that succeeded, so it
   * gets its order back (one cheap read) rather than a wrong "sold out".
   */
  private async answerWithoutStock(sale: Sale, userId: string, idempotencyKey: string | undefined, now: number): Promise<PurchaseResult> {
    if (idempotencyKey) {
      const order = await this.ledger.findByRequestKey(sale.id, requestKeyOf(userId, idempotencyKey));
      if (order) {
        if (order.userId !== userId) throw keyReused();
        return { order, created: false };
      }
    }
    if (sale.closesAt !== null && now >= sale.closesAt) throw closed(sale.closesAt);
    throw soldOut(sale.id);
  }

  private gateFor(sale: Sale): Gate {
    let gate = this.gates.get(sale.id);
    if (!gate) {
      const { weight, totalWeight, localBuffer } = this.options;
      const remaining = Math.max(0, sale.total - sale.sold);
      gate = { allowance: new LocalAllowance(Math.min(remaining, weightedShare(remaining, weight, totalWeight) + localBuffer)), lastRefillAt: Date.now(), reserveCalls: 0 };
      if (remaining === 0) gate.allowance.markSoldOut();
      this.gates.set(sale.id, gate);
    }
    return gate;
  }

  /**
   * The allowance ran dry: re-read the global remaining and take a fresh
   * share of it, so stock another worker never used (it died, or got less
   * traffic) is still sold. One read serves every waiting request, and reads
   * are spaced at least allowanceRefreshMs apart.
   */
  private refill(sale: Sale, gate: Gate): Promise<void> {
    if (gate.refilling) return gate.refilling;
    const wait = gate.lastRefillAt + this.options.allowanceRefreshMs - Date.now();
    gate.refilling = (async () => {
      try {
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        const allowance = gate.allowance;
        if (!allowance.soldOut && allowance.available > 0) return;
        const fresh = await this.sales.refresh(sale.id);
        gate.lastRefillAt = Date.now();
        if (!fresh) return;
        const remaining = fresh.total - fresh.sold;
        // Either way the mark is renewed from what the ledger just said, so
        // the next re-check is a full SOLD_OUT_RECHECK_MS away.
        allowance.clearSoldOut();
        if (remaining <= 0) {
          allowance.markSoldOut();
          return;
        }
        if (allowance.available > 0) return;
        const { weight, totalWeight, localBuffer } = this.options;
        allowance.extend(Math.min(remaining, weightedShare(remaining, weight, totalWeight) + localBuffer));
      } finally {
        gate.refilling = undefined;
      }
    })();
    return gate.refilling;
  }
}

function soldOut(saleId: string): SpikeError {
  return new SpikeError('SOLD_OUT', `sale "${saleId}" is sold out`);
}

function keyReused(): SpikeError {
  return new SpikeError('IDEMPOTENCY_KEY_REUSED', 'this Idempotency-Key was already used by another buyer; send a new key for a new purchase');
}

function notOpen(opensAt: number): SpikeError {
  return new SpikeError('NOT_OPEN', `the sale opens at ${new Date(opensAt).toISOString()}`);
}

function closed(closesAt: number): SpikeError {
  return new SpikeError('CLOSED', `the sale closed at ${new Date(closesAt).toISOString()}`);
}
