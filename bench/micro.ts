// Micro-benchmarks (tinybench) of the pieces on the stock path: the balancer's
// pick, the local allowance, one Redis reservation with and without ioredis
// auto-pipelining, and the embedded ledger's round trip when it is built.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import Redis from 'ioredis';
import { SmoothWeightedRoundRobin } from '../src/front/smooth-wrr';
import { LocalAllowance } from '../src/inventory/local-allowance';
import { HttpTally, OUTCOME, PurchaseTally } from '../src/metrics';
import { RedisLedger } from '../src/ledger/redis/redis-ledger';
import { dropPrefix } from '../harness/redis-admin';

export interface MicroTask {
  readonly name: string;
  readonly opsPerSecond: number | null;
  readonly meanUs: number | null;
  readonly p50Us: number | null;
  readonly p99Us: number | null;
  readonly samples: number | null;
  readonly note?: string;
}

export interface MicroResult {
  readonly tasks: MicroTask[];
  readonly notes: string[];
  /** Whatever runLedgerRoundTrip() returned, kept as given. */
  readonly ledgerRoundTrip?: unknown;
}

export const REDIS_BATCH = 64;

interface TinyTask {
  name: string;
  result: { state: string; latency?: { mean: number; p50: number; p99: number; samplesCount: number }; period?: number; error?: Error };
}

/** Per-iteration figures; `ops` is how many operations one iteration does. */
function fromTiny(task: TinyTask, ops = 1, name = task.name): MicroTask {
  const r = task.result;
  if (!r.latency || !r.period) return { name, opsPerSecond: null, meanUs: null, p50Us: null, p99Us: null, samples: null, note: r.error ? `error: ${r.error.message}` : r.state };
  return {
    name,
    opsPerSecond: (ops * 1000) / r.period,
    meanUs: r.latency.mean * 1000,
    p50Us: r.latency.p50 * 1000,
    p99Us: r.latency.p99 * 1000,
    samples: r.latency.samplesCount,
  };
}

export async function runMicro(options: { redisUrl: string; timeMs: number; log: (line: string) => void }): Promise<MicroResult> {
  const { Bench } = await import('tinybench');
  const tasks: MicroTask[] = [];
  const notes: string[] = [];

  // In-process pieces: no I/O, so these are the floor of the stock path's cost.
  {
    const bench = new Bench({ time: options.timeMs, warmupTime: 100 });
    const peers = [1, 2, 3, 4].map((weight) => ({ weight, available: true }));
    const wrr = new SmoothWeightedRoundRobin(peers);
    const allowance = new LocalAllowance(Number.MAX_SAFE_INTEGER);
    bench.add('smooth WRR pick (4 peers, 1:2:3:4)', () => {
      wrr.pick();
    });
    bench.add('local allowance take', () => {
      allowance.take();
    });
    // What METRICS=on adds to each sold-out refusal of GET /buy/ticket (src/http/sale-routes.ts).
    const row = new PurchaseTally().row('bench');
    const route = new HttpTally().route('GET /buy/ticket');
    bench.add('metrics bookkeeping of one sold-out refusal', () => {
      const started = performance.now();
      row[OUTCOME.sold_out]!++;
      route.answered(409, (performance.now() - started) / 1000);
    });
    await bench.run();
    for (const task of bench.tasks) tasks.push(fromTiny(task as unknown as TinyTask));
  }

  // One Redis reservation (the Lua script), one at a time and 64 at once,
  // with ioredis auto-pipelining off and on.
  const admin = new Redis(options.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  admin.on('error', () => {});
  const prefix = `spikebench-micro-${randomBytes(4).toString('hex')}`;
  try {
    await admin.connect();
    for (const autoPipelining of [false, true]) {
      const ledger = new RedisLedger({ url: options.redisUrl, prefix, timeoutMs: 5000, autoPipelining });
      await ledger.connect();
      const saleId = `micro-${autoPipelining ? 'on' : 'off'}`;
      await ledger.createSale({ id: saleId, name: saleId, total: 1_000_000_000, perUserLimit: 1, holdSeconds: 900, opensAt: null, closesAt: null }, Date.now());
      let counter = 0;
      const reserveOne = () => {
        const i = ++counter;
        return ledger.reserve({ saleId, userId: `m${i}`, requestKey: `k:m${i}`, orderId: `${saleId}.${i}`, now: Date.now() });
      };
      const label = `auto-pipelining ${autoPipelining ? 'on' : 'off'}`;
      const bench = new Bench({ time: options.timeMs, warmupTime: 100 });
      bench.add(`Redis reserve, 1 in flight, ${label}`, async () => {
        await reserveOne();
      });
      bench.add(`Redis reserve, ${REDIS_BATCH} in flight, ${label}`, async () => {
        await Promise.all(Array.from({ length: REDIS_BATCH }, reserveOne));
      });
      await bench.run();
      const [single, batch] = bench.tasks as unknown as TinyTask[];
      tasks.push(fromTiny(single!));
      tasks.push(fromTiny(batch!, REDIS_BATCH, `${batch!.name} (per batch; ops/s counts reservations)`));
      await ledger.close();
      await dropPrefix(admin, prefix);
    }
    notes.push(`Redis tasks: the reserveTickets Lua script through RedisLedger, which sends the reservations that come while a call is in flight as one batch; ${REDIS_BATCH}-in-flight latency is per group of ${REDIS_BATCH}, ops/s counts single reservations.`);
  } catch (error) {
    notes.push(`Redis micro-benchmarks skipped: ${(error as Error).message}`);
  } finally {
    await dropPrefix(admin, prefix).catch(() => undefined);
    admin.disconnect();
  }

  // The embedded ledger's round trip, written alongside (bench/ledger-roundtrip.bench.ts).
  let ledgerRoundTrip: unknown;
  const roundTripFile = join(__dirname, 'ledger-roundtrip.bench.js');
  if (existsSync(roundTripFile)) {
    try {
      const mod = require(roundTripFile) as { runLedgerRoundTrip?: () => Promise<unknown> };
      if (typeof mod.runLedgerRoundTrip !== 'function') throw new Error('it exports no runLedgerRoundTrip()');
      ledgerRoundTrip = await mod.runLedgerRoundTrip();
      tasks.push(...roundTripTasks(ledgerRoundTrip));
    } catch (error) {
      notes.push(`embedded round trip failed: ${(error as Error).message}`);
    }
  } else {
    notes.push('embedded round trip: bench/ledger-roundtrip.bench.ts is not in this build');
  }
  return { tasks, notes, ledgerRoundTrip };
}

/** Reads figures of unknown shape: tinybench-like tasks, or {name, opsPerSecond/hz, mean/p50/p99 in µs or ms}. */
function roundTripTasks(figures: unknown): MicroTask[] {
  const list = Array.isArray(figures) ? figures : figures && typeof figures === 'object' && Array.isArray((figures as { tasks?: unknown }).tasks) ? (figures as { tasks: unknown[] }).tasks : [figures];
  const out: MicroTask[] = [];
  for (const item of list) {
    if (!item || typeof item !== 'object') continue;
    const f = item as Record<string, unknown>;
    const num = (...keys: string[]) => {
      for (const key of keys) if (typeof f[key] === 'number') return f[key] as number;
      return null;
    };
    const msToUs = (v: number | null) => (v === null ? null : v * 1000);
    out.push({
      name: typeof f.name === 'string' ? f.name : 'embedded ledger round trip',
      opsPerSecond: num('opsPerSecond', 'opsPerSec', 'hz', 'throughput'),
      meanUs: num('meanUs') ?? msToUs(num('meanMs')),
      p50Us: num('p50Us') ?? msToUs(num('p50Ms')),
      p99Us: num('p99Us') ?? msToUs(num('p99Ms')),
      samples: num('samples', 'samplesCount', 'iterations'),
    });
  }
  return out;
}
