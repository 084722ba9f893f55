// The worker's half of a train purchase: the train's gate first (its
// per-segment allowance and sold-out memory, no I/O), and only then the
// ledger's atomic trip reservation. Also the per-worker availability cache,
// so a crowd polling GET .../availability costs one ledger read per trip per
// 250 ms, not one per poll.
import { LedgerUnavailableError } from '../errors/errors';
import { saleWindow, segmentCount, type Ledger, type Order, type ReserveTripOutcome, type Sale, type TrainLayout } from '../ledger';
import { newOrderId, newRetryKey, requestKeyOf } from '../inventory/order-ids';
import type { SaleDirectory } from '../inventory/sale-directory';
import { TrainGate, type TrainGateShare } from './train-gate';
import { isTrain } from './train-views';

/** The oldest availability a worker answers with. */
export const AVAILABILITY_TTL_MS = 250;

export interface TrainStats {
  readonly ledgerCalls: number;
  readonly reserveCalls: number;
  readonly extensions: number;
}

interface CachedCount {
  available: number | null;
  asOf: number;
  loading?: Promise<void>;
}

export class TrainKeeper {
  private readonly gates = new Map<string, TrainGate>();
  private readonly counts = new Map<string, CachedCount>();
  readonly listening: Promise<void>;

  constructor(private readonly ledger: Ledger, readonly sales: SaleDirectory, private readonly share: TrainGateShare) {
    // Seats came back somewhere (a hold expired, an order was cancelled): only
    // the sold-out marks over that range go. One announcement missed (a
    // reconnect) is covered by the marks lapsing (see MAX_SOLD_OUT_TRUST_MS).
    this.listening = ledger.onSeatsReleased((release) => this.gates.get(release.trainId)?.released(release.from, release.to));
  }

  /** The train as this worker last read it; null when there is no such train (or the id is a plain sale's). */
  async train(trainId: string): Promise<(Sale & { train: TrainLayout }) | null> {
    const sale = this.sales.peek(trainId) ?? (await this.sales.get(trainId));
    return isTrain(sale) ? sale : null;
  }

  /** An order of this train was cancelled or expired through this worker: its segments sell again here at once. */
  released(order: Order): void {
    if (order.trip) this.gates.get(order.saleId)?.released(order.trip.from, order.trip.to);
  }

  async purchase(trainId: string, userId: string, idempotencyKey: string | undefined, from: number, to: number): Promise<ReserveTripOutcome> {
    const train = await this.train(trainId);
    if (!train) return { kind: 'not_found' };
    const now = Date.now();
    const window = saleWindow(train, now);
    if (window === 'not_open') return { kind: 'not_open', opensAt: train.opensAt! };
    if (window === 'closed') return this.answerWithoutStock(train, userId, idempotencyKey, from, to);

    const gate = this.gateFor(train);
    // A quota's seats joined the general pool: short trips it refused may sell now.
    if (gate.passedQuotaRelease(train.train.quotas, now)) gate.released();
    const read = () => this.ledger.segmentAvailability(trainId);
    if (!(await gate.take(from, to, now, read, train.train.quotas))) return this.answerWithoutStock(train, userId, idempotencyKey, from, to);

    const retryKey = idempotencyKey ?? newRetryKey();
    gate.reserveCalls++;
    gate.ledgerCalls++;
    let outcome: ReserveTripOutcome;
    try {
      outcome = await this.ledger.reserveTrip({ saleId: trainId, userId, requestKey: requestKeyOf(userId, retryKey), orderId: newOrderId(trainId), now, from, to });
    } catch (error) {
      gate.giveBack(from, to);
      throw error instanceof LedgerUnavailableError ? error.retryWith(retryKey) : error;
    }
    switch (outcome.kind) {
      case 'reserved':
        gate.sold(from, to, outcome.available, outcome.full, Date.now());
        break;
      case 'sold_out':
        gate.refused(from, to, outcome.full, Date.now());
        break;
      case 'not_found':
        this.gates.delete(trainId);
        break;
      case 'closed':
      case 'not_open':
        gate.giveBack(from, to);
        this.sales.refresh(trainId).catch(() => {});
        break;
      default:
        // Nothing was sold: replayed, limit_reached, key_reused, bad_route.
        gate.giveBack(from, to);
    }
    return outcome;
  }

  /** Seats free for the trip, read from the ledger at most once per AVAILABILITY_TTL_MS per trip in this worker. */
  async availability(trainId: string, from: number, to: number): Promise<{ available: number | null; asOf: number }> {
    const key = `${trainId}\n${from}\n${to}`;
    let entry = this.counts.get(key);
    if (entry && Date.now() - entry.asOf < AVAILABILITY_TTL_MS) return entry;
    if (!entry) {
      entry = { available: null, asOf: 0 };
      // Bounded: trips of known trains only (the caller checked the route), and old ones are dropped.
      if (this.counts.size > 10_000) this.counts.clear();
      this.counts.set(key, entry);
    }
    const cached = entry;
    cached.loading ??= (async () => {
      try {
        const asOf = Date.now();
        cached.available = await this.ledger.tripAvailability(trainId, from, to, asOf);
        cached.asOf = asOf;
      } finally {
        cached.loading = undefined;
      }
    })();
    await cached.loading;
    return cached;
  }

  /** Per-train gate figures, for /api/cluster and the tests' ledger-call audit. */
  stats(): Record<string, TrainStats> {
    const stats: Record<string, TrainStats> = {};
    for (const [trainId, gate] of this.gates) stats[trainId] = { ledgerCalls: gate.ledgerCalls, reserveCalls: gate.reserveCalls, extensions: gate.extensions };
    return stats;
  }

  /** No local stock: a retry with an Idempotency-Key gets its order back (one read); others hear sold out, with no ledger call. */
  private async answerWithoutStock(train: Sale, userId: string, idempotencyKey: string | undefined, from: number, to: number): Promise<ReserveTripOutcome> {
    if (idempotencyKey) {
      const order = await this.ledger.findByRequestKey(train.id, requestKeyOf(userId, idempotencyKey));
      if (order) return order.userId === userId ? { kind: 'replayed', order } : { kind: 'key_reused' };
    }
    if (saleWindow(train, Date.now()) === 'closed') return { kind: 'closed', closesAt: train.closesAt! };
    return { kind: 'sold_out', from, to, nextReleaseAt: 0, full: 0 };
  }

  private gateFor(train: Sale & { train: TrainLayout }): TrainGate {
    let gate = this.gates.get(train.id);
    if (!gate) {
      gate = new TrainGate(train.train.seats, segmentCount(train.train), this.share);
      this.gates.set(train.id, gate);
    }
    return gate;
  }
}
