// Every metric spike exports, named and described in one place. Workers and
// the primary each fill their own registry from plain-number tallies at
// scrape time; the primary merges them (cluster-metrics.ts). Metrics without
// a `worker` label are summed over workers; those with one stay per worker.
import { collectDefaultMetrics, Counter, Gauge, type Registry } from 'prom-client';
import { PURCHASE_OUTCOMES, type HttpTally, type LatencyTally, type LedgerTally, type PurchaseTally } from './tallies';
import { registerTallyHistogram } from './tally-histogram';

export interface WorkerMetricSources {
  /** The worker's slot number, the `worker` label. */
  readonly worker: string;
  readonly ledgerKind: string;
  readonly purchases: PurchaseTally;
  readonly http: HttpTally;
  readonly ledger: LedgerTally;
  /** Requests this worker answered so far. */
  readonly requests: () => number;
  /** Units of each sale's local allowance this worker may still sell without asking the ledger. */
  readonly allowances: () => Record<string, { readonly available: number }>;
}

export interface SaleFigures {
  readonly id: string;
  readonly total: number;
  readonly sold: number;
  readonly paid: number;
  /** Left to sell, in the unit of total (a train's free seat-segments; see WatchedSale). */
  readonly remaining: number;
}

/** A queue sale's line, as the primary's last queue tick read it. */
export interface QueueFigures {
  readonly saleId: string;
  /** Places admitted so far (the serving counter). */
  readonly serving: number;
  /** Buyers who joined before opening, and after it. */
  readonly pre: number;
  readonly post: number;
}

export interface WorkerSlotFigures {
  readonly index: number;
  readonly state: string;
  readonly connections: number;
  readonly restarts: number;
}

export interface PrimaryMetricSources {
  readonly ledgerKind: string;
  readonly ledger: LedgerTally;
  readonly slots: () => readonly WorkerSlotFigures[];
  /** Proxy mode: the primary hands every connection to a worker and counts them. */
  readonly countsConnections: boolean;
  readonly sales: () => Iterable<SaleFigures>;
  /** Holds released by the primary's sweeper, by sale. */
  readonly holdsExpired: ReadonlyMap<string, number>;
  /** Queue sales' lines from the latest queue tick. */
  readonly queues: () => Iterable<QueueFigures>;
  /** Embedded ledger only: the journal's group commits. */
  readonly journal?: { readonly fsync: LatencyTally; readonly batchSize: LatencyTally };
}

/** Journal batch sizes in records: one buyer alone up to a burst of thousands sharing one fsync. */
export const BATCH_SIZE_BUCKETS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000] as const;

export const METRIC_NAMES = {
  httpRequests: 'spike_http_requests_total',
  httpDuration: 'spike_http_request_duration_seconds',
  purchases: 'spike_purchases_total',
  saleTickets: 'spike_sale_tickets',
  holdsExpired: 'spike_holds_expired_total',
  ledgerDuration: 'spike_ledger_call_duration_seconds',
  ledgerErrors: 'spike_ledger_errors_total',
  allowance: 'spike_allowance_units',
  workerRequests: 'spike_worker_requests_total',
  balancerConnections: 'spike_balancer_connections_total',
  workerUp: 'spike_worker_up',
  workerRestarts: 'spike_worker_restarts_total',
  queueWaiting: 'spike_queue_waiting',
  queueJoined: 'spike_queue_joined_total',
  queueAdmitted: 'spike_queue_admitted_total',
  journalFsync: 'spike_journal_fsync_duration_seconds',
  journalBatch: 'spike_journal_batch_size',
} as const;

function ledgerMetrics(registry: Registry, ledgerKind: string, tally: LedgerTally): void {
  registerTallyHistogram(registry, METRIC_NAMES.ledgerDuration, 'Time a ledger call took, seen by the caller (worker or primary), by command', function* () {
    for (const [command, latency] of tally.calls) yield [{ ledger: ledgerKind, command }, latency] as const;
  });
  new Counter({
    name: METRIC_NAMES.ledgerErrors,
    help: 'Ledger calls that failed, by kind: unavailable (no answer in LEDGER_TIMEOUT_MS) or error',
    labelNames: ['ledger', 'kind'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [kind, count] of tally.errors) this.inc({ ledger: ledgerKind, kind }, count);
    },
  });
}

export function defineWorkerMetrics(registry: Registry, s: WorkerMetricSources): void {
  collectDefaultMetrics({ register: registry, labels: { worker: s.worker } });
  new Counter({
    name: METRIC_NAMES.httpRequests,
    help: 'HTTP requests answered, by route pattern and status',
    labelNames: ['route', 'status'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [route, tally] of s.http.routes) {
        const statuses = tally.statuses;
        for (let status = 0; status < statuses.length; status++) if (statuses[status]! > 0) this.inc({ route, status: String(status) }, statuses[status]!);
      }
    },
  });
  registerTallyHistogram(registry, METRIC_NAMES.httpDuration, 'Time from a request reaching a worker to its answer, by route pattern', function* () {
    for (const [route, tally] of s.http.routes) yield [{ route }, tally.latency] as const;
  });
  new Counter({
    name: METRIC_NAMES.purchases,
    help: 'Purchase attempts by sale and what the buyer was told',
    labelNames: ['sale', 'outcome'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [sale, row] of s.purchases.bySale) {
        for (let i = 0; i < PURCHASE_OUTCOMES.length; i++) this.inc({ sale, outcome: PURCHASE_OUTCOMES[i]! }, row[i]!);
      }
    },
  });
  ledgerMetrics(registry, s.ledgerKind, s.ledger);
  new Gauge({
    name: METRIC_NAMES.allowance,
    help: "Tickets of a sale a worker may still sell from its local allowance before asking the ledger",
    labelNames: ['sale', 'worker'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [sale, stats] of Object.entries(s.allowances())) this.set({ sale, worker: s.worker }, stats.available);
    },
  });
  new Counter({
    name: METRIC_NAMES.workerRequests,
    help: 'HTTP requests a worker answered',
    labelNames: ['worker'],
    registers: [registry],
    collect() {
      this.reset();
      this.inc({ worker: s.worker }, s.requests());
    },
  });
}

export function definePrimaryMetrics(registry: Registry, s: PrimaryMetricSources): void {
  collectDefaultMetrics({ register: registry, labels: { worker: 'primary' } });
  new Gauge({
    name: METRIC_NAMES.saleTickets,
    help: "A sale's tickets by state: total, reserved (held for payment), paid, remaining",
    labelNames: ['sale', 'state'],
    registers: [registry],
    // Read from the ledger by the primary alone, so never summed over workers.
    aggregator: 'first',
    collect() {
      this.reset();
      for (const sale of s.sales()) {
        this.set({ sale: sale.id, state: 'total' }, sale.total);
        this.set({ sale: sale.id, state: 'reserved' }, sale.sold - sale.paid);
        this.set({ sale: sale.id, state: 'paid' }, sale.paid);
        // A train's total and remaining count seat-segments (seats x segments), its reserved and paid tickets.
        this.set({ sale: sale.id, state: 'remaining' }, sale.remaining);
      }
    },
  });
  new Counter({
    name: METRIC_NAMES.holdsExpired,
    help: 'Unpaid holds the primary released back to stock, by sale',
    labelNames: ['sale'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [sale, count] of s.holdsExpired) this.inc({ sale }, count);
    },
  });
  ledgerMetrics(registry, s.ledgerKind, s.ledger);
  new Gauge({
    name: METRIC_NAMES.workerUp,
    help: 'Whether a worker slot has a ready process (1) or not (0)',
    labelNames: ['worker'],
    registers: [registry],
    aggregator: 'first',
    collect() {
      this.reset();
      for (const slot of s.slots()) this.set({ worker: String(slot.index) }, slot.state === 'ready' ? 1 : 0);
    },
  });
  new Counter({
    name: METRIC_NAMES.workerRestarts,
    help: 'Times a worker slot was restarted after its process died',
    labelNames: ['worker'],
    registers: [registry],
    collect() {
      this.reset();
      for (const slot of s.slots()) this.inc({ worker: String(slot.index) }, slot.restarts);
    },
  });
  new Counter({
    name: METRIC_NAMES.balancerConnections,
    help: 'Connections the primary handed to a worker (BALANCER=proxy; in reuseport mode the kernel spreads them and nothing is counted)',
    labelNames: ['worker'],
    registers: [registry],
    collect() {
      this.reset();
      if (!s.countsConnections) return;
      for (const slot of s.slots()) this.inc({ worker: String(slot.index) }, slot.connections);
    },
  });
  queueMetrics(registry, s.queues);
  const journal = s.journal;
  registerTallyHistogram(registry, METRIC_NAMES.journalFsync, 'Time one journal batch took to write and fsync (embedded ledger)', function* () {
    if (journal) yield [{}, journal.fsync] as const;
  });
  registerTallyHistogram(registry, METRIC_NAMES.journalBatch, 'Records written by one journal batch, sharing one fsync (embedded ledger)', function* () {
    if (journal) yield [{}, journal.batchSize] as const;
  });
}

/** The waiting room, read by the primary's queue tick alone: never summed over workers. */
function queueMetrics(registry: Registry, queues: PrimaryMetricSources['queues']): void {
  new Gauge({
    name: METRIC_NAMES.queueWaiting,
    help: 'Buyers in a queue sale\'s line not yet admitted',
    labelNames: ['sale'],
    registers: [registry],
    aggregator: 'first',
    collect() {
      this.reset();
      for (const q of queues()) this.set({ sale: q.saleId }, Math.max(0, q.pre + q.post - q.serving));
    },
  });
  new Counter({
    name: METRIC_NAMES.queueJoined,
    help: 'Buyers who joined a queue sale\'s line (each buyer once), before and after opening',
    labelNames: ['sale'],
    registers: [registry],
    aggregator: 'first',
    collect() {
      this.reset();
      for (const q of queues()) this.inc({ sale: q.saleId }, q.pre + q.post);
    },
  });
  new Counter({
    name: METRIC_NAMES.queueAdmitted,
    help: 'Places in a queue sale\'s line admitted so far (each got a pass)',
    labelNames: ['sale'],
    registers: [registry],
    aggregator: 'first',
    collect() {
      this.reset();
      for (const q of queues()) this.inc({ sale: q.saleId }, Math.min(q.serving, q.pre + q.post));
    },
  });
}
