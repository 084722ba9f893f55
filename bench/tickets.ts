// The bench's tickets section: tickets signed and rendered per second (pool
// vs main thread vs a pool behind an IPC hop), and per ledger the purchase
// p99 and throughput with and without a burst of QR renders beside it, and
// gates checking tickets in, audited. Its verdicts are the issue's targets:
// the pool costs purchases at most 10% of their throughput while rendering,
// and check-ins reach at least half the purchase rate of the same ledger.
import { mkdtempSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import type { LoadGenerator } from './load/slice';
import { dropPrefix } from '../harness/redis-admin';
import { startServerProcess, type ServerProcess } from './server-process';
import type { BenchSettings, LedgerKind } from './settings';
import { checkinFlood, purchaseWithRenderBurst, type BurstComparison, type CheckinRun } from './tickets-load';
import { renderRates, type RenderRate } from './tickets-render-rate';

export interface TicketLedgerResult {
  readonly ledger: LedgerKind;
  readonly status: 'ok' | 'failed';
  readonly error?: string;
  readonly burst?: BurstComparison;
  readonly checkins?: CheckinRun;
  /** Check-ins per second over the purchase rate without the burst (target >= 0.5). */
  readonly checkinToPurchase?: number;
  /** The same flood with every ticket sent once: first admissions only. */
  readonly firstScans?: CheckinRun;
}

export interface TicketBenchResults {
  readonly renderRates: RenderRate[];
  readonly ledgers: TicketLedgerResult[];
}

const CHECKIN_REPEATS = 3;
/** Tickets checked in unmeasured before the flood, as the purchase flood has a warm slice. */
const CHECKIN_WARM_TICKETS = 500;

async function runLedger(ledger: LedgerKind, settings: BenchSettings, generator: LoadGenerator, log: (line: string) => void): Promise<TicketLedgerResult> {
  const id = randomBytes(4).toString('hex');
  const adminToken = randomBytes(18).toString('base64url');
  const gateToken = randomBytes(18).toString('base64url');
  const workDir = mkdtempSync(join(tmpdir(), 'spike-bench-tickets-'));
  const prefix = `spikebench-tickets-${id}`;
  let server: ServerProcess | undefined;
  try {
    server = await startServerProcess({
      ...settings.serverEnv,
      PORT: '0',
      HOST: '127.0.0.1',
      LEDGER: ledger,
      REDIS_URL: settings.redisUrl,
      REDIS_PREFIX: prefix,
      DATA_DIR: workDir,
      ADMIN_TOKEN: adminToken,
      GATE_TOKEN: gateToken,
      // The purchase flood reserves from a sale that never sells out; holds keep the issuer out of the picture.
      DEFAULT_SALE_ID: `tickets-${id}`,
      DEFAULT_SALE_TOTAL: '100000000',
      DEFAULT_SALE_HOLD_SECONDS: '900',
    });
    const target = { url: server.url, adminToken };
    const burst = await purchaseWithRenderBurst(target, { generator, connections: settings.connections, phaseMs: settings.baselineSeconds * 1000, renders: settings.ticketRenders, rounds: settings.ticketRounds, renderConnections: 16, firstId: 0 });
    log(`  tickets ${ledger}: purchase p99 ${burst.without.p99Ms.toFixed(2)} ms without renders, ${burst.during.p99Ms.toFixed(2)} ms during ${burst.burst.ok} renders (×${burst.p99Ratio.toFixed(2)}), throughput ×${burst.rpsRatio.toFixed(2)}`);
    const checkins = await checkinFlood(target, { tickets: settings.ticketCheckins, repeats: CHECKIN_REPEATS, connections: settings.connections, gateToken, workDir, warmTickets: Math.min(CHECKIN_WARM_TICKETS, settings.ticketCheckins) });
    log(`  tickets ${ledger}: ${Math.round(checkins.perSecond)} check-ins/s, audit ${checkins.ok ? 'ok' : 'FAILED'}`);
    // Every ticket once: what a check-in costs when no worker has seen the ticket (no memory helps).
    const firstScans = await checkinFlood(target, { tickets: settings.ticketCheckins, repeats: 1, connections: settings.connections, gateToken, workDir });
    log(`  tickets ${ledger}: ${Math.round(firstScans.perSecond)} first scans/s, audit ${firstScans.ok ? 'ok' : 'FAILED'}`);
    return { ledger, status: 'ok', burst, checkins, checkinToPurchase: checkins.perSecond / burst.without.rps, firstScans };
  } catch (error) {
    return { ledger, status: 'failed', error: (error as Error).message };
  } finally {
    await server?.stop();
    rmSync(workDir, { recursive: true, force: true });
    if (ledger === 'redis') {
      const redis = new Redis(settings.redisUrl, { maxRetriesPerRequest: 1 });
      redis.on('error', () => {});
      await dropPrefix(redis, prefix).catch(() => {});
      redis.disconnect();
    }
  }
}

export async function runTicketsBench(options: { settings: BenchSettings; generator: LoadGenerator; log: (line: string) => void }): Promise<TicketBenchResults> {
  const { settings, generator, log } = options;
  log('tickets: render rates (main thread, pool, pool behind IPC)');
  const rates = await renderRates({ renders: Math.min(settings.ticketRenders, 1000), threads: 2, concurrency: 16 });
  const ledgers = [...new Set(settings.matrix.map((cell) => cell.ledger))];
  const results: TicketLedgerResult[] = [];
  for (const ledger of ledgers) results.push(await runLedger(ledger, settings, generator, log));
  return { renderRates: rates, ledgers: results };
}

const f = (value: number, digits = 0) => value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

export function renderTicketsReport(results: TicketBenchResults): string {
  const out = ['', 'tickets: signed + rendered PNG QR codes per second (in the bench process)'];
  for (const r of results.renderRates) {
    out.push(`  ${r.mode.padEnd(24)} threads ${r.threads}: ${f(r.perSecond).padStart(7)}/s, worst event-loop stall ${f(r.maxLoopDelayMs, 1)} ms${r.hostElu !== undefined ? `, host event loop busy ${f(r.hostElu * 100)}%` : ''}`);
  }
  for (const l of results.ledgers) {
    if (l.status !== 'ok') {
      out.push(`tickets on ${l.ledger}: FAILED: ${l.error?.split('\n')[0]}`);
      continue;
    }
    const b = l.burst!;
    const c = l.checkins!;
    out.push(
      `tickets on ${l.ledger}:`,
      `  purchases without renders: ${f(b.without.rps)}/s, p99 ${f(b.without.p99Ms, 2)} ms (median of ${b.rounds.length} quiet slices: ${b.rounds.map((r) => f(r.without.p99Ms, 1)).join(', ')} ms)`,
      `  purchases during ${b.burst.ok} renders (${f(b.burst.perSecond)} renders/s, ${f(b.burst.seconds, 1)} s): ${f(b.during.rps)}/s, p99 ${f(b.during.p99Ms, 2)} ms (median of ${b.rounds.map((r) => f(r.during.p99Ms, 1)).join(', ')} ms)`,
      `  purchases beside an idle-priority process doing the same work: ${f(b.burner.rps)}/s, p99 ${f(b.burner.p99Ms, 2)} ms (what using the spare CPU at all costs here: p99 ×${f(b.burnerP99Ratio, 2)})`,
      `  p99 ×${f(b.p99Ratio, 2)} (target <= 1.2; ×${f(b.p99RatioToBurner, 2)} against the idle burner), throughput ×${f(b.rpsRatio, 2)} (target >= 0.90): ${b.p99Ratio <= 1.2 && b.rpsRatio >= 0.9 ? 'met' : 'MISSED'}`,
      `  check-ins: ${f(c.perSecond)}/s, p99 ${f(c.p99Ms, 2)} ms; ${c.tickets} tickets sent ${CHECKIN_REPEATS}x (after ${c.warmTickets} others, unmeasured): ${c.admitted} admitted, ${c.alreadyUsed} already_used, ${c.other} other, ${c.abandoned} unanswered when wrk stopped at the quota; ledger counts ${c.ledgerCheckedIn} checked in: audit ${c.ok ? 'ok' : 'FAILED'}`,
      `  check-ins / purchases: ×${f(l.checkinToPurchase!, 2)} (target >= 0.5): ${l.checkinToPurchase! >= 0.5 ? 'met' : 'MISSED'}`,
    );
    const first = l.firstScans;
    if (first) {
      out.push(
        `  first scans only (${first.tickets} other tickets, each once, so no worker has verified or seen one before): ${f(first.perSecond)}/s, p99 ${f(first.p99Ms, 2)} ms, ×${f(first.perSecond / b.without.rps, 2)} purchases; ${first.admitted} admitted, ${first.other} other, ${first.abandoned} unanswered: audit ${first.ok ? 'ok' : 'FAILED'}`,
      );
    }
  }
  return out.join('\n');
}
