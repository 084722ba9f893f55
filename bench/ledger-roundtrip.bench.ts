// One reservation round trip on each ledger, measured with tinybench from a
// real worker process: worker -> primary over cluster IPC -> journal (fsync)
// -> worker, against worker -> Redis Lua script -> worker. Also times the
// embedded ledger's start-up replay of a large journal.
//
//   npm run build && node dist/bench/ledger-roundtrip.bench.js
//   BENCH_TIME_MS=1000 REDIS_URL=redis://127.0.0.1:6379 BENCH_REPLAY_ORDERS=1000000
import { fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { childEndpoint, parentEndpoint } from '../src/ipc/endpoint';
import { isSpikeMessage, type ReadyMessage } from '../src/ipc/messages';
import { IpcRpc } from '../src/ipc/rpc';
import { EmbeddedLedger } from '../src/ledger/embedded/embedded-ledger';
import { ledgerHandlers, remoteLedger } from '../src/ledger/remote-ledger';
import type { Ledger } from '../src/ledger';
import { JOURNAL_FILE } from '../src/ledger/embedded/journal/journal';
import { encodeEvent } from '../src/ledger/embedded/journal/journal-events';
import { encodeFrame, FILE_MAGIC } from '../src/ledger/embedded/journal/journal-format';
import { RedisLedger } from '../src/ledger/redis/redis-ledger';
import { dropPrefix } from '../harness/redis-admin';

export const IN_FLIGHT = 64;
/** Orders are held for payment, as with the default DEFAULT_SALE_HOLD_SECONDS, so the expiry index is part of the cost. */
const HOLD_SECONDS = 900;
const ROLE_ENV = 'SPIKE_ROUNDTRIP_ROLE';

export interface RoundTripTask {
  readonly name: string;
  /** Reservations per second (for N in flight, N per iteration). */
  readonly opsPerSecond: number | null;
  /** Per iteration: one reservation, or one batch of N in flight. */
  readonly meanUs: number | null;
  readonly p50Us: number | null;
  readonly p99Us: number | null;
  readonly samples: number | null;
  readonly note?: string;
}

export interface RoundTripFigures {
  readonly tasks: RoundTripTask[];
  readonly notes: string[];
}

export interface RoundTripOptions {
  readonly redisUrl?: string;
  readonly timeMs?: number;
}

interface TinyTask {
  name: string;
  result: { state: string; latency?: { mean: number; p50: number; p99: number; samplesCount: number }; period?: number; error?: Error };
}

function fromTiny(task: TinyTask, ops: number): RoundTripTask {
  const r = task.result;
  if (!r.latency || !r.period) return { name: task.name, opsPerSecond: null, meanUs: null, p50Us: null, p99Us: null, samples: null, note: r.error?.message ?? r.state };
  return {
    name: task.name,
    opsPerSecond: (ops * 1000) / r.period,
    meanUs: r.latency.mean * 1000,
    p50Us: r.latency.p50 * 1000,
    p99Us: r.latency.p99 * 1000,
    samples: r.latency.samplesCount,
  };
}

/** Runs in the forked worker: the same remote ledger a real worker uses, and a RedisLedger. */
async function benchFromWorker(rpc: IpcRpc, params: { label: string; timeMs: number; redisUrl: string | null }): Promise<RoundTripTask[]> {
  const { Bench } = await import('tinybench');
  const tasks: RoundTripTask[] = [];
  const ledgers: Array<{ name: string; ledger: Ledger; close(): Promise<void> }> = [
    { name: `embedded (${params.label})`, ledger: remoteLedger(rpc, { description: 'bench', timeoutMs: 10_000 }), close: async () => {} },
  ];
  if (params.redisUrl) {
    const prefix = `spikebench-roundtrip-${randomBytes(4).toString('hex')}`;
    const redis = new RedisLedger({ url: params.redisUrl, prefix, timeoutMs: 5000, autoPipelining: true });
    try {
      await redis.connect();
      ledgers.push({
        name: 'Redis Lua',
        ledger: redis,
        async close() {
          await dropPrefix(redis.redis, prefix);
          await redis.close();
        },
      });
    } catch (error) {
      tasks.push({ name: 'Redis Lua', opsPerSecond: null, meanUs: null, p50Us: null, p99Us: null, samples: null, note: `skipped: ${(error as Error).message}` });
    }
  }
  for (const { name, ledger, close } of ledgers) {
    const saleId = `rt-${randomBytes(3).toString('hex')}`;
    // Held for payment, as a real sale's orders are (the default DEFAULT_SALE_HOLD_SECONDS).
    await ledger.createSale({ id: saleId, name: saleId, total: 1_000_000_000, perUserLimit: 1, holdSeconds: HOLD_SECONDS, opensAt: null, closesAt: null }, Date.now());
    let counter = 0;
    const reserveOne = async () => {
      const i = ++counter;
      const outcome = await ledger.reserve({ saleId, userId: `u${i}`, requestKey: `k:${i}`, orderId: `${saleId}.${i}`, now: Date.now() });
      if (outcome.kind !== 'reserved') throw new Error(`expected reserved, got ${outcome.kind}`);
    };
    const bench = new Bench({ time: params.timeMs, warmupTime: Math.min(200, params.timeMs) });
    bench.add(`${name}: reserve, 1 in flight`, reserveOne);
    bench.add(`${name}: reserve, ${IN_FLIGHT} in flight`, async () => {
      await Promise.all(Array.from({ length: IN_FLIGHT }, reserveOne));
    });
    await bench.run();
    const [single, batch] = bench.tasks as unknown as TinyTask[];
    tasks.push(fromTiny(single!, 1), fromTiny(batch!, IN_FLIGHT));
    await close();
  }
  return tasks;
}

/** Runs in the bench process, playing the cluster primary: holds the ledger, forks a worker, serves it over IPC. */
async function roundTripAgainst(fsync: 'batch' | 'off', timeMs: number, redisUrl: string | null): Promise<{ tasks: RoundTripTask[]; note: string }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'spike-roundtrip-'));
  const ledger = EmbeddedLedger.open({ dataDir, fsync });
  const child = fork(__filename, [], { env: { ...process.env, [ROLE_ENV]: 'worker' }, serialization: 'json', stdio: 'inherit' });
  try {
    const rpc = new IpcRpc(childEndpoint(child, () => child.connected), ledgerHandlers(ledger));
    await new Promise<void>((resolve, reject) => {
      child.once('exit', (code) => reject(new Error(`bench worker exited with ${code}`)));
      child.on('message', (m) => isSpikeMessage(m) && m.spike === 'ready' && resolve());
    });
    const tasks = await rpc.request<RoundTripTask[]>('bench.run', [{ label: `fsync ${fsync}`, timeMs, redisUrl }], 30 * timeMs + 60_000);
    const f = ledger.diagnostics.journal;
    const note = `embedded fsync ${fsync}: ${f.records} journal records in ${f.batches} batches, ${f.syncs} fsyncs (${(f.records / Math.max(1, f.batches)).toFixed(1)} records per batch)`;
    return { tasks, note };
  } finally {
    child.kill();
    await ledger.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** The round-trip figures; another bench script may call this. */
export async function runLedgerRoundTrip(options: RoundTripOptions = {}): Promise<RoundTripFigures> {
  const timeMs = options.timeMs ?? Number(process.env.BENCH_TIME_MS ?? 1000);
  const redisUrl = options.redisUrl ?? process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const batch = await roundTripAgainst('batch', timeMs, redisUrl);
  const off = await roundTripAgainst('off', timeMs, null);
  return {
    tasks: [...batch.tasks, ...off.tasks],
    notes: [
      batch.note,
      off.note,
      `1 in flight: latency of one reservation. ${IN_FLIGHT} in flight: latency of the whole batch; ops/s counts reservations.`,
      'Redis Lua is measured with the server\'s own persistence settings (appendfsync); the embedded fsync batch figures include a real fsync per batch.',
    ],
  };
}

export interface ReplayFigures {
  readonly orders: number;
  readonly journalMb: number;
  readonly writeMs: number;
  readonly replayMs: number;
  readonly recordsPerSecond: number;
  readonly heapMb: number;
}

/** Writes a journal of `orders` held orders (one sale) and times the ledger's start-up replay of it, expiry index included. */
export async function runJournalReplay(orders: number): Promise<ReplayFigures> {
  const dataDir = mkdtempSync(join(tmpdir(), 'spike-replay-'));
  try {
    const file = join(dataDir, JOURNAL_FILE);
    const writeStarted = performance.now();
    const fd = openSync(file, 'w');
    writeSync(fd, FILE_MAGIC);
    const saleId = 'replay';
    let chunk: Buffer[] = [encodeFrame(encodeEvent({ type: 'sale_created', id: saleId, name: saleId, total: orders, perUserLimit: 1, holdSeconds: HOLD_SECONDS, opensAt: null, closesAt: null, createdAt: Date.now() }))];
    const now = Date.now();
    for (let i = 0; i < orders; i++) {
      const tag = randomBytes(9).toString('base64url');
      chunk.push(encodeFrame(encodeEvent({ type: 'ticket_reserved', saleId, userId: `user-${i}`, requestKey: `k:${tag}`, orderId: `${saleId}.${tag}`, createdAt: now + i })));
      if (chunk.length === 10_000) {
        writeSync(fd, Buffer.concat(chunk));
        chunk = [];
      }
    }
    writeSync(fd, Buffer.concat(chunk));
    closeSync(fd);
    const writeMs = performance.now() - writeStarted;
    const journalMb = statSync(file).size / 1e6;

    global.gc?.();
    const heapBefore = process.memoryUsage().heapUsed;
    const started = performance.now();
    const ledger = EmbeddedLedger.open({ dataDir, fsync: 'batch' });
    const replayMs = performance.now() - started;
    global.gc?.();
    const heapMb = (process.memoryUsage().heapUsed - heapBefore) / 1e6;
    const figures = ledger.diagnostics.saleFigures(saleId)!;
    if (figures.orderCount !== orders || figures.sold !== orders || figures.holdIndex !== orders) throw new Error(`replayed ${figures.orderCount} orders (${figures.holdIndex} held), expected ${orders}`);
    await ledger.close();
    return { orders, journalMb, writeMs, replayMs, recordsPerSecond: (orders / replayMs) * 1000, heapMb };
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

function fmt(value: number | null, digits = 0): string {
  return value === null ? '-' : value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

async function main(): Promise<void> {
  const figures = await runLedgerRoundTrip();
  console.log('\nOne reservation round trip: worker -> ledger -> worker');
  console.table(figures.tasks.map((t) => ({ task: t.name, 'reservations/s': fmt(t.opsPerSecond), 'mean µs': fmt(t.meanUs), 'p50 µs': fmt(t.p50Us), 'p99 µs': fmt(t.p99Us), samples: t.samples ?? t.note ?? '-' })));
  for (const note of figures.notes) console.log(`  ${note}`);

  const orders = Number(process.env.BENCH_REPLAY_ORDERS ?? 100_000);
  if (orders > 0) {
    const replay = await runJournalReplay(orders);
    console.log(`\nEmbedded ledger start-up replay (BENCH_REPLAY_ORDERS=${orders})`);
    console.table([{ orders: fmt(replay.orders), 'journal MB': fmt(replay.journalMb, 1), 'replay ms': fmt(replay.replayMs), 'records/s': fmt(replay.recordsPerSecond), 'heap MB (approx.)': fmt(replay.heapMb) }]);
  }
}

if (process.env[ROLE_ENV] === 'worker') {
  const endpoint = parentEndpoint();
  const rpc: IpcRpc = new IpcRpc(endpoint, { 'bench.run': (params: Parameters<typeof benchFromWorker>[1]) => benchFromWorker(rpc, params) });
  process.on('disconnect', () => process.exit(0));
  const ready: ReadyMessage = { spike: 'ready' };
  endpoint.send(ready, () => {});
} else if (require.main === module) {
  main().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
