// A worker's in-memory share of one sale's stock. Taking a unit costs no I/O;
// when the share is empty the worker answers at once instead of asking the ledger.

/** A worker's weighted share of `stock`, rounded up so that shares never strand a ticket. */
export function weightedShare(stock: number, weight: number, totalWeight: number): number {
  return Math.ceil((stock * weight) / totalWeight);
}

export class LocalAllowance {
  private units: number;
  /** The ledger said sold == total; no unit is worth spending until stock comes back. */
  soldOut = false;
  /** Units added after the first grant, for the Redis-calls audit. */
  extendedUnits = 0;
  extensions = 0;

  constructor(initial: number) {
    this.units = initial;
  }

  get available(): number {
    return this.units;
  }

  take(): boolean {
    if (this.soldOut || this.units <= 0) return false;
    this.units--;
    return true;
  }

  /** A unit taken for a request the ledger did not sell (limit reached, error) comes back. */
  giveBack(): void {
    this.units++;
  }

  extend(units: number): void {
    this.units += units;
    this.extendedUnits += units;
    this.extensions++;
  }
}
