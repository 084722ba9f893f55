// Records due tickets as issued, in the primary (one per box), the way the
// hold sweeper releases holds: every tick it asks the ledger to issue each
// sale's due tickets. A ticket is due from the step that paid its order, so
// one paid while no issuer ran (a crash, a restart) is issued at the next
// tick; the ledger issues each exactly once, however many boxes run one.
import type { Ledger } from '../ledger';
import { PeriodicTask } from '../system/periodic-task';

export interface TicketIssuerOptions {
  readonly intervalMs: number;
  /** Most tickets recorded per sale per ledger call. */
  readonly batch: number;
  readonly saleListRefreshMs: number;
  readonly warn: (line: string) => void;
}

export class TicketIssuer {
  private readonly task: PeriodicTask;
  private saleIds: string[] = [];
  private saleIdsReadAt = 0;
  issued = 0;
  /** issueTickets calls made (one per sale per tick), so a Redis command count can tell them from reservations. */
  ledgerCalls = 0;

  constructor(private readonly ledger: Ledger, private readonly options: TicketIssuerOptions) {
    // Tickets left due by a crash are issued by the first pass, one interval after the start.
    this.task = new PeriodicTask(
      { name: 'ticket issuer', intervalMs: options.intervalMs, whileAway: 'due tickets wait until it is back', onceBack: 'issuing due tickets', warn: options.warn },
      () => this.issue(),
    );
  }

  start(): void {
    this.task.start();
  }

  stop(): Promise<void> {
    return this.task.stop();
  }

  /** One pass over every sale. */
  async issue(now = Date.now()): Promise<number> {
    let issued = 0;
    await this.task.guard(async () => {
      if (now - this.saleIdsReadAt >= this.options.saleListRefreshMs) {
        this.saleIds = await this.ledger.saleIds();
        this.saleIdsReadAt = now;
      }
      for (const saleId of this.saleIds) {
        let batch: number;
        do {
          this.ledgerCalls++;
          batch = await this.ledger.issueTickets(saleId, now, this.options.batch);
          issued += batch;
        } while (batch === this.options.batch);
      }
    });
    this.issued += issued;
    return issued;
  }
}
