// A finished sale written to one gzip'd NDJSON file before it leaves the
// ledger: a sale line, one line per order, and an end line with the count (a
// file without it is not complete). Written to a temporary name, fsynced and
// renamed, so a crash leaves either the whole archive or none.
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Ledger, Order, Sale } from '../ledger';

/** Orders read per ledger call while archiving. */
const PAGE = 1000;

export interface SaleArchive {
  readonly file: string;
  readonly orders: number;
  readonly bytes: number;
}

/** The archive's file name: the sale id and its creation time, so a later sale with the same id gets its own file. */
export function archiveFileName(sale: Pick<Sale, 'id' | 'createdAt'>): string {
  return `${sale.id}-${sale.createdAt}.ndjson.gz`;
}

/** Every order of the sale, once each (a Redis HSCAN may return one twice), page by page. */
async function* ordersOf(ledger: Ledger, saleId: string): AsyncGenerator<Order> {
  const seen = new Set<string>();
  let cursor: string | null = null;
  do {
    const page = await ledger.listOrders(saleId, { cursor, limit: PAGE });
    for (const order of page.orders) {
      if (seen.has(order.orderId)) continue;
      seen.add(order.orderId);
      yield order;
    }
    cursor = page.cursor;
  } while (cursor !== null);
}

/** Reads the sale's orders from the ledger and writes them, with the sale, to dir. */
export async function writeSaleArchive(ledger: Ledger, sale: Sale, dir: string, now: number): Promise<SaleArchive> {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, archiveFileName(sale));
  const temp = `${file}.${process.pid}.tmp`;
  const lines: string[] = [JSON.stringify({ type: 'sale', ...sale })];
  let orders = 0;
  for await (const order of ordersOf(ledger, sale.id)) {
    lines.push(JSON.stringify({ type: 'order', ...order }));
    orders++;
  }
  lines.push(JSON.stringify({ type: 'end', saleId: sale.id, orders, archivedAt: now }));
  // One gzip of the whole text: fast for the sizes a sale reaches (a million orders is ~150 MB of text, a few seconds).
  const body = gzipSync(lines.join('\n') + '\n');
  const fd = openSync(temp, 'w');
  try {
    writeSync(fd, body);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temp, file);
  const dirFd = openSync(dir, 'r');
  try {
    fsyncSync(dirFd);
  } finally {
    closeSync(dirFd);
  }
  return { file, orders, bytes: body.length };
}
