// A worker's metrics: the tallies its request path bumps, and the registry
// that turns them into Prometheus figures when the primary asks over IPC.
import { Registry } from 'prom-client';
import { defineWorkerMetrics } from './definitions';
import { HttpTally, LedgerTally, PurchaseTally } from './tallies';

export interface WorkerMetricsOptions {
  readonly worker: number;
  readonly ledgerKind: string;
  readonly requests: () => number;
  readonly allowances: () => Record<string, { readonly available: number }>;
}

export class WorkerMetrics {
  readonly purchases = new PurchaseTally();
  readonly http = new HttpTally();
  readonly ledger = new LedgerTally();
  readonly registry = new Registry();

  constructor(options: WorkerMetricsOptions) {
    defineWorkerMetrics(this.registry, {
      worker: String(options.worker),
      ledgerKind: options.ledgerKind,
      purchases: this.purchases,
      http: this.http,
      ledger: this.ledger,
      requests: options.requests,
      allowances: options.allowances,
    });
  }

  /** Zeroes what the request path counted: the front's warm-up runs before the first buyer, and the figures start at that buyer. */
  forgetTraffic(): void {
    this.purchases.reset();
    this.http.reset();
    this.ledger.reset();
  }

  /** The registry as JSON, which the primary merges with the others (prom-client's cluster format). */
  snapshot(): Promise<unknown[]> {
    return this.registry.getMetricsAsJSON();
  }
}
