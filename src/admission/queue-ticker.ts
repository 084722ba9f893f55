// The queue tick, run in each primary: a few times a second it moves every
// open queue sale's serving counter in the ledger (safe from many boxes at
// once: the counter moves by elapsed time) and hands the line's figures to
// the workers, which answer places from them and push them to watchers.
import type { Ledger, QueueStatus } from '../ledger';

export interface QueueTickerOptions {
  readonly intervalMs: number;
  /** How often the list of sales is re-read for new queue sales. */
  readonly saleListRefreshMs: number;
  readonly broadcast: (statuses: QueueStatus[]) => void;
  readonly warn: (line: string) => void;
}

export class QueueTicker {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;
  /** Sale id -> whether it is a queue sale still worth ticking (admission never changes after creation). */
  private readonly known = new Map<string, { queue: boolean; closesAt: number | null }>();
  private listedAt = 0;
  private failing = false;
  ticks = 0;

  constructor(private readonly ledger: Ledger, private readonly options: QueueTickerOptions) {}

  start(): void {
    const tick = () => {
      this.running = this.tick().finally(() => {
        this.running = undefined;
        if (this.timer) this.timer = setTimeout(tick, this.options.intervalMs);
      });
    };
    this.timer = setTimeout(tick, 0);
  }

  async stop(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** One tick over every queue sale; also callable directly by tests. */
  async tick(now = Date.now()): Promise<QueueStatus[]> {
    const statuses: QueueStatus[] = [];
    try {
      if (now - this.listedAt >= this.options.saleListRefreshMs) await this.refreshSales(now);
      const due: Promise<QueueStatus | null>[] = [];
      for (const [saleId, sale] of this.known) {
        // A closed sale gets one last tick so watchers hear it closed, then no more.
        if (!sale.queue || (sale.closesAt !== null && now >= sale.closesAt + 5000)) continue;
        due.push(this.ledger.advanceQueue(saleId, now));
      }
      for (const status of await Promise.all(due)) if (status) statuses.push(status);
      this.ticks++;
      if (this.failing) this.options.warn('queue tick: the ledger answers again; the lines move');
      this.failing = false;
    } catch (error) {
      if (!this.failing) this.options.warn(`queue tick: cannot reach the ledger (${(error as Error).message}); the lines wait until it is back`);
      this.failing = true;
    }
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
