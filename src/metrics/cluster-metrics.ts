// The primary's view of the whole cluster: its own registry plus a snapshot
// from every ready worker, merged with prom-client's aggregator (each metric
// says whether it is summed or kept apart by its `worker` label).
import { AggregatorRegistry, Registry } from 'prom-client';
import { definePrimaryMetrics, type PrimaryMetricSources } from './definitions';

/** One worker slot's answer: its process, and its registry as JSON (null: it did not answer in time). */
export interface WorkerSnapshot {
  readonly slot: number;
  readonly pid: number;
  readonly metrics: MetricJson[] | null;
}

export interface WorkerSnapshotSource {
  snapshots(): Promise<WorkerSnapshot[]>;
}

interface MetricJson {
  readonly name: string;
  readonly type: string;
  readonly [field: string]: unknown;
}

/** Counters and histograms only go up; gauges of a dead process mean nothing. */
function monotonic(metrics: MetricJson[]): MetricJson[] {
  return metrics.filter((metric) => metric.type === 'counter' || metric.type === 'histogram');
}

export class ClusterMetrics {
  readonly registry = new Registry();
  /** Each slot's last answer, kept for when its process is gone. */
  private readonly last = new Map<number, { pid: number; metrics: MetricJson[] }>();
  /**
   * The counters of processes that died, as of their last scrape: added to
   * the sums so that a worker's death does not make a cluster-wide counter go
   * down (Prometheus would read that as a reset of the whole sum).
   */
  private retired: MetricJson[] = [];

  constructor(sources: PrimaryMetricSources, private readonly workers: WorkerSnapshotSource) {
    definePrimaryMetrics(this.registry, sources);
  }

  private queue: Promise<unknown> = Promise.resolve();

  /** Every metric of every process, merged; a registry ready to print or read as JSON. */
  merged(): Promise<Registry> {
    // One at a time: two merges at once could retire the same dead process twice.
    const run = this.queue.then(() => this.mergeOnce());
    this.queue = run.catch(() => {});
    return run;
  }

  private async mergeOnce(): Promise<Registry> {
    const [own, answers] = await Promise.all([this.registry.getMetricsAsJSON(), this.workers.snapshots()]);
    const parts: unknown[][] = [own, this.retired];
    const answered = new Set<number>();
    for (const answer of answers) {
      const previous = this.last.get(answer.slot);
      if (previous && previous.pid !== answer.pid) await this.retire(previous.metrics);
      if (answer.metrics) {
        this.last.set(answer.slot, { pid: answer.pid, metrics: answer.metrics });
        parts.push(answer.metrics);
        answered.add(answer.slot);
      } else if (previous && previous.pid !== answer.pid) {
        this.last.delete(answer.slot);
      }
    }
    // A slot that did not answer (down, or busy) still counts what it counted.
    for (const [slot, previous] of this.last) if (!answered.has(slot)) parts.push(monotonic(previous.metrics));
    return AggregatorRegistry.aggregate(parts);
  }

  private async retire(metrics: MetricJson[]): Promise<void> {
    // Folded into one set of series, so restarts do not pile up snapshots.
    this.retired = (await AggregatorRegistry.aggregate([this.retired, monotonic(metrics)]).getMetricsAsJSON()) as unknown as MetricJson[];
  }

  /** The Prometheus text exposition for /metrics. */
  async text(): Promise<string> {
    return (await this.merged()).metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
