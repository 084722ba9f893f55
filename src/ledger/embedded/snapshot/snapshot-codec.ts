// The embedded ledger's state as a snapshot: one JSON array per record, in the
// journal's frames, so that a restart loads live state instead of replaying
// history. Sales, their orders (column rows with their request keys), check-ins,
// buyers' cancellations, the kept feed, a queue sale's line and a train's
// trips (each order's from, to and seat) are written as they are; every
// counter and index that follows from them (sold, paid, buyers, tickets due,
// the hold heap, live passes, a train's seat map) is derived at load, as
// replay derives it. The last record says how many sales came before it: a
// snapshot without it is incomplete and is never loaded.
import { newSaleState } from '../apply-event';
import type { SaleCreated } from '../journal/journal-events';
import type { LedgerState, QueueState, SaleState } from '../state';
import type { SaleFeedEvent } from '../../types';

/** A record's JSON stays well under the frame limit (64 KiB). */
const CHUNK_CHARS = 32 * 1024;

type OrderRow = [string, string, number, number, number | null, number, number];

/** Writes one record per call of `write`, the meta record first and the end record last. */
export function dumpSnapshot(state: LedgerState, gen: number, at: number, write: (payload: string) => void): number {
  let records = 0;
  const out = (payload: string) => {
    write(payload);
    records++;
  };
  out(JSON.stringify(['M', gen, at]));
  for (const sale of state.sales.values()) dumpSale(sale, out);
  out(JSON.stringify(['Z', state.sales.size]));
  return records;
}

/** Writes `[tag, saleId, [part, part, ...]]` records, each under CHUNK_CHARS. */
function chunked(out: (payload: string) => void, tag: string, saleId: string, parts: Iterable<unknown>): void {
  const head = `[${JSON.stringify(tag)},${JSON.stringify(saleId)},[`;
  let batch: string[] = [];
  let size = 0;
  for (const part of parts) {
    const text = JSON.stringify(part);
    if (size + text.length > CHUNK_CHARS && batch.length > 0) {
      out(`${head}${batch.join(',')}]]`);
      batch = [];
      size = 0;
    }
    batch.push(text);
    size += text.length + 1;
  }
  if (batch.length > 0) out(`${head}${batch.join(',')}]]`);
}

function* orderRows(sale: SaleState): Generator<[...OrderRow, string]> {
  const keyOf: string[] = new Array(sale.orders.size);
  for (const [key, index] of sale.requests) keyOf[index] = key;
  for (let index = 0; index < sale.orders.size; index++) yield [...sale.orders.row(index), keyOf[index] ?? ''];
}

/** [order index, from, to, seat] of every train order. */
function* tripRows(sale: SaleState): Generator<[number, number, number, number]> {
  for (let index = 0; index < sale.orders.size; index++) {
    const trip = sale.orders.trip(index);
    if (trip) yield [index, trip.from, trip.to, trip.seat];
  }
}

function dumpSale(sale: SaleState, out: (payload: string) => void): void {
  const id = sale.record.id;
  out(JSON.stringify(['S', sale.record]));
  chunked(out, 'O', id, orderRows(sale));
  chunked(out, 'K', id, sale.orders.checkInRows());
  chunked(out, 'C', id, sale.cancels);
  if (sale.seatMap) chunked(out, 'T', id, tripRows(sale));
  const feed = sale.orders.feedRows();
  out(JSON.stringify(['FB', id, feed.base]));
  chunked(out, 'F', id, feed.entries);
  chunked(out, 'E', id, feed.saleEvents);
  const queue = sale.queue;
  if (queue) {
    const { pre, post, drawn, serving, lastAt, expiredBelow } = queue;
    out(JSON.stringify(['Q', id, { pre, post, drawn, serving, lastAt, expiredBelow }]));
    chunked(out, 'QL', id, queue.log.slice(queue.logHead).map((entry) => [entry.serving, entry.at]));
    chunked(out, 'QM', id, queue.members);
    chunked(out, 'QP', id, queue.passes);
    chunked(out, 'QC', id, queue.challenges);
  }
}

export class SnapshotCorruptError extends Error {}

/** Builds the state from a snapshot's records, in order; finish() derives what follows from them and checks the end record. */
export class SnapshotLoader {
  gen = -1;
  private ended = false;

  constructor(private readonly state: LedgerState) {}

  record(payload: string): void {
    const fields = JSON.parse(payload) as unknown[];
    if (!Array.isArray(fields)) throw new SnapshotCorruptError('a snapshot record is not an array');
    if (this.ended) throw new SnapshotCorruptError('a record follows the end record');
    const tag = fields[0];
    if (this.gen < 0 && tag !== 'M') throw new SnapshotCorruptError('the snapshot does not start with its meta record');
    switch (tag) {
      case 'M':
        this.gen = fields[1] as number;
        return;
      case 'Z':
        if (fields[1] !== this.state.sales.size) throw new SnapshotCorruptError(`the end record counts ${String(fields[1])} sales, the snapshot holds ${this.state.sales.size}`);
        this.ended = true;
        return;
      case 'S': {
        const record = fields[1] as SaleCreated;
        if (this.state.sales.has(record.id)) throw new SnapshotCorruptError(`sale "${record.id}" is in the snapshot twice`);
        this.state.sales.set(record.id, newSaleState(record, this.state.feedMaxEvents));
        return;
      }
    }
    const sale = this.state.sales.get(fields[1] as string);
    if (!sale) throw new SnapshotCorruptError(`a ${String(tag)} record names sale ${JSON.stringify(fields[1])}, which the snapshot has not created`);
    const items = fields[2] as unknown[];
    switch (tag) {
      case 'O':
        for (const row of items as Array<[...OrderRow, string]>) {
          const index = sale.orders.restoreRow(row.slice(0, 7) as OrderRow);
          if (row[7] !== '') sale.requests.set(row[7], index);
        }
        return;
      case 'K':
        for (const [index, at, gate] of items as Array<[number, number, string]>) sale.orders.restoreCheckIn(index, at, gate);
        return;
      case 'C':
        for (const [userId, count] of items as Array<[string, number]>) sale.cancels.set(userId, count);
        return;
      case 'T':
        if (!sale.seatMap) throw new SnapshotCorruptError(`sale "${sale.record.id}" has trip records but is not a train`);
        for (const [index, from, to, seat] of items as Array<[number, number, number, number]>) {
          if (index >= sale.orders.size) throw new SnapshotCorruptError(`a trip of train "${sale.record.id}" names order ${index}, which the snapshot does not hold`);
          sale.orders.setTrip(index, { from, to, seat });
        }
        return;
      case 'FB':
        sale.orders.restoreFeedStart(fields[2] as number);
        return;
      case 'F':
        sale.orders.restoreFeedEntries(items as number[]);
        return;
      case 'E':
        for (const event of items as Array<Omit<SaleFeedEvent, 'id'>>) sale.orders.restoreSaleEvent(event);
        return;
      case 'Q': {
        const queue = this.queueOf(sale);
        Object.assign(queue, fields[2] as Partial<QueueState>);
        return;
      }
      case 'QL':
        for (const [serving, at] of items as Array<[number, number]>) this.queueOf(sale).log.push({ serving, at });
        return;
      case 'QM':
        for (const [userId, entry] of items as Array<[string, number]>) this.queueOf(sale).members.set(userId, entry);
        return;
      case 'QP':
        for (const place of items as number[]) this.queueOf(sale).passes.add(place);
        return;
      case 'QC':
        for (const [challengeId, expiresAt] of items as Array<[string, number]>) this.queueOf(sale).challenges.set(challengeId, expiresAt);
        return;
      default:
        throw new SnapshotCorruptError(`unknown snapshot record ${JSON.stringify(tag)}`);
    }
  }

  private queueOf(sale: SaleState): QueueState {
    if (!sale.queue) throw new SnapshotCorruptError(`sale "${sale.record.id}" has queue records but no admission`);
    return sale.queue;
  }

  /** Derives the counters and indexes, as replay builds them, and checks the invariants. */
  finish(): void {
    if (!this.ended) throw new SnapshotCorruptError('the snapshot has no end record: it was not written whole');
    for (const sale of this.state.sales.values()) {
      const orders = sale.orders;
      for (let index = 0; index < orders.size; index++) {
        const state = orders.state(index);
        if (state !== 'reserved' && state !== 'paid') continue;
        sale.sold++;
        if (sale.seatMap) {
          // The seat map is what guards a train: a live order's seat-segments are taken, each by one order.
          const trip = orders.trip(index);
          if (!trip) throw new SnapshotCorruptError(`order ${orders.row(index)[0]} of train "${sale.record.id}" has no trip`);
          if (!sale.seatMap.isFree(trip.from, trip.to, trip.seat)) throw new SnapshotCorruptError(`seat ${trip.seat} of train "${sale.record.id}" would be sold twice on ${trip.from}->${trip.to}`);
          sale.seatMap.mark(trip.from, trip.to, trip.seat, true);
        }
        const userId = orders.userId(index);
        sale.buyers.set(userId, (sale.buyers.get(userId) ?? 0) + 1);
        if (state === 'paid') {
          sale.paid++;
          if (!orders.isIssued(index)) sale.ticketsDue.add(index);
        } else {
          sale.holds.push(orders.expiresAt(index)!, index);
        }
      }
      const { total, perUserLimit, id } = sale.record;
      if (sale.sold > total) throw new SnapshotCorruptError(`sale "${id}" would be oversold: ${sale.sold} of ${total} tickets taken`);
      for (const [userId, held] of sale.buyers) if (held > perUserLimit) throw new SnapshotCorruptError(`buyer "${userId}" would hold ${held} tickets of sale "${id}", over its perUserLimit of ${perUserLimit}`);
      const queue = sale.queue;
      if (queue) for (const place of queue.passes) if (place >= queue.expiredBelow) queue.livePasses.push(place, place);
    }
  }
}
