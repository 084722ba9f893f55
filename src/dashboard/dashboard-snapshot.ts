// The primary assembles what the dashboard shows, once per push whoever asks:
// the sales from the sale watch, the workers from the supervisor, and the
// counters from the same merged metrics /metrics serves.
import type { Ledger, QueueStatus } from '../ledger';
import { METRIC_NAMES, PURCHASE_OUTCOMES, type ClusterMetrics, type SaleWatch } from '../metrics';

export interface SnapshotSlot {
  readonly index: number;
  readonly weight: number;
  readonly state: string;
  readonly worker: { readonly process: { readonly pid?: number } } | undefined;
  readonly connections: number;
  readonly restarts: number;
  readonly outages: ReadonlyArray<{ readonly downAt: number; readonly upAt: number | null }>;
}

export interface SnapshotSources {
  readonly metrics: ClusterMetrics;
  readonly watch: SaleWatch;
  readonly slots: () => readonly SnapshotSlot[];
  readonly ledger: Ledger;
  readonly ledgerKind: string;
  readonly balancer: string;
  /** Queue sales' lines from the last queue tick. */
  readonly queues: ReadonlyMap<string, QueueStatus>;
}

interface Value {
  readonly value: number;
  readonly labels: Record<string, string | number>;
  readonly metricName?: string;
}

interface Family {
  readonly name: string;
  readonly values: Value[];
}

/** Cumulative bucket counts of a histogram, summed over the series the filter keeps. */
function histogram(family: Family | undefined, keep: (labels: Value['labels']) => boolean): { bounds: number[]; counts: number[]; sum: number; count: number } {
  const byBound = new Map<string, number>();
  let sum = 0;
  let count = 0;
  for (const v of family?.values ?? []) {
    if (!keep(v.labels)) continue;
    if (v.metricName?.endsWith('_bucket')) byBound.set(String(v.labels.le), (byBound.get(String(v.labels.le)) ?? 0) + v.value);
    else if (v.metricName?.endsWith('_sum')) sum += v.value;
    else if (v.metricName?.endsWith('_count')) count += v.value;
  }
  const bounds = [...byBound.keys()].filter((le) => le !== '+Inf').map(Number).sort((a, b) => a - b);
  return { bounds, counts: [...bounds.map((b) => byBound.get(String(b))!), byBound.get('+Inf') ?? 0], sum, count };
}

const PURCHASE_ROUTES = new Set(['POST /api/sales/:id/purchases', 'GET /buy/ticket', 'POST /api/trains/:id/purchases']);
const CACHE_MS = 400;

export class DashboardSnapshots {
  private cached: { at: number; text: Promise<string> } | undefined;

  constructor(private readonly s: SnapshotSources) {}

  /**
   * One snapshot serves every worker asking within CACHE_MS: the cluster is
   * gathered once per push. `fresh` skips the cache (a worker just went down or came up).
   */
  snapshot(fresh = false): Promise<string> {
    const now = Date.now();
    if (!fresh && this.cached && now - this.cached.at < CACHE_MS) return this.cached.text;
    const text = this.build().then((value) => JSON.stringify(value));
    this.cached = { at: now, text };
    text.catch(() => (this.cached = undefined));
    return text;
  }

  async build(): Promise<unknown> {
    const pingStarted = Date.now();
    const [merged, ping] = await Promise.all([
      this.s.metrics.merged().then((registry) => registry.getMetricsAsJSON() as Promise<unknown> as Promise<Family[]>),
      this.s.ledger.ping().then(
        () => ({ ok: true, ms: Date.now() - pingStarted, error: null as string | null }),
        (error: Error) => ({ ok: false, ms: Date.now() - pingStarted, error: error.message }),
      ),
    ]);
    const families = new Map(merged.map((family) => [family.name, family]));
    const values = (name: string) => families.get(name)?.values ?? [];

    const purchases = new Map<string, Record<string, number>>();
    for (const v of values(METRIC_NAMES.purchases)) {
      const sale = String(v.labels.sale);
      const row = purchases.get(sale) ?? Object.fromEntries(PURCHASE_OUTCOMES.map((o) => [o, 0]));
      row[String(v.labels.outcome)] = (row[String(v.labels.outcome)] ?? 0) + v.value;
      purchases.set(sale, row);
    }
    const holdsExpired = new Map(values(METRIC_NAMES.holdsExpired).map((v) => [String(v.labels.sale), v.value]));
    const requests = new Map(values(METRIC_NAMES.workerRequests).map((v) => [String(v.labels.worker), v.value]));
    const allowance = new Map<string, Record<string, number>>();
    for (const v of values(METRIC_NAMES.allowance)) {
      const row = allowance.get(String(v.labels.worker)) ?? {};
      row[String(v.labels.sale)] = v.value;
      allowance.set(String(v.labels.worker), row);
    }
    const ledgerErrors: Record<string, number> = {};
    for (const v of values(METRIC_NAMES.ledgerErrors)) ledgerErrors[String(v.labels.kind)] = (ledgerErrors[String(v.labels.kind)] ?? 0) + v.value;

    return {
      at: Date.now(),
      balancer: this.s.balancer,
      ledger: {
        kind: this.s.ledgerKind,
        description: this.s.ledger.description,
        healthy: ping.ok,
        pingMs: ping.ms,
        error: ping.error,
        errors: ledgerErrors,
        calls: histogram(families.get(METRIC_NAMES.ledgerDuration), () => true),
      },
      purchaseLatency: histogram(families.get(METRIC_NAMES.httpDuration), (labels) => PURCHASE_ROUTES.has(String(labels.route))),
      sales: this.s.watch.sales().map((sale) => ({
        id: sale.id,
        total: sale.total,
        sold: sale.sold,
        paid: sale.paid,
        reserved: sale.sold - sale.paid,
        remaining: sale.remaining,
        // A train's total and remaining are seat-segments; the page labels them so.
        train: sale.train ? { stations: sale.train.stations.length, seats: sale.train.seats } : null,
        opensAt: sale.opensAt,
        closesAt: sale.closesAt,
        firstSoldAt: sale.firstSoldAt,
        soldOutAt: sale.soldOutAt,
        purchases: purchases.get(sale.id) ?? {},
        holdsExpired: holdsExpired.get(sale.id) ?? 0,
        queue: queueFigures(this.s.queues.get(sale.id)),
      })),
      workers: this.s.slots().map((slot) => ({
        index: slot.index,
        weight: slot.weight,
        state: slot.state,
        pid: slot.worker?.process.pid ?? null,
        // handoff and proxy count the connections they hand over; in reuseport the kernel spreads them.
        connections: this.s.balancer !== 'reuseport' ? slot.connections : null,
        requests: requests.get(String(slot.index)) ?? null,
        restarts: slot.restarts,
        lastOutage: slot.outages.at(-1) ?? null,
        allowance: allowance.get(String(slot.index)) ?? {},
      })),
    };
  }
}

/** A queue sale's line for the page: who waits, who joined, who was admitted (the page derives the admit rate). */
function queueFigures(status: QueueStatus | undefined) {
  if (status === undefined) return null;
  const joined = status.pre + status.post;
  return { joined, admitted: Math.min(status.serving, joined), waiting: Math.max(0, joined - status.serving), drawn: status.drawn };
}
