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

export const CHECKINS_SCRIPT = join(__dirname, '..', '..', 'bench', 'lua', 'checkins.lua');

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

export interface BurstComparison {
  readonly without: PurchasePhase;
  readonly during: PurchasePhase;
  readonly after: PurchasePhase;
  readonly burst: RenderBurst;
  /** p99 during the burst over the p99 without it (the mean of the phases before and after). */
  readonly p99Ratio: number;
  /** Purchase throughput during the burst over without it. */
  readonly rpsRatio: number;
}

export interface CheckinRun {
  readonly tickets: number;
  readonly responses: number;
  readonly seconds: number;
  readonly perSecond: number;
  readonly p99Ms: number;
  readonly admitted: number;
  readonly alreadyUsed: number;
  readonly other: number;
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
        connections,
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
  readonly phaseMs: number;
  readonly renders: number;
  readonly renderConnections: number;
  /** Buyer ids for /buy/ticket start after this; the default sale must not sell out. */
  readonly firstId: number;
}

/**
 * The purchase flood alone, then with a burst of `renders` QR renders beside
 * it (the flood runs until the burst is done), then alone again: one server,
 * one run, so the ratio holds however busy the machine is otherwise.
 */
export async function purchaseWithRenderBurst(server: Server, options: BurstOptions): Promise<BurstComparison> {
  const orders = await paidOrders(server, 'render', 50);
  let firstId = options.firstId;
  const slice = async (durationMs: number, stopWhen?: () => Promise<boolean>) => {
    const request = { url: server.url, pathPrefix: '/buy/ticket?user=tb', firstId, quota: 0, connections: options.connections, threads: 1, durationMs, timeoutSeconds: 10, stopWhen };
    const result = await options.generator.runSlice(request);
    firstId = options.generator.nextId(request, result);
    return result;
  };
  // Warm both paths (JIT, connections, the render threads) before measuring.
  await renderBurst(server, orders, 100, options.renderConnections);
  await slice(1000);
  const without = phaseOf(await slice(options.phaseMs));
  let burstDone = false;
  const burst = renderBurst(server, orders, options.renders, options.renderConnections).finally(() => {
    burstDone = true;
  });
  const during = phaseOf(await slice(120_000, async () => burstDone));
  const rendered = await burst;
  const after = phaseOf(await slice(options.phaseMs));
  const p99Without = (without.p99Ms + after.p99Ms) / 2;
  return { without, during, after, burst: rendered, p99Ratio: during.p99Ms / p99Without, rpsRatio: during.rps / ((without.rps + after.rps) / 2) };
}

/**
 * `tickets` paid tickets, each checked in `repeats` times by wrk over
 * `connections`: exactly one admission per ticket, already_used for the rest,
 * and the ledger's own count agreeing.
 */
export async function checkinFlood(server: Server, options: { tickets: number; repeats: number; connections: number; gateToken: string; workDir: string }): Promise<CheckinRun> {
  const orders = await paidOrders(server, 'gate', options.tickets);
  const saleId = orders[0]!.orderId.split('.')[0]!;
  const tickets = await inParallel(orders.length, 32, async (i) => (await call(server, 'GET', `/api/orders/${orders[i]!.orderId}/ticket`)).ticket as string);
  const file = join(options.workDir, `tickets-${saleId}.txt`);
  writeFileSync(file, `${tickets.join('\n')}\n`);
  const raw = await runWrk(server.url, [file, options.gateToken, String(options.tickets * options.repeats)], options.connections);
  const statuses = raw.statuses;
  const admitted = statuses['200'] ?? 0;
  const alreadyUsed = statuses['409'] ?? 0;
  const other = raw.responses - admitted - alreadyUsed;
  const audit = await call(server, 'GET', `/api/sales/${saleId}/audit`);
  const seconds = raw.durationUs / 1e6;
  const ledgerCheckedIn = audit.tickets.checkedIn as number;
  return {
    tickets: options.tickets,
    responses: raw.responses,
    seconds,
    perSecond: raw.responses / seconds,
    p99Ms: (raw.quantiles.find(([q]) => q === 99)?.[1] ?? NaN) / 1000,
    admitted,
    alreadyUsed,
    other,
    ledgerCheckedIn,
    ok: admitted === options.tickets && other === 0 && ledgerCheckedIn === options.tickets,
  };
}

interface WrkCheckins {
  durationUs: number;
  responses: number;
  statuses: Record<string, number>;
  quantiles: [number, number][];
}

/** One wrk run of checkins.lua, ended with SIGINT once its thread reached the quota. */
function runWrk(url: string, args: string[], connections: number): Promise<WrkCheckins> {
  return new Promise((resolve, reject) => {
    const child = spawn('wrk', ['-t1', `-c${connections}`, '-d3600s', '--timeout', '10s', '-s', CHECKINS_SCRIPT, url, '--', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const cap = setTimeout(() => child.kill('SIGINT'), 120_000);
    child.stdout.on('data', (chunk: Buffer) => { out += chunk.toString(); });
    child.stderr.on('data', (chunk: Buffer) => {
      err += chunk.toString();
      if (err.includes('quota-reached')) child.kill('SIGINT');
    });
    child.once('error', (error) => reject(new Error(`cannot run wrk: ${error.message}`)));
    child.once('exit', () => {
      clearTimeout(cap);
      const line = out.split('\n').find((l) => l.startsWith('{"durationUs"'));
      if (!line) reject(new Error(`wrk gave no results:\n${out}\n${err}`));
      else resolve(JSON.parse(line) as WrkCheckins);
    });
  });
}
