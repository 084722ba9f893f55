// Releases unpaid holds on time. Runs in each primary (one per box): every
// tick it asks the ledger which sales have holds due (an index of sales with
// pending holds, so a tick costs nothing per idle sale) and expires those,
// found through each sale's time-ordered hold index, never by scanning orders.
// Now and then it visits every sale once, which restores an index entry lost
// with a failed-over shard. Several boxes sweeping at once is safe: each hold
// is released exactly once.
import type { Ledger } from './ledger';

export interface HoldSweeperOptions {
  /** Time between sweeps; a hold is released at most about this long after it expires. */
  readonly intervalMs: number;
  /** Most holds released per sale per ledger call. */
  readonly batch: number;
  /** How often every sale is visited, not only the indexed ones (the safety net for a lost index write). */
  readonly fullPassMs: number;
  readonly warn: (line: string) => void;
}

export class HoldSweeper {
  private timer: NodeJS.Timeout | undefined;
  private fullPassAt = 0;
  private running: Promise<unknown> | undefined;
  private failing = false;
  released = 0;
  /** expireHolds calls made, so a Redis command count can tell them from reservations. */
  ledgerCalls = 0;

  constructor(private readonly ledger: Ledger, private readonly options: HoldSweeperOptions) {}

  start(): void {
    const tick = () => {
      this.running = this.sweep().finally(() => {
        this.running = undefined;
        if (this.timer) this.timer = setTimeout(tick, this.options.intervalMs);
      });
    };
    this.timer = setTimeout(tick, this.options.intervalMs);
  }

  async stop(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** One pass over every sale; also callable directly, e.g. by tests. */
  async sweep(now = Date.now()): Promise<number> {
    let released = 0;
    try {
      let saleIds: string[];
      if (now - this.fullPassAt >= this.options.fullPassMs) {
        saleIds = await this.ledger.saleIds();
        this.fullPassAt = now;
      } else {
        saleIds = await this.ledger.dueSales(now, this.options.batch);
      }
      for (const saleId of saleIds) {
        let batch: number;
        do {
          this.ledgerCalls++;
          batch = await this.ledger.expireHolds(saleId, now, this.options.batch);
          released += batch;
        } while (batch === this.options.batch);
      }
      if (this.failing) this.options.warn('hold sweeper: the ledger answers again; expiring holds');
      this.failing = false;
    } catch (error) {
      // The ledger is away; holds expire once it is back. Say so once per outage.
      if (!this.failing) this.options.warn(`hold sweeper: cannot reach the ledger (${(error as Error).message}); expired holds wait until it is back`);
      this.failing = true;
    }
    this.released += released;
    return released;
  }
}
