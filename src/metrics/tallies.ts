// Plain-number counters for the hot paths. Request handlers bump array slots;
// prom-client reads them only when someone scrapes (collect callbacks), so a
// sold-out refusal pays for an increment, never for a label lookup.

/** What a buyer was told, as spike_purchases_total's `outcome` label. */
export const PURCHASE_OUTCOMES = ['reserved', 'replayed', 'sold_out', 'limit_reached', 'not_open', 'closed', 'unavailable', 'key_reused'] as const;
export type PurchaseOutcome = (typeof PURCHASE_OUTCOMES)[number];
export const OUTCOME = Object.fromEntries(PURCHASE_OUTCOMES.map((name, index) => [name, index])) as { readonly [K in PurchaseOutcome]: number };

/** The tally slot of a reserve outcome's kind (src/ledger/outcomes.ts), or undefined for kinds not counted (not_found). */
export function outcomeIndex(kind: string): number | undefined {
  return Object.hasOwn(OUTCOME, kind) ? OUTCOME[kind as PurchaseOutcome] : undefined;
}

/** Purchases by sale and outcome. Sale ids are bounded: only sales that exist reach a count. */
export class PurchaseTally {
  readonly bySale = new Map<string, Float64Array>();

  /** The row of one sale; callers on the hot path keep it instead of looking it up each time. */
  row(saleId: string): Float64Array {
    let row = this.bySale.get(saleId);
    if (!row) {
      row = new Float64Array(PURCHASE_OUTCOMES.length);
      this.bySale.set(saleId, row);
    }
    return row;
  }

  add(saleId: string, outcome: number): void {
    this.row(saleId)[outcome]!++;
  }

  /** Zeroes every count in place: hot paths keep their rows. */
  reset(): void {
    for (const row of this.bySale.values()) row.fill(0);
  }
}

/** Histogram bucket bounds in seconds: from the microseconds of a refusal to a ledger timeout. */
export const LATENCY_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5] as const;

/** A histogram as plain numbers: counts per bucket (not cumulative; the last is above every bound), sum and count. */
export class LatencyTally {
  readonly counts: Float64Array;
  sum = 0;
  count = 0;

  constructor(readonly bounds: readonly number[] = LATENCY_BUCKETS) {
    this.counts = new Float64Array(bounds.length + 1);
  }

  observe(value: number): void {
    const bounds = this.bounds;
    let i = 0;
    while (i < bounds.length && value > bounds[i]!) i++;
    this.counts[i]!++;
    this.sum += value;
    this.count++;
  }

  reset(): void {
    this.counts.fill(0);
    this.sum = 0;
    this.count = 0;
  }
}

/** One route's answers: a count per HTTP status (indexed by status) and a latency histogram. */
export class RouteTally {
  readonly statuses = new Float64Array(600);
  readonly latency = new LatencyTally();

  answered(status: number, seconds: number): void {
    this.statuses[status < 600 ? status : 599]!++;
    this.latency.observe(seconds);
  }

  reset(): void {
    this.statuses.fill(0);
    this.latency.reset();
  }
}

/** HTTP answers by route pattern (bounded: the patterns the app registers). */
export class HttpTally {
  readonly routes = new Map<string, RouteTally>();

  route(route: string): RouteTally {
    let tally = this.routes.get(route);
    if (!tally) {
      tally = new RouteTally();
      this.routes.set(route, tally);
    }
    return tally;
  }

  /** Zeroes every route's counts in place: hot paths keep their RouteTally. */
  reset(): void {
    for (const tally of this.routes.values()) tally.reset();
  }
}

/** Ledger calls by command: durations, and errors by kind. */
export class LedgerTally {
  readonly calls = new Map<string, LatencyTally>();
  readonly errors = new Map<string, number>();

  command(name: string): LatencyTally {
    let tally = this.calls.get(name);
    if (!tally) {
      tally = new LatencyTally();
      this.calls.set(name, tally);
    }
    return tally;
  }

  error(kind: string): void {
    this.errors.set(kind, (this.errors.get(kind) ?? 0) + 1);
  }

  reset(): void {
    for (const tally of this.calls.values()) tally.reset();
    this.errors.clear();
  }
}
