// The `queue` cell: a waiting-room sale against the same ledger's open sale,
// measured in one run with one client (wrk with bench/lua/posts.lua,
// BENCH_CONNECTIONS keep-alive connections): joins/s against the open sale's
// selling-phase purchases/s,
// purchases with passes against those, and the WebSocket fan-out to
// BENCH_QUEUE_WATCHERS watchers (from a serving-counter move, stamped by the
// primary's tick, to the last watcher's message). Ends with the audit: sold ==
// tickets, one spent pass per order, no order without a pass.
import { fork, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import { join } from 'node:path';
import Redis from 'ioredis';
import { saleKeys } from '../src/ledger/redis/keys';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dropPrefix } from '../harness/redis-admin';
import { LUA_DIR, runWrkScript, type WrkScriptRun } from './load/wrk-script';
import { startServerProcess } from './server-process';
import type { BenchSettings } from './settings';

const ADMIN = 'bench-admin-token';

export interface QueueCellResult {
  readonly ledger: string;
  readonly joins: number;
  readonly tickets: number;
  readonly openPurchasesPerSecond: number;
  readonly joinsPerSecond: number;
  readonly passPurchasesPerSecond: number;
  readonly joinRatioToOpen: number;
  readonly passRatioToOpen: number;
  readonly watchers: number;
  readonly fanOutMs: { readonly p50: number; readonly p99: number; readonly moves: number } | null;
  readonly audit: { readonly sold: number; readonly orders: number; readonly spentPasses: number | null; readonly ok: boolean };
  readonly targets: { readonly joins: boolean; readonly passes: boolean; readonly fanOut: boolean };
}

function post(agent: http.Agent, url: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: any }> {
  return send(agent, url, 'POST', JSON.stringify(body), { 'content-type': 'application/json', ...headers });
}

function send(agent: http.Agent, url: string, method: string, payload?: string, headers: Record<string, string> = {}): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, agent, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString();
        resolve({ status: res.statusCode!, body: text.startsWith('{') ? JSON.parse(text) : text });
      });
    });
    req.on('error', reject);
    req.end(payload);
  });
}

/** Runs `count` requests with `lanes` in flight; answers per second and the replies. */
async function flood<T>(count: number, lanes: number, one: (i: number) => Promise<T>): Promise<{ perSecond: number; replies: T[] }> {
  const replies = new Array<T>(count);
  let next = 0;
  const started = performance.now();
  await Promise.all(Array.from({ length: lanes }, async () => {
    while (next < count) {
      const i = next++;
      replies[i] = await one(i);
    }
  }));
  return { perSecond: count / ((performance.now() - started) / 1000), replies };
}

/** The watchers' process (bench/queue-watchers.ts), once every socket is open. */
async function startWatchers(url: string, count: number): Promise<{ child: ChildProcess; report(): Promise<Array<number | null>> }> {
  const child = fork(join(__dirname, 'queue-watchers.js'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  await new Promise<void>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the watchers' process exited with ${code}`)));
    child.on('message', (m: { ready?: true; error?: string }) => (m.ready ? resolve() : m.error ? reject(new Error(`watchers: ${m.error}`)) : undefined));
    child.send({ start: { url, count } });
  });
  return {
    child,
    report: () =>
      new Promise<Array<number | null>>((resolve) => {
        child.on('message', (m: { delays?: Array<number | null> }) => m.delays && resolve(m.delays));
        child.send({ report: true });
      }),
  };
}

const POSTS_SCRIPT = join(LUA_DIR, 'posts.lua');

/** One posts.lua run: its answers per second, with what it answered. */
async function wrkPosts(url: string, path: string, quota: number, connections: number, buyers: { prefix: string; first: number } | { linesFile: string }): Promise<WrkScriptRun & { perSecond: number }> {
  const args = 'linesFile' in buyers ? [path, String(quota), 'x', '0', buyers.linesFile] : [path, String(quota), buyers.prefix, String(buyers.first)];
  const run = await runWrkScript(POSTS_SCRIPT, url, args, { connections, capMs: 600_000 });
  return { ...run, perSecond: run.responses / (run.durationUs / 1e6) };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

export async function runQueueCell(settings: BenchSettings, log: (line: string) => void, ledger: 'redis' | 'embedded' = 'redis'): Promise<QueueCellResult> {
  const prefix = `spikebench-queue-${process.pid}`;
  // The server's DATA_DIR and the cell's own files, removed with the server: every run used to leave a /tmp/spikebench-queue-<pid>.
  const workDir = mkdtempSync(join(tmpdir(), 'spike-queue-cell-'));
  const server = await startServerProcess({
    ...settings.serverEnv,
    PORT: '0',
    HOST: '127.0.0.1',
    ADMIN_TOKEN: ADMIN,
    LEDGER: ledger,
    REDIS_URL: settings.redisUrl,
    REDIS_PREFIX: prefix,
    DATA_DIR: join(workDir, 'data'),
    JOURNAL_FSYNC: 'off',
    RATE_LIMIT_PER_SECOND: '0',
    METRICS: 'off',
  }).catch((error: unknown) => {
    rmSync(workDir, { recursive: true, force: true });
    throw error;
  });
  const agent = new http.Agent({ keepAlive: true, maxSockets: settings.connections });
  const admin = { authorization: `Bearer ${ADMIN}` };
  const base = server.url;
  const joins = settings.users;
  const tickets = Math.min(settings.tickets, joins);
  const lanes = settings.connections;
  let watchers: Awaited<ReturnType<typeof startWatchers>> | undefined;
  try {
    // The open cell's selling phase, same client: `tickets` distinct buyers buy.
    await post(agent, `${base}/api/sales`, { id: 'bench-open', total: tickets, holdSeconds: 0 }, admin);
    const open = await wrkPosts(base, '/api/sales/bench-open/purchases', tickets, lanes, { prefix: 'o', first: 0 });
    log(`  queue cell (${ledger}): open sale sold ${open.statuses['201'] ?? 0} at ${Math.round(open.perSecond)}/s ${JSON.stringify(open.statuses)}`);

    // Watchers connect before the flood, so the fan-out is measured under it; they
    // run in a process of their own, so their messages do not wait on this one's flood.
    await post(agent, `${base}/api/sales`, { id: 'bench-queue', total: tickets, holdSeconds: 0, admission: { mode: 'queue', admitPerSecond: 1_000_000, difficulty: 0, passSeconds: 3600 } }, admin);
    const watcherCount = Math.min(settings.queueWatchers, 20_000);
    watchers = await startWatchers(`ws://127.0.0.1:${server.port}/ws/sales/bench-queue`, watcherCount);

    // The first `tickets` joiners through this process, which keeps their places (the line is
    // first come, first served after opening: they are the ones admitted first); the rest,
    // the flood that is measured, through wrk.
    const early = await flood(tickets, lanes, (i) => post(agent, `${base}/api/sales/bench-queue/queue`, { userId: `q${i}` }));
    const tickets_ = early.replies.map((r) => r.body.ticket as string);
    const joined = await wrkPosts(base, '/api/sales/bench-queue/queue', joins - tickets, lanes, { prefix: 'q', first: tickets });
    const joinedOk = (joined.statuses['201'] ?? 0) + early.replies.filter((r) => r.status === 201).length;
    log(`  queue cell (${ledger}): ${joins} joins (${joinedOk} answered 201), the flood at ${Math.round(joined.perSecond)}/s ${JSON.stringify(joined.statuses)}`);

    // Passes for the first admitted places, then purchases with them.
    const passes: Array<{ userId: string; pass: string }> = [];
    for (let i = 0; i < tickets_.length && passes.length < tickets; i += 1000) {
      const chunk = tickets_.slice(i, i + 1000);
      const views = (await flood(chunk.length, lanes, (j) => send(agent, `${base}/api/sales/bench-queue/queue/${encodeURIComponent(chunk[j]!)}`, 'GET'))).replies;
      for (const v of views) if (v.body.pass && passes.length < tickets) passes.push({ userId: v.body.userId, pass: v.body.pass });
      if (views.every((v) => v.body.state !== 'admitted')) break;
    }
    const linesFile = join(workDir, 'passes.txt');
    writeFileSync(linesFile, passes.map((p) => `${p.userId} ${p.pass}\n`).join(''));
    const bought = await wrkPosts(base, '/api/sales/bench-queue/purchases', passes.length, lanes, { linesFile });
    const sold = bought.statuses['201'] ?? 0;
    log(`  queue cell (${ledger}): ${sold} purchases with passes at ${Math.round(bought.perSecond)}/s ${JSON.stringify(bought.statuses)}`);

    // Fan-out: for each move of the serving counter, its tick time to the last watcher's message.
    // Infinity (a move some watcher never caught up with) crosses IPC as null.
    const delays = (await watchers.report()).map((d) => d ?? Infinity);
    const never = delays.filter((d) => d === Infinity).length;
    log(`  queue cell (${ledger}): fan-out over ${delays.length} moves, slowest ms: ${delays.slice(-5).join(', ')}${never ? `; ${never} never reached every watcher` : ''}`);

    // Purchases whose answers wrk dropped at its quota may still be finishing in the server: read the audit once they have.
    let audit = await send(agent, `${base}/api/sales/bench-queue/audit`, 'GET', undefined, admin);
    for (let waited = 0; audit.body.sold < tickets && waited < 5000; waited += 100) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      audit = await send(agent, `${base}/api/sales/bench-queue/audit`, 'GET', undefined, admin);
    }
    let spentPasses: number | null = null;
    if (ledger === 'redis') {
      const redis = new Redis(settings.redisUrl);
      spentPasses = await redis.zcard(saleKeys(prefix, 'bench-queue').passes);
      await dropPrefix(redis, prefix);
      await redis.quit();
    }
    const orders = audit.body.orders.paid + audit.body.orders.reserved;
    // The ledger's own figures must be exact; of the buyers' answers, those in flight when wrk stopped at its quota were lost, not their purchases.
    const unanswered = bought.sent - bought.responses;
    const auditOk = audit.body.sold === tickets && orders === tickets && (spentPasses === null || spentPasses === orders) && sold <= tickets && sold + unanswered >= tickets;
    const fanOutMs = delays.length > 0 ? { p50: percentile(delays, 50), p99: percentile(delays, 99), moves: delays.length } : null;
    return {
      ledger,
      joins,
      tickets,
      openPurchasesPerSecond: Math.round(open.perSecond),
      joinsPerSecond: Math.round(joined.perSecond),
      passPurchasesPerSecond: Math.round(bought.perSecond),
      joinRatioToOpen: joined.perSecond / open.perSecond,
      passRatioToOpen: bought.perSecond / open.perSecond,
      watchers: watcherCount,
      fanOutMs,
      audit: { sold: audit.body.sold, orders, spentPasses, ok: auditOk },
      targets: { joins: joined.perSecond >= 0.8 * open.perSecond, passes: bought.perSecond >= 0.8 * open.perSecond, fanOut: fanOutMs !== null && fanOutMs.p99 <= 250 },
    };
  } finally {
    watchers?.child.kill();
    agent.destroy();
    await server.stop();
    rmSync(workDir, { recursive: true, force: true });
  }
}

export function renderQueueCell(r: QueueCellResult): string {
  const x = (v: number) => `${v.toFixed(2)}x`;
  return [
    `queue cell (${r.ledger}): ${r.joins.toLocaleString('en-US')} joins, ${r.tickets.toLocaleString('en-US')} tickets, same client for every phase`,
    `  open sale, selling phase   ${r.openPurchasesPerSecond.toLocaleString('en-US')} purchases/s`,
    `  joins                      ${r.joinsPerSecond.toLocaleString('en-US')} joins/s = ${x(r.joinRatioToOpen)} the open sale (target >= 0.80x: ${r.targets.joins ? 'met' : 'MISSED'})`,
    `  purchases with a pass      ${r.passPurchasesPerSecond.toLocaleString('en-US')} purchases/s = ${x(r.passRatioToOpen)} the open sale (target >= 0.80x: ${r.targets.passes ? 'met' : 'MISSED'})`,
    `  fan-out to ${r.watchers.toLocaleString('en-US')} watchers   ${r.fanOutMs ? `p50 ${r.fanOutMs.p50} ms, p99 ${r.fanOutMs.p99} ms over ${r.fanOutMs.moves} moves` : 'no move reached every watcher'} (target p99 <= 250 ms: ${r.targets.fanOut ? 'met' : 'MISSED'})`,
    `  audit                      sold ${r.audit.sold}, orders ${r.audit.orders}, spent passes ${r.audit.spentPasses ?? 'n/a (embedded)'}: ${r.audit.ok ? 'ok' : 'FAILED'}`,
  ].join('\n');
}
