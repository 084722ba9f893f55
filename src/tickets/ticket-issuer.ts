// Records due tickets as issued, in the primary (one per box), the way the
// hold sweeper releases holds: every tick it asks the ledger to issue each
// sale's due tickets. A ticket is due from the step that paid its order, so
// one paid while no issuer ran (a crash, a restart) is issued at the next
// tick; the ledger issues each exactly once, however many boxes run one.
import type { Ledger } from '../ledger';

export interface TicketIssuerOptions {
  readonly intervalMs: number;
  /** Most tickets recorded per sale per ledger call. */
  readonly batch: number;
  readonly saleListRefreshMs: number;
  readonly warn: (line: string) => void;
}

export class TicketIssuer {
  private timer: NodeJS.Timeout | undefined;
  private saleIds: string[] = [];
  private saleIdsReadAt = 0;
  private running: Promise<unknown> | undefined;
  private failing = false;
  issued = 0;

  constructor(private readonly ledger: Ledger, private readonly options: TicketIssuerOptions) {}

  start(): void {
    const tick = () => {
      this.running = this.issue().finally(() => {
        this.running = undefined;
        if (this.timer) this.timer = setTimeout(tick, this.options.intervalMs);
      });
    };
    // Tickets left due by a crash are issued by the first pass, one interval after the start.
    this.timer = setTimeout(tick, this.options.intervalMs);
  }

  async stop(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** One pass over every sale. */
  async issue(now = Date.now()): Promise<number> {
    let issued = 0;
    try {
      if (now - this.saleIdsReadAt >= this.options.saleListRefreshMs) {
        this.saleIds = await this.ledger.saleIds();
        this.saleIdsReadAt = now;
      }
      for (const saleId of this.saleIds) {
        let batch: number;
        do {
          batch = await this.ledger.issueTickets(saleId, now, this.options.batch);
          issued += batch;
        } while (batch === this.options.batch);
      }
      if (this.failing) this.options.warn('ticket issuer: the ledger answers again; issuing due tickets');
      this.failing = false;
    } catch (error) {
      if (!this.failing) this.options.warn(`ticket issuer: cannot reach the ledger (${(error as Error).message}); due tickets wait until it is back`);
      this.failing = true;
    }
    this.issued += issued;
    return issued;
  }
}
