// Retention for finished sales (SALE_RETENTION_DAYS): once a sale has been
// closed that long, its orders are archived to SALE_ARCHIVE_DIR and the sale
// leaves the ledger with them, so the ledger holds live sales, not history.
// Runs in each primary; several boxes on one Redis are safe: the ledger
// retires a sale once, and only if nothing changed since its archive was read.
import type { Ledger } from '../ledger';
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
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;
  private failing = false;
  retired = 0;

  constructor(private readonly ledger: Ledger, private readonly options: RetentionOptions) {}

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

  /** One pass: archives and retires every sale closed at least retentionMs before now; returns how many left the ledger. */
  async sweep(now = Date.now()): Promise<number> {
    const closedBefore = now - this.options.retentionMs;
    let retired = 0;
    try {
      for (const saleId of await this.ledger.saleIds()) {
        if (this.timer === undefined && this.running !== undefined) break; // stopping
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
      if (this.failing) this.options.warn('retention: the ledger and the archive directory answer again');
      this.failing = false;
    } catch (error) {
      // Nothing is lost: a sale leaves the ledger only after its archive is on disk.
      if (!this.failing) this.options.warn(`retention: a pass failed (${(error as Error).message}); finished sales stay in the ledger until the next pass succeeds`);
      this.failing = true;
    }
    this.retired += retired;
    return retired;
  }
}
