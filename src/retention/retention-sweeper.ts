// Retention for finished sales (SALE_RETENTION_DAYS): once a sale has been
// closed that long, its orders are archived to SALE_ARCHIVE_DIR and the sale
// leaves the ledger with them, so the ledger holds live sales, not history.
// Runs in each primary; several boxes on one Redis are safe: the ledger
// retires a sale once, and only if nothing changed since its archive was read.
import type { Ledger } from '../ledger';
import { PeriodicTask } from '../system/periodic-task';
import { writeSaleArchive } from './sale-archive';

export interface RetentionOptions {
  /** How long after closing a sale is kept in the ledger. */
  readonly retentionMs: number;
  readonly archiveDir: string;
  /** Time between passes over the sales. */
  readonly intervalMs: number;
  readonly log: (line: string, fields?: Record<string, unknown>) => void;
  readonly warn: (line: string) => void;
}

export class RetentionSweeper {
  private readonly task: PeriodicTask;
  retired = 0;

  constructor(private readonly ledger: Ledger, private readonly options: RetentionOptions) {
    // Nothing is lost when a pass fails: a sale leaves the ledger only after its archive is on disk.
    this.task = new PeriodicTask(
      {
        name: 'retention',
        intervalMs: options.intervalMs,
        failedAs: 'a pass failed',
        whileAway: 'finished sales stay in the ledger until the next pass succeeds',
        backAs: 'the ledger and the archive directory answer again',
        onceBack: '',
        warn: options.warn,
      },
      () => this.sweep(),
    );
  }

  start(): void {
    this.task.start();
  }

  stop(): Promise<void> {
    return this.task.stop();
  }

  /** One pass: archives and retires every sale closed at least retentionMs before now; returns how many left the ledger. */
  async sweep(now = Date.now()): Promise<number> {
    const closedBefore = now - this.options.retentionMs;
    let retired = 0;
    await this.task.guard(async () => {
      for (const saleId of await this.ledger.saleIds()) {
        if (this.task.stopping) break;
        const sale = await this.ledger.getSale(saleId);
        if (!sale || sale.closesAt === null || sale.closesAt > closedBefore) continue;
        // The mark first: a change after it (a late payment, a check-in) makes the retirement refuse, and the next pass archives again.
        const mark = await this.ledger.feedMark(saleId);
        if (mark === null) continue;
        const archive = await writeSaleArchive(this.ledger, sale, this.options.archiveDir, now);
        const outcome = await this.ledger.retireSale(saleId, mark, closedBefore, now);
        if (outcome.kind === 'retired') {
          retired++;
          if (outcome.orders !== archive.orders) this.options.warn(`retention: sale "${saleId}" left the ledger with ${outcome.orders} order(s) but ${archive.orders} were archived to ${archive.file}`);
          this.options.log(`retention: sale ${saleId} archived (${archive.orders} orders, ${archive.bytes} bytes) to ${archive.file} and removed from the ledger`, {
            sale: saleId,
            orders: archive.orders,
            archive: archive.file,
            closedAt: new Date(sale.closesAt).toISOString(),
          });
        } else if (outcome.kind === 'changed') {
          this.options.log(`retention: sale ${saleId} changed while it was archived; it is archived again on the next pass`, { sale: saleId });
        }
      }
    });
    this.retired += retired;
    return retired;
  }
}
