// Server-level ticket measurements, shared by the bench's tickets section and
// the burst test: the purchase path's p99 and throughput (wrk on /buy/ticket)
// without, with, and again without a burst of QR renders running beside it;
// and gates checking tickets in (wrk, bench/lua/checkins.lua), audited.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import autocannon from 'autocannon';
import type { LoadGenerator, SliceResult } from './load/slice';
import { LUA_DIR, runWrkScript } from './load/wrk-script';

export const CHECKINS_SCRIPT = join(LUA_DIR, 'checkins.lua');
const IDLE_BURNER = join(__dirname, 'idle-burner.js');

export interface PurchasePhase {
  readonly rps: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly responses: number;
  readonly seconds: number;
  readonly statuses: Record<string, number>;
}

export interface RenderBurst {
  readonly renders: number;
  readonly ok: number;
  readonly seconds: number;
  readonly perSecond: number;
  readonly p99Ms: number;
}

export interface BurstRound {
  readonly without: PurchasePhase;
  readonly during: PurchasePhase;
  /** Beside the idle-priority burner instead of the renders. */
  readonly burner: PurchasePhase;
}

export interface BurstComparison {
  /** The purchase flood alone: every quiet slice together, p99 the median of their p99s. */
  readonly without: PurchasePhase;
  /** The flood beside the renders: every burst slice together, p99 the median of their p99s. */
  readonly during: PurchasePhase;
  /** The flood beside an idle-priority process doing the same work (bench/idle-burner.ts). */
  readonly burner: PurchasePhase;
  /** Each round's slices. */
  readonly rounds: readonly BurstRound[];
  readonly burst: RenderBurst;
  /** Median p99 during the renders over median p99 without them. */
  readonly p99Ratio: number;
  /** Median p99 during the renders over median p99 beside the burner: the renders against any use of the spare CPU. */
  readonly p99RatioToBurner: number;
  /** Median p99 beside the burner over without: what this machine charges for using its spare CPU at all. */
  readonly burnerP99Ratio: number;
  /**
   * The median over rounds of each round's renders p99 over its own burner p99: a paired
   * comparison, so a slow stretch of the machine moves both sides of a ratio, and one
   * stalled slice moves one round's ratio, not a side's median.
   */
  readonly pairedRatioToBurner: number;
  /** Purchase throughput during the renders over without them. */
  readonly rpsRatio: number;
}

export interface CheckinRun {
  readonly tickets: number;
  /** Other tickets checked in the same way just before, unmeasured. */
  readonly warmTickets: number;
  readonly responses: number;
  readonly seconds: number;
  readonly perSecond: number;
  readonly p99Ms: number;
  readonly admitted: number;
  readonly alreadyUsed: number;
  readonly other: number;
  /** Check-ins sent but unanswered when wrk stopped at the quota (their answers are lost, not their check-ins). */
  readonly abandoned: number;
  /** The ledger's own count of tickets checked in (must equal tickets). */
  readonly ledgerCheckedIn: number;
  readonly ok: boolean;
}

interface Server {
  readonly url: string;
  readonly adminToken: string;
}

async function call(server: Server, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<any> {
  const response = await fetch(`${server.url}${path}`, {
    method,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${server.adminToken}`, ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
  return JSON.parse(text);
}

async function inParallel<T>(count: number, concurrency: number, run: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = new Array(count);
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, async () => {
    while (next < count) {
      const i = next++;
      out[i] = await run(i);
    }
  }));
  return out;
}

/** A sale of `count` paid orders (holdSeconds 0); returns their ids and buyers. */
export async function paidOrders(server: Server, label: string, count: number): Promise<Array<{ orderId: string; userId: string }>> {
  const saleId = `${label}-${randomBytes(4).toString('hex')}`;
  await call(server, 'POST', '/api/sales', { id: saleId, total: count, holdSeconds: 0 });
  return inParallel(count, 32, async (i) => {
    const userId = `${label}-${i}`;
    const order = await call(server, 'POST', `/api/sales/${saleId}/purchases`, { userId });
    return { orderId: order.orderId as string, userId };
  });
}

function quantileMs(slice: SliceResult, p: number): number {
  const found = slice.latency.quantiles.find(([q]) => q === p);
  return found ? found[1] / 1000 : NaN;
}

function phaseOf(slice: SliceResult): PurchasePhase {
  const seconds = slice.durationMs / 1000;
  return { rps: slice.responses / seconds, p50Ms: quantileMs(slice, 50), p99Ms: quantileMs(slice, 99), responses: slice.responses, seconds, statuses: slice.statuses };
}

/** `renders` PNG tickets of the given orders, `connections` at a time (autocannon, in this process). */
function renderBurst(server: Server, orders: ReadonlyArray<{ orderId: string; userId: string }>, renders: number, connections: number): Promise<RenderBurst> {
  let i = 0;
  const started = performance.now();
  return new Promise((resolve, reject) => {
    autocannon(
      {
        url: server.url,
        // autocannon refuses more connections than requests (a small bench splits its renders over rounds).
        connections: Math.min(connections, renders),
        amount: renders,
        timeout: 120,
        requests: [{ method: 'GET', setupRequest: (req) => {
          const order = orders[i++ % orders.length]!;
          return { ...req, path: `/api/orders/${order.orderId}/ticket?userId=${order.userId}&format=png` };
        } }],
      },
      (error, result) => {
        if (error) return reject(error);
        const seconds = (performance.now() - started) / 1000;
        resolve({ renders, ok: result['2xx'], seconds, perSecond: result['2xx'] / seconds, p99Ms: result.latency.p99 });
      },
    );
  });
}

export interface BurstOptions {
  readonly generator: LoadGenerator;
  readonly connections: number;
  /** Shortest quiet slice; each lasts as long as its round's burst slice. */
  readonly phaseMs: number;
  /** Renders in all; they are split evenly over the rounds. */
  readonly renders: number;
  readonly renderConnections: number;
  /** Quiet/burst pairs (default 4). */
  readonly rounds?: number;
  /** Buyer ids for /buy/ticket start after this; the default sale must not sell out. */
  readonly firstId: number;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Several slices as one phase: summed counts, and the median of their p50s and p99s. */
function mergedPhase(phases: readonly PurchasePhase[]): PurchasePhase {
  const responses = phases.reduce((sum, p) => sum + p.responses, 0);
  const seconds = phases.reduce((sum, p) => sum + p.seconds, 0);
  const statuses: Record<string, number> = {};
  for (const p of phases) for (const [status, n] of Object.entries(p.statuses)) statuses[status] = (statuses[status] ?? 0) + n;
  return { rps: responses / seconds, p50Ms: median(phases.map((p) => p.p50Ms)), p99Ms: median(phases.map((p) => p.p99Ms)), responses, seconds, statuses };
}

/** Starts bench/idle-burner.js under SCHED_IDLE; resolves once it renders, with a function that stops it. */
async function startIdleBurner(): Promise<() => Promise<void>> {
  const child = spawn('chrt', ['--idle', '0', process.execPath, IDLE_BURNER], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    child.once('error', (error) => reject(new Error(`cannot run chrt (util-linux) for the idle burner: ${error.message}`)));
    child.stdout!.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('ready')) resolve();
    });
    void exited.then(() => reject(new Error('the idle burner exited before it was ready')));
  });
  return async () => {
    child.kill('SIGKILL');
    await exited;
  };
}

/**
 * The purchase flood alone, beside a burst of QR renders, and beside an
 * idle-priority process doing the same work, in interleaved rounds (the
 * order rotates each round) on one server in one run. A shared 2-core box
 * drifts: the sale's state grows under the flood and other tenants come and
 * go, and one quiet slice before and one after showed p99s 1.8x apart with
 * no renders at all. Rotating the order and comparing medians puts the drift
 * on every side of the ratios, and each round's slices last as long as its
 * burst slice, since a longer slice is likelier to catch one of the box's
 * rare stalls.
 */
export async function purchaseWithRenderBurst(server: Server, options: BurstOptions): Promise<BurstComparison> {
  const orders = await paidOrders(server, 'render', 50);
  const roundCount = options.rounds ?? 4;
  let firstId = options.firstId;
  const slice = async (durationMs: number, stopWhen?: () => Promise<boolean>) => {
    const request = { url: server.url, pathPrefix: '/buy/ticket?user=tb', firstId, quota: 0, connections: options.connections, threads: 1, durationMs, timeoutSeconds: 10, stopWhen };
    const result = await options.generator.runSlice(request);
    firstId = options.generator.nextId(request, result);
    return phaseOf(result);
  };
  const bursts: RenderBurst[] = [];
  const burstSlice = async (renders: number) => {
    let burstDone = false;
    const burst = renderBurst(server, orders, renders, options.renderConnections).finally(() => {
      burstDone = true;
    });
    const during = await slice(120_000, async () => burstDone);
    bursts.push(await burst);
    return during;
  };
  const burnerSlice = async (durationMs: number) => {
    const stop = await startIdleBurner();
    try {
      return await slice(durationMs);
    } finally {
      await stop();
    }
  };
  // Warm both paths (JIT, connections, the render threads) before measuring.
  const warm = await renderBurst(server, orders, 100, options.renderConnections);
  await slice(1000);
  let burstMs = Math.max(options.phaseMs, (options.renders / roundCount / warm.perSecond) * 1000);
  const rounds: BurstRound[] = [];
  for (let round = 0; round < roundCount; round++) {
    const renders = Math.max(1, Math.floor(options.renders / roundCount) + (round < options.renders % roundCount ? 1 : 0));
    const kinds: Array<'without' | 'during' | 'burner'> = ['without', 'during', 'burner'];
    for (let turn = 0; turn < round % 3; turn++) kinds.push(kinds.shift()!);
    const got: Partial<Record<'without' | 'during' | 'burner', PurchasePhase>> = {};
    for (const kind of kinds) {
      if (kind === 'during') {
        got.during = await burstSlice(renders);
        burstMs = Math.max(options.phaseMs, got.during.seconds * 1000);
      } else {
        got[kind] = kind === 'without' ? await slice(burstMs) : await burnerSlice(burstMs);
      }
    }
    rounds.push({ without: got.without!, during: got.during!, burner: got.burner! });
  }
  const without = mergedPhase(rounds.map((r) => r.without));
  const during = mergedPhase(rounds.map((r) => r.during));
  const burner = mergedPhase(rounds.map((r) => r.burner));
  const ok = bursts.reduce((sum, b) => sum + b.ok, 0);
  const seconds = bursts.reduce((sum, b) => sum + b.seconds, 0);
  const burst: RenderBurst = { renders: options.renders, ok, seconds, perSecond: ok / seconds, p99Ms: Math.max(...bursts.map((b) => b.p99Ms)) };
  return {
    without,
    during,
    burner,
    rounds,
    burst,
    p99Ratio: during.p99Ms / without.p99Ms,
    p99RatioToBurner: during.p99Ms / burner.p99Ms,
    burnerP99Ratio: burner.p99Ms / without.p99Ms,
    pairedRatioToBurner: median(rounds.map((r) => r.during.p99Ms / r.burner.p99Ms)),
    rpsRatio: during.rps / without.rps,
  };
}

/** `count` paid orders' tickets, written one a line for bench/lua/checkins.lua; returns the file and the sale. */
async function ticketFile(server: Server, label: string, count: number, workDir: string): Promise<{ file: string; saleId: string }> {
  const orders = await paidOrders(server, label, count);
  const saleId = orders[0]!.orderId.split('.')[0]!;
  const tickets = await inParallel(orders.length, 32, async (i) => (await call(server, 'GET', `/api/orders/${orders[i]!.orderId}/ticket`)).ticket as string);
  const file = join(workDir, `tickets-${saleId}.txt`);
  writeFileSync(file, `${tickets.join('\n')}\n`);
  return { file, saleId };
}

/**
 * `tickets` paid tickets, each checked in `repeats` times by wrk over
 * `connections`: exactly one admission per ticket, already_used for the rest,
 * and the ledger's own count agreeing. First, as the purchase flood has its
 * warm slice, `warmTickets` other tickets go through the same flood unmeasured
 * (JIT, connections), so a short flood is not a measure of a cold start.
 */
export async function checkinFlood(server: Server, options: { tickets: number; repeats: number; connections: number; gateToken: string; workDir: string; warmTickets?: number }): Promise<CheckinRun> {
  const warmTickets = options.warmTickets ?? 0;
  if (warmTickets > 0) {
    const warm = await ticketFile(server, 'gate-warm', warmTickets, options.workDir);
    await runWrkScript(CHECKINS_SCRIPT, server.url, [warm.file, options.gateToken, String(warmTickets * options.repeats)], { connections: options.connections });
  }
  const { file, saleId } = await ticketFile(server, 'gate', options.tickets, options.workDir);
  const raw = await runWrkScript(CHECKINS_SCRIPT, server.url, [file, options.gateToken, String(options.tickets * options.repeats)], { connections: options.connections });
  const statuses = raw.statuses;
  const admitted = statuses['200'] ?? 0;
  const alreadyUsed = statuses['409'] ?? 0;
  const other = raw.responses - admitted - alreadyUsed;
  const abandoned = raw.sent - raw.responses;
  const audit = await call(server, 'GET', `/api/sales/${saleId}/audit`);
  const seconds = raw.durationUs / 1e6;
  const ledgerCheckedIn = audit.tickets.checkedIn as number;
  return {
    tickets: options.tickets,
    warmTickets,
    responses: raw.responses,
    seconds,
    perSecond: raw.responses / seconds,
    p99Ms: (raw.quantiles.find(([q]) => q === 99)?.[1] ?? NaN) / 1000,
    admitted,
    alreadyUsed,
    other,
    abandoned,
    ledgerCheckedIn,
    // Exactly once by the ledger's count; never two admissions seen for one ticket; and any
    // admission the gates did not hear is among the answers lost when wrk stopped. Sent once
    // each, a ticket whose scan was lost at the stop may never have reached the ledger.
    ok:
      other === 0 &&
      admitted <= options.tickets &&
      (options.repeats > 1
        ? ledgerCheckedIn === options.tickets && admitted + abandoned >= options.tickets
        : ledgerCheckedIn >= admitted && ledgerCheckedIn <= admitted + abandoned),
  };
}
