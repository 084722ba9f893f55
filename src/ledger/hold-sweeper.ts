// Releases unpaid holds on time. Runs in each primary (one per box): every
// tick it asks the ledger to expire the due holds of every sale, which the
// ledger finds through its time-ordered index, never by scanning orders.
// Several boxes sweeping at once is safe: each hold is released exactly once.
import type { Ledger } from './ledger';

export interface HoldSweeperOptions {
  /** Time between sweeps; a hold is released at most about this long after it expires. */
  readonly intervalMs: number;
  /** Most holds released per sale per ledger call. */
  readonly batch: number;
  /** How often the list of sales is re-read. */
  readonly saleListRefreshMs: number;
  readonly warn: (line: string) => void;
}

export class HoldSweeper {
  private timer: NodeJS.Timeout | undefined;
  private saleIds: string[] = [];
  private saleIdsReadAt = 0;
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
      if (now - this.saleIdsReadAt >= this.options.saleListRefreshMs) {
        this.saleIds = await this.ledger.saleIds();
        this.saleIdsReadAt = now;
      }
      for (const saleId of this.saleIds) {
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
