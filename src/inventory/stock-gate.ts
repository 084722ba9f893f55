// One sale's gate in a worker: its local allowance, and the refill that
// re-reads the global remaining when the allowance runs dry, so stock another
// worker never used (it died, or got less traffic) is still sold.
import { remainingStock, type Sale } from '../ledger';
import { LocalAllowance, weightedShare } from './local-allowance';
import type { SaleDirectory } from './sale-directory';

export interface GateShare {
  /** This worker's weight and the sum over all workers: the allowance is the weighted share. */
  readonly weight: number;
  readonly totalWeight: number;
  readonly localBuffer: number;
  /** Minimum time between two re-reads of the global remaining for one sale. */
  readonly allowanceRefreshMs: number;
}

/** How long a worker trusts its own "sold out" before re-reading the ledger once. */
export const SOLD_OUT_RECHECK_MS = 1000;

export class StockGate {
  readonly allowance: LocalAllowance;
  private lastRefillAt = Date.now();
  private refilling: Promise<void> | undefined;
  /** Reservations sent to the ledger for this sale, for the bench's ledger-call audit. */
  reserveCalls = 0;
  /** From the ledger's last sold_out: when its earliest pending hold runs out (0: none pending). */
  nextReleaseAt = 0;
  /** A buyer is at the ledger to learn nextReleaseAt (see mayAskForRelease). */
  private asking = false;
  private lastAskedAt = 0;

  constructor(sale: Sale, private readonly share: GateShare) {
    const remaining = remainingStock(sale);
    this.allowance = new LocalAllowance(this.shareOf(remaining));
    if (remaining === 0) this.allowance.markSoldOut();
  }

  /**
   * A sold-out mark is trusted for SOLD_OUT_RECHECK_MS: stock-returned messages
   * clear it sooner, and the re-read after it covers a message that was missed.
   */
  trustsSoldOut(now: number): boolean {
    return this.allowance.soldOut && this.allowance.soldOutFor(now) < SOLD_OUT_RECHECK_MS;
  }

  /**
   * No stock here, and this worker does not know when a held ticket may come
   * back, though the sale view says some are held (it learned of the sell-out
   * from the sale view, not from a sold_out of its own). Then one buyer at a
   * time, at most once per SOLD_OUT_RECHECK_MS, goes to the ledger: its
   * answer says when (or it buys a ticket that came back), and the buyers
   * after it are told from memory. True means this caller is that buyer, and
   * must call doneAsking() after.
   */
  mayAskForRelease(sale: Sale, now: number): boolean {
    if (this.asking || this.nextReleaseAt > now || sale.holdSeconds === 0 || sale.sold - sale.paid <= 0 || now - this.lastAskedAt < SOLD_OUT_RECHECK_MS) return false;
    this.asking = true;
    this.lastAskedAt = now;
    return true;
  }

  doneAsking(): void {
    this.asking = false;
  }

  /** Takes one unit, refilling from the ledger's remaining once if the allowance is dry; false means no stock here. */
  async take(sales: SaleDirectory, saleId: string, now: number): Promise<boolean> {
    if (this.allowance.take()) return true;
    if (!this.trustsSoldOut(now)) await this.refill(sales, saleId);
    return this.allowance.take();
  }

  /**
   * The sale was changed (total grown or shrunk, reopened): the allowance
   * becomes this worker's share of the new remaining, and the sold-out mark
   * follows what the ledger just said.
   */
  follow(sale: Sale): void {
    const remaining = remainingStock(sale);
    this.allowance.clearSoldOut();
    this.allowance.resize(this.shareOf(remaining));
    this.nextReleaseAt = 0;
    if (remaining === 0) this.allowance.markSoldOut();
  }

  private shareOf(remaining: number): number {
    const { weight, totalWeight, localBuffer } = this.share;
    return Math.min(remaining, weightedShare(remaining, weight, totalWeight) + localBuffer);
  }

  /** One read serves every waiting request, and reads are spaced at least allowanceRefreshMs apart. */
  private refill(sales: SaleDirectory, saleId: string): Promise<void> {
    if (this.refilling) return this.refilling;
    const wait = this.lastRefillAt + this.share.allowanceRefreshMs - Date.now();
    this.refilling = (async () => {
      try {
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        const allowance = this.allowance;
        if (!allowance.soldOut && allowance.available > 0) return;
        const fresh = await sales.refresh(saleId);
        this.lastRefillAt = Date.now();
        if (!fresh) return;
        const remaining = remainingStock(fresh);
        // Either way the mark is renewed from what the ledger just said, so
        // the next re-check is a full SOLD_OUT_RECHECK_MS away.
        allowance.clearSoldOut();
        if (remaining === 0) {
          allowance.markSoldOut();
          return;
        }
        if (allowance.available > 0) return;
        allowance.extend(this.shareOf(remaining));
      } finally {
        this.refilling = undefined;
      }
    })();
    return this.refilling;
  }
}
