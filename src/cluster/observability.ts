// The primary's share of metrics, logs and the dashboard, kept out of the
// primary's own flow: it times the primary's ledger calls, watches the sales,
// merges the workers' metrics, serves METRICS_PORT, and tells open
// dashboards at once when a worker goes down or comes up.
import cluster from 'node:cluster';
import type { Server } from 'node:http';
import type { Config } from '../config/config';
import { DashboardSnapshots } from '../dashboard';
import type { DashboardNudgeMessage } from '../ipc/messages';
import type { IpcRpc } from '../ipc/rpc';
import { observeJournalCommits, type Ledger, type QueueStatus } from '../ledger';
import { logLedgerEvents, type Logger } from '../logging';
import { BATCH_SIZE_BUCKETS, ClusterMetrics, instrumentLedger, LatencyTally, LedgerTally, SaleWatch, serveMetricsPort } from '../metrics';
import type { WorkerSlot } from './supervisor';

export interface ObservedCluster {
  /** The primary's ledger, as instrument() returned it. */
  readonly ledger: Ledger;
  readonly slots: () => readonly WorkerSlot[];
  readonly rpcOf: (slot: WorkerSlot) => IpcRpc | undefined;
}

export class PrimaryObservability {
  private readonly ledgerTally = new LedgerTally();
  private readonly holdsExpired = new Map<string, number>();
  /** Each queue sale's line, as the last queue tick read it. */
  private readonly queues = new Map<string, QueueStatus>();
  private readonly journal = { fsync: new LatencyTally(), batchSize: new LatencyTally(BATCH_SIZE_BUCKETS) };
  private watch: SaleWatch | undefined;
  private metrics: ClusterMetrics | undefined;
  private dashboard: DashboardSnapshots | undefined;
  private metricsServer: Server | undefined;

  constructor(private readonly config: Config, private readonly log: Logger) {
    if (config.ledger === 'embedded') {
      // The journal's group commits, from the first one on.
      observeJournalCommits((records, seconds) => {
        this.journal.fsync.observe(seconds);
        this.journal.batchSize.observe(records);
      });
    }
  }

  /** Times the primary's own ledger calls (sweeper, sale watch, start-up); workers time theirs. */
  instrument(ledger: Ledger): Ledger {
    return instrumentLedger(ledger, {
      tally: this.ledgerTally,
      slowMs: this.config.ledgerSlowMs,
      watcher: logLedgerEvents(this.log, this.config.ledgerSlowMs),
      holdsExpired: (saleId, count) => this.holdsExpired.set(saleId, (this.holdsExpired.get(saleId) ?? 0) + count),
    });
  }

  /** The queue tick's figures, for the queue metrics and the dashboard. */
  queueTicked(statuses: readonly QueueStatus[]): void {
    for (const status of statuses) this.queues.set(status.saleId, status);
  }

  /** What workers may ask the primary for over IPC. */
  readonly ipcHandlers = {
    clusterMetrics: () => this.metricsText(),
    dashboardSnapshot: (fresh?: boolean) => this.dashboard!.snapshot(fresh === true),
  };

  /** Before the workers start: the sale watch's first read, the merged registry, METRICS_PORT. */
  async start(observed: ObservedCluster): Promise<void> {
    const { config } = this;
    this.watch = new SaleWatch(observed.ledger, this.log);
    await this.watch.start();
    const watch = this.watch;
    this.metrics = new ClusterMetrics(
      {
        ledgerKind: config.ledger,
        ledger: this.ledgerTally,
        slots: observed.slots,
        countsConnections: config.balancer !== 'reuseport',
        sales: () => watch.sales(),
        holdsExpired: this.holdsExpired,
        queues: () => this.queues.values(),
        journal: config.ledger === 'embedded' ? this.journal : undefined,
      },
      {
        snapshots: () =>
          Promise.all(
            observed.slots().map(async (slot) => {
              const rpc = observed.rpcOf(slot);
              const pid = slot.worker?.process.pid ?? -1;
              const metrics = slot.state === 'ready' && rpc ? await rpc.request<never[]>('workerMetrics', [], 1000).catch(() => null) : null;
              return { slot: slot.index, pid, metrics };
            }),
          ),
      },
    );
    this.dashboard = new DashboardSnapshots({ metrics: this.metrics, watch, slots: observed.slots, ledger: observed.ledger, ledgerKind: config.ledger, balancer: config.balancer, queues: this.queues });
    if (config.metrics && config.metricsPort) this.metricsServer = await serveMetricsPort(config.metricsPort, () => this.metricsText(), this.metrics.contentType);

    const nudge = () => {
      const message: DashboardNudgeMessage = { spike: 'dashboard-nudge' };
      for (const slot of observed.slots()) if (slot.state === 'ready' && slot.worker?.isConnected()) slot.worker.send(message, () => {});
    };
    cluster.on('exit', nudge);
    cluster.on('message', (_worker, message: { spike?: string }) => {
      // After the supervisor has marked the slot ready.
      if (message?.spike === 'ready') setImmediate(nudge);
    });
  }

  /** A scrape reads the sales afresh, so spike_sale_tickets agrees with the ledger at that moment. */
  private async metricsText(): Promise<string> {
    await this.watch!.refresh().catch(() => {});
    return this.metrics!.text();
  }

  async stop(): Promise<void> {
    this.metricsServer?.close();
    await this.watch?.stop();
  }
}
