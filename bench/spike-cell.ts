// One cell of the matrix (a balancer × a ledger): start the real server with a
// fresh sale, run the buyers against it, then read the figures the server and
// the ledger keep, and audit the sale. A cell that cannot start says why and
// the run goes on with the next one.
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import { loadConfig } from '../src/config/config';
import { hotFunctions, type HotFunction } from './cpu-profile';
import { dropPrefix, scriptCalls } from '../harness/redis-admin';
import { auditJournal, auditRedis, withApiSold, type Audit, type HeardAnswers } from './audit';
import { runPhase, summarise, type LoadSummary } from './load/phase';
import { redisCpuMs, totalCpuMs } from './load/proc-cpu';
import type { LoadGenerator, SliceResult } from './load/slice';
import { getJson, startServerProcess, tail, type ServerProcess } from './server-process';
import { cellName, type BenchSettings, type Cell } from './settings';

/** Percent of requests that come from a buyer already sent (a second click), so the per-buyer limit is exercised under load. */
export const REPEAT_BUYERS_PERCENT = 3;

export interface SeriesPoint {
  /** Seconds after the cell's load began (middle of the slice). */
  readonly t: number;
  readonly rps: number;
  /** 201s per second in the slice: tickets sold (absent in results written before it existed). */
  readonly sold?: number;
  readonly p99Ms: number;
  readonly phase: string;
}

export interface WorkerShare {
  readonly slot: number;
  readonly weight: number;
  readonly expectedShare: number;
  readonly count: number;
  readonly share: number;
}

export interface LedgerCalls {
  readonly source: string;
  readonly calls: number;
  readonly tickets: number;
  readonly workers: number;
  readonly localBuffer: number;
  /** Units the weighted shares add by rounding up (ceil), over all workers. */
  readonly roundingUnits: number;
  readonly extensions: number;
  readonly extendedUnits: number;
  /** Requests from repeat buyers: each may cost a reservation call that the ledger refuses at the buyer's limit. */
  readonly repeats: number;
  readonly bound: number;
  readonly ok: boolean;
  readonly note: string;
}

export interface CellResult {
  readonly cell: string;
  readonly balancer: Cell['balancer'];
  readonly ledger: Cell['ledger'];
  status: 'ok' | 'failed';
  error?: string;
  ledgerDescription?: string;
  workers?: number;
  weights?: readonly number[];
  localBuffer?: number;
  stoppedBy?: string;
  load?: LoadSummary;
  selling?: LoadSummary;
  soldOut?: LoadSummary;
  soldOutAtMs?: number | null;
  /** Responses the generator saw as 201 (bought) and 409 (sold out); everything else is a failure. */
  answers?: { bought: number; soldOut: number; failed: number; failedStatuses: Record<string, number> };
  series?: SeriesPoint[];
  audit?: Audit | null;
  auditError?: string;
  ledgerCalls?: LedgerCalls | null;
  split?: { by: 'connections' | 'requests'; workers: WorkerShare[]; maxDeviationPoints: number };
  /** CPU used during the load, milliseconds; primaryMs is the part of serverMs the cluster primary used. */
  cpu?: { serverMs: number; primaryMs: number; generatorMs: number; redisMs: number | null; wallMs: number };
  ratioToBaseline?: number | null;
  /** With BENCH_CPU_PROF_DIR: the server's hottest functions by self time, over all its processes. */
  profile?: { dir: string; files: number; totalMs: number; functions: HotFunction[] } | { dir: string; error: string };
}

interface ClusterStats {
  sweeper?: { ledgerCalls: number; released: number };
  ticketIssuer?: { ledgerCalls: number; issued: number };
  balancer: string;
  ledger: string;
  workers: Array<{
    slot: number;
    weight: number;
    state: string;
    pid: number | null;
    connections: number | null;
    requests: number | null;
    allowances: Record<string, { extensions?: number; extendedUnits?: number; reserveCalls?: number; ledgerCalls?: number }> | null;
  }>;
}

export function seriesOf(slices: readonly SliceResult[]): SeriesPoint[] {
  return slices
    .filter((s) => s.durationMs > 0)
    .map((s) => ({
      t: (s.startMs + s.endMs) / 2000,
      rps: (s.responses * 1000) / s.durationMs,
      sold: ((s.statuses['201'] ?? 0) * 1000) / s.durationMs,
      p99Ms: summarise([s]).latencyUs.p99 / 1000,
      phase: s.phase ?? 'load',
    }));
}

export interface CellOptions {
  readonly settings: BenchSettings;
  readonly generator: LoadGenerator;
  readonly log: (line: string) => void;
}

export async function runCell(cell: Cell, options: CellOptions): Promise<CellResult> {
  const { settings, generator, log } = options;
  const id = randomBytes(4).toString('hex');
  const prefix = `spikebench-${id}`;
  const saleId = `bench-${id}`;
  const adminToken = randomBytes(18).toString('base64url');
  const dataDir = cell.ledger === 'embedded' ? mkdtempSync(join(tmpdir(), 'spike-bench-')) : '';
  const env: Record<string, string> = {
    ...settings.serverEnv,
    PORT: '0',
    HOST: '127.0.0.1',
    BALANCER: cell.balancer,
    LEDGER: cell.ledger,
    REDIS_URL: settings.redisUrl,
    REDIS_PREFIX: prefix,
    DEFAULT_SALE_ID: saleId,
    DEFAULT_SALE_TOTAL: String(settings.tickets),
    ADMIN_TOKEN: adminToken,
    // The audit replays ledger.journal on its own: no compaction may move its records into a snapshot.
    ...(dataDir ? { DATA_DIR: dataDir, JOURNAL_COMPACT_MB: '0' } : {}),
  };
  const profileDir = settings.cpuProfDir ? join(settings.cpuProfDir, cellName(cell).replace(':', '-')) : null;
  const result: CellResult = { cell: cellName(cell), balancer: cell.balancer, ledger: cell.ledger, status: 'failed' };
  const auth = { authorization: `Bearer ${adminToken}` };
  const redis = new Redis(settings.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  redis.on('error', () => {});
  let server: ServerProcess | undefined;
  try {
    const config = loadConfig({ ...process.env, ...env });
    result.workers = config.workers;
    result.weights = config.weights;
    result.localBuffer = config.localBuffer;
    if (cell.ledger === 'redis') {
      await redis.connect().catch((error: Error) => {
        throw new Error(`cannot reach Redis at ${settings.redisUrl} (${error.message}); start one there or set BENCH_REDIS_URL, or run only embedded cells: BENCH_MATRIX=proxy:embedded,reuseport:embedded`);
      });
    }

    try {
      if (profileDir) mkdirSync(profileDir, { recursive: true });
      server = await startServerProcess(env, 30_000, undefined, profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []);
    } catch (error) {
      throw new Error(`${cellName(cell)} did not start: ${(error as Error).message}`);
    }
    const clusterUrl = `${server.url}/api/cluster`;
    const before = await getJson<ClusterStats>(clusterUrl, auth);
    result.ledgerDescription = before.ledger;
    const isRedis = /^redis\b/i.test(before.ledger);
    if ((cell.ledger === 'redis') !== isRedis) {
      throw new Error(`asked for LEDGER=${cell.ledger} but the server runs "${before.ledger}"; this build has no ${cell.ledger} ledger`);
    }
    const serverPids = [server.pid, ...before.workers.map((w) => w.pid ?? undefined)];
    const saleUrl = `${server.url}/api/sales/${saleId}`;
    const soldNow = cell.ledger === 'redis'
      ? async () => Number((await redis.hget(`${prefix}:{${saleId}}:sale`, 'sold')) ?? 0)
      : async () => (await getJson<{ sold: number }>(saleUrl)).sold;

    const callsBefore = cell.ledger === 'redis' ? await scriptCalls(redis) : 0;
    const redisCpuBefore = cell.ledger === 'redis' ? await redisCpuMs(redis) : 0;
    const serverCpuBefore = totalCpuMs(serverPids);
    const primaryCpuBefore = totalCpuMs([server.pid]);

    log(`${result.cell}: ${settings.users.toLocaleString('en-US')} buyers for ${settings.tickets.toLocaleString('en-US')} tickets, ${config.workers} workers (weights ${config.weights.join(',')}), ${before.ledger}`);
    const run = await runPhase({
      generator,
      url: server.url,
      pathPrefix: '/buy/ticket?user=u',
      users: settings.users,
      maxMs: settings.maxSeconds * 1000,
      sliceMs: settings.sliceMs,
      connections: settings.connections,
      threads: settings.threads,
      timeoutSeconds: settings.timeoutSeconds,
      repeatPercent: REPEAT_BUYERS_PERCENT,
      soldOut: async () => (await soldNow()) >= settings.tickets,
      onSlice: (s, i) => log(`  slice ${i + 1} [${s.phase}] ${s.responses.toLocaleString('en-US')} responses in ${(s.durationMs / 1000).toFixed(2)} s = ${Math.round((s.responses * 1000) / Math.max(1, s.durationMs)).toLocaleString('en-US')} req/s, p99 ${(summarise([s]).latencyUs.p99 / 1000).toFixed(2)} ms`),
    });
    const serverCpu = totalCpuMs(serverPids) - serverCpuBefore;
    const primaryCpu = totalCpuMs([server.pid]) - primaryCpuBefore;

    // Requests a slice abandoned may still be in the server; wait until the
    // workers' counters stop moving before reading figures.
    let after = await getJson<ClusterStats>(clusterUrl, auth);
    for (let i = 0; i < 40; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      const next = await getJson<ClusterStats>(clusterUrl, auth);
      const moved = next.workers.reduce((s, w) => s + (w.requests ?? 0), 0) - after.workers.reduce((s, w) => s + (w.requests ?? 0), 0);
      after = next;
      if (moved <= 1) break; // our own poll
    }

    result.stoppedBy = run.stoppedBy;
    result.load = summarise(run.slices, run.wallMs);
    const selling = run.slices.filter((s) => s.phase === 'selling');
    const soldOut = run.slices.filter((s) => s.phase === 'sold-out');
    result.selling = selling.length ? summarise(selling) : undefined;
    result.soldOut = soldOut.length ? summarise(soldOut) : undefined;
    result.soldOutAtMs = run.soldOutAtMs;
    result.series = seriesOf(run.slices);
    const statuses = result.load.statuses;
    const failedStatuses = Object.fromEntries(Object.entries(statuses).filter(([s]) => s !== '201' && s !== '409'));
    result.answers = {
      bought: statuses['201'] ?? 0,
      soldOut: statuses['409'] ?? 0,
      failed: Object.values(failedStatuses).reduce((a, b) => a + b, 0) + result.load.errors.connect + result.load.errors.read + result.load.errors.write + result.load.errors.timeout,
      failedStatuses,
    };

    // Per-worker split: the primary counts connections in handoff and proxy modes; in
    // reuseport mode the kernel spreads connections, seen as requests served.
    const by = cell.balancer === 'reuseport' ? 'requests' : 'connections';
    const counts = after.workers.map((w) => (by === 'connections' ? (w.connections ?? 0) - (before.workers[w.slot]?.connections ?? 0) : (w.requests ?? 0) - (before.workers[w.slot]?.requests ?? 0)));
    const countSum = counts.reduce((a, b) => a + b, 0);
    const weightSum = after.workers.reduce((a, w) => a + w.weight, 0);
    const shares = after.workers.map((w, i) => ({ slot: w.slot, weight: w.weight, expectedShare: w.weight / weightSum, count: counts[i]!, share: countSum ? counts[i]! / countSum : 0 }));
    result.split = { by, workers: shares, maxDeviationPoints: Math.max(...shares.map((s) => Math.abs(s.share - s.expectedShare) * 100)) };

    // Ledger calls against the bound: every unit of allowance granted can
    // cost one reservation call, and nothing else can.
    let extensions = 0;
    let extendedUnits = 0;
    let reserveCalls: number | null = null;
    for (const w of after.workers) {
      const a = w.allowances?.[saleId];
      extensions += a?.extensions ?? 0;
      extendedUnits += a?.extendedUnits ?? 0;
      const own = a?.reserveCalls ?? a?.ledgerCalls;
      if (typeof own === 'number') reserveCalls = (reserveCalls ?? 0) + own;
    }
    const weights = after.workers.map((w) => w.weight);
    const roundingUnits = weights.reduce((s, w) => s + Math.ceil((settings.tickets * w) / weightSum), 0) - settings.tickets;
    // A repeat buyer may reach the ledger and be refused at the limit, which hands the unit back: one call beyond the allowance each.
    const repeats = result.load.repeats;
    const bound = settings.tickets + weights.length * config.localBuffer + roundingUnits + extendedUnits + repeats;
    let calls: number | null = null;
    let source = '';
    let note = '';
    if (cell.ledger === 'redis') {
      // Counted by Redis itself; the primary's hold sweeper and ticket issuer also run scripts, so their calls are taken out.
      const background = (after.sweeper?.ledgerCalls ?? 0) - (before.sweeper?.ledgerCalls ?? 0)
        + (after.ticketIssuer?.ledgerCalls ?? 0) - (before.ticketIssuer?.ledgerCalls ?? 0);
      const scripts = (await scriptCalls(redis)) - callsBefore - background;
      // Workers send a sale's reservations in batches (REDIS_RESERVE_BATCH), so Redis runs fewer
      // scripts than it gets reservations: the workers' own counters count reservations.
      if (reserveCalls !== null) {
        calls = reserveCalls;
        source = 'workers\' own reserve-call counters (/api/cluster)';
        note = `Redis ran ${scripts} scripts for them (INFO commandstats, EVALSHA+EVAL delta less ${background} hold-sweeper and ticket-issuer calls; reservations go in batches)`;
      } else {
        calls = scripts;
        source = `Redis INFO commandstats, EVALSHA+EVAL delta less ${background} hold-sweeper and ticket-issuer calls`;
        note = 'server-wide counter: other clients of this Redis during the run add to it';
      }
    } else if (reserveCalls !== null) {
      calls = reserveCalls;
      source = 'workers\' own reserve-call counters (/api/cluster)';
    }
    result.ledgerCalls = calls === null
      ? null
      : { source, calls, tickets: settings.tickets, workers: weights.length, localBuffer: config.localBuffer, roundingUnits, extensions, extendedUnits, repeats, bound, ok: calls <= bound, note };
    result.cpu = {
      serverMs: serverCpu,
      primaryMs: primaryCpu,
      generatorMs: result.load.generatorCpuMs,
      redisMs: cell.ledger === 'redis' ? (await redisCpuMs(redis)) - redisCpuBefore : null,
      wallMs: run.wallMs,
    };

    // The audit reads the ledger's own state, and holds the 201s against its orders.
    const serverFailures = Object.entries(statuses).filter(([s]) => Number(s) >= 500).reduce((sum, [, count]) => sum + count, 0);
    const heard: HeardAnswers = {
      bought: result.answers.bought,
      orderIds: run.slices.every((s) => s.boughtOrderIds) ? run.slices.flatMap((s) => s.boughtOrderIds!) : null,
      unknown: result.load.abandoned + result.load.errors.timeout + serverFailures,
    };
    const apiSold = (await getJson<{ sold: number }>(saleUrl).catch(() => null))?.sold ?? null;
    try {
      if (cell.ledger === 'redis') {
        result.audit = withApiSold(await auditRedis(redis, prefix, saleId, settings.tickets, heard), apiSold);
      } else {
        // The journal is complete once the primary has drained and closed it.
        await server.stop();
        result.audit = withApiSold(auditJournal(dataDir, saleId, settings.tickets, heard), apiSold);
      }
    } catch (error) {
      result.audit = null;
      result.auditError = (error as Error).message;
    }
    result.status = 'ok';
  } catch (error) {
    result.error = (error as Error).message;
    if (server) result.error += `\nserver output:\n${tail(server.output())}`;
  } finally {
    await server?.stop().catch(() => undefined);
    if (profileDir && server) {
      try {
        result.profile = { dir: profileDir, ...hotFunctions(profileDir) };
      } catch (error) {
        result.profile = { dir: profileDir, error: (error as Error).message };
      }
    }
    if (cell.ledger === 'redis') await dropPrefix(redis, prefix).catch(() => undefined);
    redis.disconnect();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  }
  return result;
}
