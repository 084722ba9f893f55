// A worker's in-memory share of one sale's stock. Taking a unit costs no I/O;
// when the share is empty the worker answers at once instead of asking the ledger.

/** A worker's weighted share of `stock`, rounded up so that shares never strand a ticket. */
export function weightedShare(stock: number, weight: number, totalWeight: number): number {
  return Math.ceil((stock * weight) / totalWeight);
}

export class LocalAllowance {
  private units: number;
  /** The ledger said sold == total at this time; no unit is worth spending until stock comes back. */
  private soldOutSince: number | null = null;
  /** Units added after the first grant, for the Redis-calls audit. */
  extendedUnits = 0;
  extensions = 0;

  constructor(initial: number) {
    this.units = initial;
  }

  get available(): number {
    return this.units;
  }

  get soldOut(): boolean {
    return this.soldOutSince !== null;
  }

  /** How long the sale has been known sold out, in ms; 0 when it is not. */
  soldOutFor(now: number): number {
    return this.soldOutSince === null ? 0 : now - this.soldOutSince;
  }

  markSoldOut(now = Date.now()): void {
    if (this.soldOutSince === null) this.soldOutSince = now;
  }

  /** Stock came back (a hold expired, an order was cancelled): worth asking the ledger again. */
  clearSoldOut(): void {
    this.soldOutSince = null;
  }

  take(): boolean {
    if (this.soldOutSince !== null || this.units <= 0) return false;
    this.units--;
    return true;
  }

  /** A unit taken for a request the ledger did not sell (limit reached, error) comes back. */
  giveBack(): void {
    this.units++;
  }

  /** The sale changed (a new total, say): the allowance becomes this share, up or down. It only bounds calls; the ledger guards the stock. */
  resize(units: number): void {
    this.units = Math.max(0, units);
  }

  extend(units: number): void {
    this.units += units;
    this.extendedUnits += units;
    this.extensions++;
  }
}
