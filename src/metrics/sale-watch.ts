// The primary's eye on every sale: reads each sale's counters from the ledger
// a few times a second, for the spike_sale_tickets gauge and the dashboard,
// and logs a sale's life (created, opened, sold out, closed) with its figures.
import type { Ledger, Sale } from '../ledger';
import type { Logger } from '../logging/logger';

/** More sales than this are not watched: labels stay bounded, and a scrape stays cheap. */
const MAX_SALES = 200;

export interface WatchedSale extends Sale {
  /**
   * What is left to sell, in the unit of `total`: a sale's tickets
   * (total - sold); a train's free seat-segments, read from the ledger (its
   * `total` is seats x segments, while `sold` counts tickets, each of which
   * takes one seat on every segment of its trip). 0 means sold out.
   */
  readonly remaining: number;
  /** When the watch first saw a ticket of this sale taken (epoch ms), or null. */
  readonly firstSoldAt: number | null;
  /** When the watch first saw it with nothing left, or null while tickets remain. */
  readonly soldOutAt: number | null;
}

interface Seen {
  sale: Sale;
  remaining: number;
  firstSoldAt: number | null;
  soldOutAt: number | null;
  open: boolean;
  closed: boolean;
}

function figures(sale: Sale, remaining: number) {
  return { sale: sale.id, total: sale.total, sold: sale.sold, paid: sale.paid, reserved: sale.sold - sale.paid, remaining };
}

export class SaleWatch {
  private readonly seen = new Map<string, Seen>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private started = false;

  constructor(private readonly ledger: Ledger, private readonly log: Logger, private readonly intervalMs = 500) {}

  /** Reads once (sales that exist at start-up are "found", not "created"), then keeps reading. */
  async start(): Promise<void> {
    await this.poll().catch(() => {});
    this.started = true;
    this.timer = setInterval(() => {
      this.running ??= this.poll()
        .catch(() => {})
        .finally(() => (this.running = undefined));
    }, this.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  sales(): WatchedSale[] {
    return [...this.seen.values()].map((s) => ({ ...s.sale, remaining: s.remaining, firstSoldAt: s.firstSoldAt, soldOutAt: s.soldOutAt }));
  }

  /** Reads every sale's counters now, for a scrape that must agree with the ledger. */
  async refresh(): Promise<void> {
    await (this.running ??= this.poll().finally(() => (this.running = undefined)));
  }

  private async poll(): Promise<void> {
    const all = await this.ledger.saleIds();
    const ids = [...all].sort().slice(0, MAX_SALES);
    const sales = await Promise.all(ids.map(async (id) => {
      const sale = await this.ledger.getSale(id);
      return sale ? { sale, remaining: await this.remainingOf(sale) } : null;
    }));
    const now = Date.now();
    for (const read of sales) if (read) this.observe(read.sale, read.remaining, now);
    const present = new Set(all);
    for (const [id, seen] of this.seen) {
      if (present.has(id)) continue;
      this.seen.delete(id);
      this.log.info(figures(seen.sale, seen.remaining), `sale ${id} deleted`);
    }
  }

  /** A train's free seat-segments (one read of every segment), a sale's tickets left. */
  private async remainingOf(sale: Sale): Promise<number> {
    if (!sale.train) return sale.total - sale.sold;
    const free = await this.ledger.segmentAvailability(sale.id);
    return free === null ? 0 : free.reduce((sum, n) => sum + n, 0);
  }

  private observe(sale: Sale, remaining: number, now: number): void {
    let seen = this.seen.get(sale.id);
    const open = (sale.opensAt === null || now >= sale.opensAt) && !(sale.closesAt !== null && now >= sale.closesAt);
    if (!seen) {
      seen = { sale, remaining, firstSoldAt: sale.sold > 0 ? now : null, soldOutAt: null, open: false, closed: false };
      this.seen.set(sale.id, seen);
      this.log.info({ ...figures(sale, remaining), opensAt: sale.opensAt, closesAt: sale.closesAt }, this.started ? `sale ${sale.id} created` : `sale ${sale.id} found`);
    }
    seen.sale = sale;
    seen.remaining = remaining;
    if (open && !seen.open) {
      seen.open = true;
      this.log.info(figures(sale, remaining), `sale ${sale.id} open`);
    }
    if (sale.sold > 0 && seen.firstSoldAt === null) seen.firstSoldAt = now;
    const soldOut = sale.total > 0 && remaining <= 0;
    if (soldOut && seen.soldOutAt === null) {
      seen.soldOutAt = now;
      const sellOutMs = seen.firstSoldAt === null ? null : now - seen.firstSoldAt;
      this.log.info({ ...figures(sale, remaining), sellOutMs }, `sale ${sale.id} sold out${sellOutMs === null ? '' : ` about ${(sellOutMs / 1000).toFixed(1)} s after its first ticket`}`);
    } else if (!soldOut && seen.soldOutAt !== null) {
      // Expired holds and cancellations put tickets back on sale.
      seen.soldOutAt = null;
      this.log.info(figures(sale, remaining), `sale ${sale.id} has tickets again`);
    }
    if (sale.closesAt !== null && now >= sale.closesAt && !seen.closed) {
      seen.closed = true;
      seen.open = false;
      this.log.info(figures(sale, remaining), `sale ${sale.id} closed`);
    }
  }
}
