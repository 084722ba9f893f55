// The queue tick, run in each primary: a few times a second it moves every
// open queue sale's serving counter in the ledger (safe from many boxes at
// once: the counter moves by elapsed time) and hands the line's figures to
// the workers, which answer places from them and push them to watchers.
import type { Ledger, QueueStatus } from '../ledger';
import { PeriodicTask } from '../system/periodic-task';

export interface QueueTickerOptions {
  readonly intervalMs: number;
  /** How often the list of sales is re-read for new queue sales. */
  readonly saleListRefreshMs: number;
  readonly broadcast: (statuses: QueueStatus[]) => void;
  readonly warn: (line: string) => void;
}

export class QueueTicker {
  private readonly task: PeriodicTask;
  /** Sale id -> whether it is a queue sale still worth ticking (admission never changes after creation). */
  private readonly known = new Map<string, { queue: boolean; closesAt: number | null }>();
  private listedAt = 0;
  ticks = 0;

  constructor(private readonly ledger: Ledger, private readonly options: QueueTickerOptions) {
    this.task = new PeriodicTask(
      { name: 'queue tick', intervalMs: options.intervalMs, firstPassMs: 0, whileAway: 'the lines wait until it is back', onceBack: 'the lines move', warn: options.warn },
      () => this.tick(),
    );
  }

  start(): void {
    this.task.start();
  }

  stop(): Promise<void> {
    return this.task.stop();
  }

  /** One tick over every queue sale; also callable directly by tests. */
  async tick(now = Date.now()): Promise<QueueStatus[]> {
    const statuses: QueueStatus[] = [];
    await this.task.guard(async () => {
      if (now - this.listedAt >= this.options.saleListRefreshMs) await this.refreshSales(now);
      const due: Promise<QueueStatus | null>[] = [];
      for (const [saleId, sale] of this.known) {
        // A closed sale gets one last tick so watchers hear it closed, then no more.
        if (!sale.queue || (sale.closesAt !== null && now >= sale.closesAt + 5000)) continue;
        due.push(this.ledger.advanceQueue(saleId, now));
      }
      for (const status of await Promise.all(due)) if (status) statuses.push(status);
      this.ticks++;
    });
    if (statuses.length > 0) this.options.broadcast(statuses);
    return statuses;
  }

  private async refreshSales(now: number): Promise<void> {
    const ids = await this.ledger.saleIds();
    for (const saleId of ids) {
      if (this.known.has(saleId)) continue;
      const sale = await this.ledger.getSale(saleId);
      if (sale) this.known.set(saleId, { queue: sale.admission !== undefined, closesAt: sale.closesAt });
    }
    this.listedAt = now;
  }
}
