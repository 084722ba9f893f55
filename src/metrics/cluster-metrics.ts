// The primary's view of the whole cluster: its own registry plus a snapshot
// from every ready worker, merged with prom-client's aggregator (each metric
// says whether it is summed or kept apart by its `worker` label).
import { AggregatorRegistry, Registry } from 'prom-client';
import { definePrimaryMetrics, type PrimaryMetricSources } from './definitions';

export interface WorkerSnapshotSource {
  /** Each ready worker's registry as JSON; a worker that does not answer in time is left out. */
  snapshots(): Promise<unknown[][]>;
}

export class ClusterMetrics {
  readonly registry = new Registry();

  constructor(sources: PrimaryMetricSources, private readonly workers: WorkerSnapshotSource) {
    definePrimaryMetrics(this.registry, sources);
  }

  /** Every metric of every process, merged; a registry ready to print or read as JSON. */
  async merged(): Promise<Registry> {
    const [own, workers] = await Promise.all([this.registry.getMetricsAsJSON(), this.workers.snapshots()]);
    return AggregatorRegistry.aggregate([own, ...workers]);
  }

  /** The Prometheus text exposition for /metrics. */
  async text(): Promise<string> {
    return (await this.merged()).metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
