// A per-worker view of each sale, refreshed from the ledger at most once per
// TTL however many readers ask, so GET /api/sales/:id costs no ledger call per read.
import type { Ledger, Sale } from '../ledger';

interface Entry {
  sale: Sale | null;
  fetchedAt: number;
  loading?: Promise<Sale | null>;
}

export class SaleDirectory {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly ledger: Ledger, private readonly ttlMs: number) {}

  /** The sale as seen at most ttlMs ago; concurrent callers share one ledger read. */
  async get(saleId: string): Promise<Sale | null> {
    const entry = this.entries.get(saleId);
    if (entry && Date.now() - entry.fetchedAt < this.ttlMs) return entry.sale;
    return this.refresh(saleId);
  }

  /** A cached sale even if stale, without any I/O. */
  peek(saleId: string): Sale | null | undefined {
    return this.entries.get(saleId)?.sale;
  }

  /** A read that starts after now (not one already in flight, which may predate a change): for a sale announced as changed. */
  async reload(saleId: string): Promise<Sale | null> {
    await this.entries.get(saleId)?.loading?.catch(() => {});
    return this.refresh(saleId);
  }

  refresh(saleId: string): Promise<Sale | null> {
    let entry = this.entries.get(saleId);
    if (entry?.loading) return entry.loading;
    if (!entry) {
      entry = { sale: null, fetchedAt: 0 };
      this.entries.set(saleId, entry);
    }
    const target = entry;
    target.loading = this.ledger.getSale(saleId).then(
      (sale) => {
        target.sale = sale;
        target.fetchedAt = Date.now();
        target.loading = undefined;
        // Unknown ids are not kept, so probing random ids cannot grow the map.
        if (!sale) this.entries.delete(saleId);
        return sale;
      },
      (error: unknown) => {
        target.loading = undefined;
        if (!target.sale) this.entries.delete(saleId);
        throw error;
      },
    );
    return target.loading;
  }

  /** Updates the cached sold count from a ledger reply, which is fresher than any read. */
  noteSold(saleId: string, sold: number): void {
    const entry = this.entries.get(saleId);
    // Between refreshes the count only moves up here; releases show at the next refresh.
    if (entry?.sale && sold > entry.sale.sold) entry.sale = { ...entry.sale, sold };
  }

  /** The next read goes to the ledger. */
  invalidate(saleId: string): void {
    const entry = this.entries.get(saleId);
    if (entry) entry.fetchedAt = 0;
  }

  remember(sale: Sale): void {
    this.entries.set(sale.id, { sale, fetchedAt: Date.now() });
  }
}
