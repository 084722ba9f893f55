// Releases unpaid holds on time. Runs in each primary (one per box): every
// tick it asks the ledger which sales have holds due (an index of sales with
// pending holds, so a tick costs nothing per idle sale) and expires those,
// found through each sale's time-ordered hold index, never by scanning orders.
// Now and then it visits every sale once, which restores an index entry lost
// with a failed-over shard. Several boxes sweeping at once is safe: each hold
// is released exactly once.
import { PeriodicTask } from '../system/periodic-task';
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
  private readonly task: PeriodicTask;
  private fullPassAt = 0;
  released = 0;
  /** expireHolds calls made, so a Redis command count can tell them from reservations. */
  ledgerCalls = 0;

  constructor(private readonly ledger: Ledger, private readonly options: HoldSweeperOptions) {
    this.task = new PeriodicTask(
      { name: 'hold sweeper', intervalMs: options.intervalMs, whileAway: 'expired holds wait until it is back', onceBack: 'expiring holds', warn: options.warn },
      () => this.sweep(),
    );
  }

  start(): void {
    this.task.start();
  }

  stop(): Promise<void> {
    return this.task.stop();
  }

  /** One pass over every sale; also callable directly, e.g. by tests. */
  async sweep(now = Date.now()): Promise<number> {
    let released = 0;
    await this.task.guard(async () => {
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
    });
    this.released += released;
    return released;
  }
}
