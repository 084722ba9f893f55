// The selling phase at length (issue 10). The matrix's sales of 10,000 sell
// out in under a second, one noisy slice; here each ledger sells
// BENCH_SELLING_TICKETS (default 200,000) under the default balancer, so
// selling lasts seconds. Reported: tickets sold per second in steady state
// (the median of the selling slices, the first and last left out), and that
// as a ratio to the same ledger's own limit measured in the same run at the
// same concurrency (bench/ledger-limit.ts): what the HTTP path, the balancer
// and the workers cost on top of the ledger.
import { loadConfig } from '../src/config/config';
import { measureLedgerLimit, type LedgerLimit } from './ledger-limit';
import type { LoadGenerator } from './load/slice';
import type { BenchSettings, LedgerKind } from './settings';
import { runCell, type CellResult } from './spike-cell';

export interface SellingResult {
  readonly ledger: LedgerKind;
  readonly balancer: string;
  readonly tickets: number;
  readonly cell: CellResult;
  /** Median 201s/s over the selling slices but the first and the last; null when fewer than three. */
  readonly steadyTicketsPerSecond: number | null;
  /** Tickets over the time to sell out, ramp-up included. */
  readonly overallTicketsPerSecond: number | null;
  readonly sellingSlices: number;
  readonly limit?: LedgerLimit;
  readonly limitError?: string;
  /** steady / limit. */
  readonly ratioToLimit: number | null;
}

function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** The selling slices' sold rates, the first (ramp-up) and last (cut short by the sell-out) left out. */
export function steadySellingRate(cell: Pick<CellResult, 'series'>): { rate: number | null; slices: number } {
  const selling = (cell.series ?? []).filter((p) => p.phase === 'selling' && p.sold !== undefined);
  const inner = selling.slice(1, -1).map((p) => p.sold!);
  return { rate: inner.length > 0 ? median(inner) : null, slices: selling.length };
}

export async function runSellingCells(settings: BenchSettings, generator: LoadGenerator, log: (line: string) => void): Promise<SellingResult[]> {
  const tickets = settings.sellingTickets;
  const ledgers = [...new Set(settings.matrix.map((cell) => cell.ledger))];
  const balancer = loadConfig({ ...process.env, ...settings.serverEnv, BALANCER: '' }).balancer;
  const results: SellingResult[] = [];
  for (const ledger of ledgers) {
    log(`selling: ${tickets.toLocaleString('en-US')} tickets, ${balancer}:${ledger}`);
    // Twice the tickets in buyers: the cell stops at the sell-out, and a short sold-out phase shows the turn.
    const cell = await runCell({ balancer, ledger }, { settings: { ...settings, tickets, users: tickets * 2 }, generator, log });
    const steady = steadySellingRate(cell);
    const overall = cell.soldOutAtMs ? (tickets * 1000) / cell.soldOutAtMs : null;
    let limit: LedgerLimit | undefined;
    let limitError: string | undefined;
    try {
      // The ledger batched as the server under test batches it.
      const server = loadConfig({ ...process.env, ...settings.serverEnv });
      limit = await measureLedgerLimit(ledger, { redisUrl: settings.redisUrl, inFlight: settings.connections, ms: 3000, autoPipelining: server.redisAutoPipelining, reserveBatch: server.redisReserveBatch, batchWindowMs: server.redisBatchWindowMs });
    } catch (error) {
      limitError = (error as Error).message;
    }
    const ratioToLimit = steady.rate !== null && limit ? steady.rate / limit.perSecond : null;
    results.push({ ledger, balancer, tickets, cell, steadyTicketsPerSecond: steady.rate, overallTicketsPerSecond: overall, sellingSlices: steady.slices, ...(limit ? { limit } : {}), ...(limitError ? { limitError } : {}), ratioToLimit });
  }
  return results;
}

export function renderSelling(results: readonly SellingResult[]): string {
  const n = (v: number | null | undefined) => (v === null || v === undefined ? '-' : Math.round(v).toLocaleString('en-US'));
  const out = ['selling at length: one sale per ledger under the default balancer, tickets/s in steady state against the ledger alone (same run, same concurrency)'];
  for (const r of results) {
    if (r.cell.status !== 'ok') {
      out.push(`  ${r.balancer}:${r.ledger}: FAILED: ${r.cell.error?.split('\n')[0]}`);
      continue;
    }
    const audit = r.cell.audit ? (r.cell.audit.ok ? 'audit PASS' : 'audit FAIL') : `audit not available (${r.cell.auditError})`;
    out.push(
      `  ${r.balancer}:${r.ledger}: ${n(r.tickets)} tickets sold out in ${((r.cell.soldOutAtMs ?? 0) / 1000).toFixed(1)} s: steady ${n(r.steadyTicketsPerSecond)} tickets/s (median of ${Math.max(0, r.sellingSlices - 2)} inner selling slices), ${n(r.overallTicketsPerSecond)}/s with the ramp; ${audit}`,
    );
    if (r.limit) out.push(`    the ledger alone: ${n(r.limit.perSecond)} reservations/s at ${r.limit.inFlight} in flight (${r.limit.how}); spike's HTTP path reaches ×${r.ratioToLimit === null ? '-' : r.ratioToLimit.toFixed(2)} of it`);
    else out.push(`    the ledger alone: not measured (${r.limitError})`);
  }
  return out.join('\n');
}
