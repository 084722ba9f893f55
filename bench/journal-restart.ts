// Restart time of the embedded ledger after churn, before and after journal
// compaction (issue 11): a journal of BENCH_CHURN_ORDERS bought-then-cancelled
// orders is written as the ledger writes it, then opened (replayed) cold,
// compacted into a snapshot, and opened again. Two shapes of history:
//   one live sale    every churned order stays state (cancelled orders are records)
//   retired sales    the churn is spread over sales that closed and were
//                    retired (SALE_RETENTION_DAYS), all but the last few
// Prints a table and writes bench/results/journal-restart.json.
// Run: npm run bench:journal-restart (sized by BENCH_CHURN_ORDERS, BENCH_ORDERS_PER_SALE, BENCH_RESTARTS).
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { integer } from '../src/config/env';
import { EmbeddedLedger } from '../src/ledger/embedded/embedded-ledger';
import { encodeEvent, type JournalEvent } from '../src/ledger/embedded/journal/journal-events';
import { encodeFrame, FILE_MAGIC } from '../src/ledger/embedded/journal/journal-format';
import { JOURNAL_FILE } from '../src/ledger/embedded/journal/journal';

const ORDERS = integer(process.env, 'BENCH_CHURN_ORDERS', 1_000_000, 1000);
const PER_SALE = integer(process.env, 'BENCH_ORDERS_PER_SALE', 1000, 10);
const RESTARTS = integer(process.env, 'BENCH_RESTARTS', 3, 1, 20);
const LIVE_SALES = 5;
const T0 = Date.UTC(2030, 0, 1);

/** Writes events as the journal frames them, through a 4 MiB buffer. */
function writeJournal(dataDir: string, events: Iterable<JournalEvent>): { records: number; bytes: number } {
  mkdirSync(dataDir, { recursive: true });
  const fd = openSync(join(dataDir, JOURNAL_FILE), 'w');
  let parts: Buffer[] = [FILE_MAGIC];
  let pending = FILE_MAGIC.length;
  let bytes = 0;
  let records = 0;
  const flush = () => {
    const chunk = Buffer.concat(parts, pending);
    writeSync(fd, chunk);
    bytes += chunk.length;
    parts = [];
    pending = 0;
  };
  for (const event of events) {
    const frame = encodeFrame(encodeEvent(event));
    parts.push(frame);
    pending += frame.length;
    records++;
    if (pending > 4 << 20) flush();
  }
  flush();
  closeSync(fd);
  return { records, bytes };
}

/** One buyer per order (maxCancelsPerBuyer is per buyer): buy, then cancel it themself. */
function* churnedSale(saleId: string, orders: number, at: number): Generator<JournalEvent> {
  yield { type: 'sale_created', id: saleId, name: saleId, total: 1000, perUserLimit: 1, holdSeconds: 900, opensAt: null, closesAt: null, createdAt: at, anonymous: false, maxCancelsPerBuyer: 3 };
  for (let i = 0; i < orders; i++) {
    const orderId = `${saleId}.o${i.toString(36)}x${(i * 7919).toString(36)}`;
    yield { type: 'ticket_reserved', saleId, userId: `buyer-${i}`, requestKey: `${saleId}:k${i}`, orderId, createdAt: at + i };
    yield { type: 'order_cancelled', orderId, at: at + i + 1, byBuyer: true };
  }
}

function* oneLiveSale(): Generator<JournalEvent> {
  yield* churnedSale('live', ORDERS, T0);
}

function* retiredSales(): Generator<JournalEvent> {
  const sales = Math.ceil(ORDERS / PER_SALE);
  for (let s = 0; s < sales; s++) {
    const saleId = `s${s}`;
    const at = T0 + s * 10_000_000;
    yield* churnedSale(saleId, Math.min(PER_SALE, ORDERS - s * PER_SALE), at);
    if (s < sales - LIVE_SALES) {
      yield { type: 'sale_closed', saleId, at: at + 5_000_000 };
      yield { type: 'sale_retired', saleId, at: at + 6_000_000 };
    }
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** Opens the ledger (a restart's replay) RESTARTS times; the median wall time and what the last open loaded. */
async function restart(dataDir: string): Promise<{ ms: number; runs: number[]; sales: number; orders: number }> {
  const runs: number[] = [];
  let sales = 0;
  let orders = 0;
  for (let i = 0; i < RESTARTS; i++) {
    const started = performance.now();
    const ledger = EmbeddedLedger.open({ dataDir, fsync: 'batch' });
    runs.push(performance.now() - started);
    const ids = await ledger.saleIds();
    sales = ids.length;
    orders = 0;
    for (const id of ids) orders += ledger.diagnostics.saleFigures(id)!.orderCount;
    await ledger.close();
  }
  return { ms: median(runs), runs, sales, orders };
}

interface Row {
  readonly scenario: string;
  readonly journalRecords: number;
  readonly journalMB: number;
  readonly beforeMs: number;
  readonly beforeRuns: number[];
  readonly compactMs: number;
  readonly snapshotMB: number;
  readonly afterMs: number;
  readonly afterRuns: number[];
  readonly liveSales: number;
  readonly liveOrders: number;
}

async function scenario(name: string, events: () => Iterable<JournalEvent>): Promise<Row> {
  const dataDir = mkdtempSync(join(tmpdir(), 'spike-journal-restart-'));
  try {
    const written = writeJournal(dataDir, events());
    const before = await restart(dataDir);
    // The compaction as the running ledger makes it: rotate, then the worker thread.
    const ledger = EmbeddedLedger.open({ dataDir, fsync: 'batch' });
    const started = performance.now();
    const result = await ledger.compactor.compact();
    const compactMs = performance.now() - started;
    await ledger.close();
    if (!result) throw new Error('the compaction did not run');
    const after = await restart(dataDir);
    if (after.orders !== before.orders || after.sales !== before.sales) throw new Error(`the compacted ledger differs: ${after.sales} sales/${after.orders} orders, was ${before.sales}/${before.orders}`);
    return {
      scenario: name,
      journalRecords: written.records,
      journalMB: written.bytes / 1e6,
      beforeMs: before.ms,
      beforeRuns: before.runs,
      compactMs,
      snapshotMB: statSync(join(dataDir, 'ledger.snapshot')).size / 1e6,
      afterMs: after.ms,
      afterRuns: after.runs,
      liveSales: after.sales,
      liveOrders: after.orders,
    };
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  console.log(`journal restart: ${ORDERS.toLocaleString('en')} churned orders (bought, then cancelled by their buyer), median of ${RESTARTS} restart(s) each, node ${process.version}`);
  const rows = [await scenario('one live sale', oneLiveSale), await scenario(`retired sales (${PER_SALE}/sale, last ${LIVE_SALES} live)`, retiredSales)];
  const pad = (text: string, width: number) => text.padEnd(width);
  const num = (value: number, digits = 0) => value.toLocaleString('en', { maximumFractionDigits: digits, minimumFractionDigits: digits });
  console.log();
  console.log(`${pad('history', 40)}${pad('journal', 27)}${pad('restart before', 16)}${pad('compaction', 12)}${pad('snapshot', 11)}${pad('restart after', 15)}${pad('faster', 8)}live state`);
  for (const r of rows) {
    console.log(
      `${pad(r.scenario, 40)}${pad(`${num(r.journalRecords)} rec, ${num(r.journalMB, 1)} MB`, 27)}${pad(`${num(r.beforeMs)} ms`, 16)}${pad(`${num(r.compactMs)} ms`, 12)}${pad(`${num(r.snapshotMB, 1)} MB`, 11)}${pad(`${num(r.afterMs)} ms`, 15)}${pad(`${num(r.beforeMs / r.afterMs, 1)}x`, 8)}${num(r.liveSales)} sales, ${num(r.liveOrders)} orders`,
    );
  }
  const out = join(__dirname, '..', '..', 'bench', 'results', 'journal-restart.json');
  writeFileSync(out, `${JSON.stringify({ at: new Date().toISOString(), node: process.version, orders: ORDERS, perSale: PER_SALE, restarts: RESTARTS, rows }, null, 2)}\n`);
  console.log(`\nwritten to ${out}`);
}

void main().catch((error) => {
  console.error(error);
  process.exit(1);
});
