// `npm run bench:front` (also the last part of `npm run bench`): the front
// alone, per balancer mode, on the seed's route /buy/ticket: ab (HTTP/1.0, a
// connection per request), wrk with Connection: close, and wrk kept alive;
// requests/s and the primary's CPU per connection and per request from /proc;
// WORKERS=1 against 2; and the seed's Go service side by side when `go` is there.
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Redis from 'ioredis';
import { PrivateRedis } from '../harness/private-redis';
import { childPids, processCpuMs, redisCpuMs, totalCpuMs } from './load/proc-cpu';
import { freePort } from '../src/system/free-port';
import { dropPrefix } from '../harness/redis-admin';
import { startServerProcess, type ServerProcess } from './server-process';
import { loadFrontSettings, type FrontSettings } from './settings';

const run = promisify(execFile);
type Mode = 'handoff' | 'proxy' | 'reuseport';
/**
 * `ab` runs twice: first, when spike sells its 10,000 tickets (each one a
 * ledger script), and last, once sold out, when spike refuses from memory.
 * The seed's Go service sells from a local stock of 150 and then refuses
 * from memory too, so the sold-out `ab` is the one that compares the same work.
 */
type Load = 'ab' | 'wrk-close' | 'wrk-keepalive' | 'ab-soldout';
const LOADS: readonly Load[] = ['ab', 'wrk-close', 'wrk-keepalive', 'ab-soldout'];

export interface FrontCell {
  readonly target: string;
  readonly workers: number;
  readonly load: Load;
  readonly rps: number | null;
  readonly requests: number;
  readonly failed: number;
  /** Primary CPU per connection (connection-per-request loads) or per request (keep-alive), µs. */
  readonly primaryUs: number | null;
  /**
   * The whole server's CPU per connection or request, µs: spike's primary and
   * workers, or the Go service's one process. The load generator shares these
   * two cores, so requests/s ratios say as much about the box as about the
   * servers; CPU per request compares the servers' own work.
   */
  readonly serverUs?: number | null;
  /** Redis's CPU per connection or request, µs (INFO cpu): the ledger's share of the work. */
  readonly redisUs?: number | null;
  readonly note?: string;
}

export interface FrontResults {
  readonly cells: FrontCell[];
  readonly seedPeer: string;
}

interface Measured {
  rps: number;
  requests: number;
  failed: number;
}

async function ab(url: string, requests: number, connections: number): Promise<Measured> {
  const { stdout } = await run('ab', ['-q', '-s', '10', '-n', String(requests), '-c', String(connections), url], { maxBuffer: 1 << 22 });
  return {
    rps: Number(/Requests per second:\s+([\d.]+)/.exec(stdout)?.[1] ?? NaN),
    requests: Number(/Complete requests:\s+(\d+)/.exec(stdout)?.[1] ?? 0),
    // "Length" failures are bodies of another length (409 after a sell-out), not failures of the front.
    failed: ['Connect', 'Receive', 'Exceptions'].reduce((sum, kind) => sum + Number(new RegExp(`${kind}: (\\d+)`).exec(stdout)?.[1] ?? 0), 0),
  };
}

async function wrk(url: string, seconds: number, connections: number, close: boolean): Promise<Measured> {
  const args = ['-t2', `-c${connections}`, `-d${seconds}s`, '--timeout', '5s', ...(close ? ['-H', 'Connection: close'] : []), url];
  const { stdout } = await run('wrk', args, { maxBuffer: 1 << 22 });
  const socketErrors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(stdout);
  return {
    rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(stdout)?.[1] ?? NaN),
    requests: Number(/(\d+) requests in/.exec(stdout)?.[1] ?? 0),
    // A closed connection after its answer counts as a "read" error in wrk with Connection: close; connect and timeout errors are real.
    failed: socketErrors ? Number(socketErrors[1]) + Number(socketErrors[4]) : 0,
  };
}

/**
 * `server.pid`: the process whose CPU, with its children's (a cluster
 * primary's workers), is the server's; `server.primary`: true when that
 * process is a spike primary, whose own share is reported apart.
 */
async function measure(target: string, workers: number, port: number, server: { pid: number; primary: boolean }, redis: Redis, settings: FrontSettings, log: (line: string) => void, skipAb: string | null): Promise<FrontCell[]> {
  const cells: FrontCell[] = [];
  const url = `http://127.0.0.1:${port}/buy/ticket`;
  // Read once: no worker is restarted during a cell (every load's failed count would show it).
  const serverPids = [server.pid, ...childPids(server.pid)];
  for (const load of LOADS) {
    const isAb = load === 'ab' || load === 'ab-soldout';
    if (isAb && skipAb !== null) {
      cells.push({ target, workers, load, rps: null, requests: 0, failed: 0, primaryUs: null, note: skipAb });
      continue;
    }
    const before = { primary: processCpuMs(server.pid), server: totalCpuMs(serverPids), redis: await redisCpuMs(redis) };
    const result = isAb ? await ab(url, settings.abRequests, settings.connections) : await wrk(url, settings.wrkSeconds, settings.connections, load === 'wrk-close');
    const after = { primary: processCpuMs(server.pid), server: totalCpuMs(serverPids), redis: await redisCpuMs(redis) };
    const perRequest = (ms: number) => (result.requests > 0 ? (ms * 1000) / result.requests : null);
    const primaryUs = server.primary ? perRequest(after.primary - before.primary) : null;
    const serverUs = perRequest(after.server - before.server);
    const redisUs = perRequest(after.redis - before.redis);
    cells.push({ target, workers, load, ...result, primaryUs, serverUs, redisUs });
    const unit = load === 'wrk-keepalive' ? 'request' : 'connection';
    const us = (value: number | null) => (value === null ? '—' : value.toFixed(1));
    log(`  ${target} WORKERS=${workers} ${load}: ${result.rps.toFixed(0)} req/s, ${result.requests} requests, ${result.failed} failed; µs of CPU per ${unit}: ${primaryUs !== null ? `primary ${us(primaryUs)}, ` : ''}server ${us(serverUs)}, Redis ${us(redisUs)}`);
  }
  return cells;
}

/** Builds the seed's Go service into a temp dir; null (with the reason logged) when Go is missing. */
function buildSeedPeer(settings: FrontSettings, log: (line: string) => void): string | null {
  const script = join(settings.seedPeer, 'build.sh');
  if (!existsSync(script)) {
    log(`  the seed's Go service: not measured (no ${script})`);
    return null;
  }
  if (spawnSync('go', ['version'], { stdio: 'ignore' }).status !== 0) {
    log('  the seed\'s Go service: not measured (`go` is not installed)');
    return null;
  }
  const out = join(tmpdir(), 'spike-seedspike');
  const built = spawnSync('bash', [script, out], { encoding: 'utf8', timeout: 180_000 });
  if (built.status !== 0) {
    log(`  the seed's Go service: not measured (build failed: ${(built.stderr || built.stdout).trim().split('\n').at(-1)})`);
    return null;
  }
  return out;
}

/**
 * Starts the Go service on a free port and waits until it answers. The port
 * comes from the kernel: a random one in the ephemeral range could be held by
 * one of the many TIME_WAIT sockets `ab` leaves behind (a run at 2026-12-08 lost
 * its Go figures so: the service's bind failed, and it exits 0 when it does).
 */
async function startSeedPeer(binary: string, dir: string): Promise<{ child: ChildProcess; port: number }> {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const child = spawn(binary, [], { cwd: dir, env: { ...process.env, PORT: String(port) }, stdio: 'ignore' });
    let exited = false;
    child.once('exit', () => (exited = true));
    for (let i = 0; i < 100 && !exited; i++) {
      const up = await fetch(`http://127.0.0.1:${port}/`).then(() => true, () => false);
      if (up) return { child, port };
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    child.kill('SIGKILL');
    if (attempt === 5) throw new Error(`the seed's Go service did not come up on a free port in ${attempt} attempts`);
  }
}

async function measureSeedPeer(binary: string, settings: FrontSettings, log: (line: string) => void, when: string): Promise<FrontCell[]> {
  const redis = new Redis(settings.redisUrl);
  const dir = mkdtempSync(join(tmpdir(), 'spike-seedpeer-'));
  let child: ChildProcess | undefined;
  try {
    await redis.hset('ticket_hash_key', 'ticket_total_nums', 10_000, 'ticket_sold_nums', 0);
    const started = await startSeedPeer(binary, dir);
    child = started.child;
    return (await measure('go-seed', 0, started.port, { pid: child.pid!, primary: false }, redis, settings, log, null)).map((cell) => ({ ...cell, note: when }));
  } finally {
    child?.kill('SIGKILL');
    await redis.quit();
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function runFrontBench(frontSettings: FrontSettings, log: (line: string) => void): Promise<FrontResults> {
  if (!frontSettings.privateRedis) return runFrontBenchOn(frontSettings, log);
  const redis = await PrivateRedis.start();
  try {
    return await runFrontBenchOn({ ...frontSettings, redisUrl: redis.url }, log);
  } finally {
    await redis.stop();
  }
}

async function runFrontBenchOn(settings: FrontSettings, log: (line: string) => void): Promise<FrontResults> {
  log('front: /buy/ticket per balancer mode (Redis ledger, 10,000 tickets sold by the first load, the rest refused; ab-soldout is ab again at the end)');
  const cells: FrontCell[] = [];
  // The Go service is measured before spike's cells and again after them, and the ratios are to the
  // mean of the two: the cells run one after another for a minute or two, and this shared box's speed
  // drifts within that (one run measured Go only at the end, faster, and every ratio read low).
  const binary = buildSeedPeer(settings, log);
  const seedPeer = binary ? 'measured' : 'not measured';
  if (binary) cells.push(...(await measureSeedPeer(binary, settings, log, 'before spike')));
  const redis = new Redis(settings.redisUrl);
  try {
    for (const workers of [2, 1]) {
      for (const mode of ['handoff', 'proxy', 'reuseport'] as Mode[]) {
        const prefix = `spike-bench-front-${mode}-${workers}-${process.pid}`;
        const server: ServerProcess = await startServerProcess({
          PORT: '0', HOST: '127.0.0.1', BALANCER: mode, WORKERS: String(workers), LEDGER: 'redis', REDIS_URL: settings.redisUrl, REDIS_PREFIX: prefix,
          DEFAULT_SALE_TOTAL: '10000', ADMIN_TOKEN: 'bench-front-token',
        });
        try {
          cells.push(...(await measure(mode, workers, server.port, { pid: server.pid, primary: true }, redis, settings, log, mode === 'reuseport' ? 'uWS 20.30 does not answer HTTP/1.0 when it faces clients' : null)));
        } finally {
          await server.stop();
          await dropPrefix(redis, prefix);
        }
      }
    }
  } finally {
    await redis.quit();
  }
  if (binary) cells.push(...(await measureSeedPeer(binary, settings, log, 'after spike')));
  return { cells, seedPeer };
}

export function renderFront(results: FrontResults): string {
  const rows: string[] = [];
  const find = (target: string, workers: number, load: Load) => results.cells.find((c) => c.target === target && c.workers === workers && c.load === load);
  /** The mean of the Go service's runs (before and after spike's cells) of one figure, null when it has none. */
  const goMean = (load: Load, figure: (cell: FrontCell) => number | null | undefined) => {
    const runs = results.cells.filter((c) => c.target === 'go-seed' && c.load === load).map(figure).filter((value): value is number => typeof value === 'number' && !Number.isNaN(value));
    return runs.length > 0 ? runs.reduce((sum, value) => sum + value, 0) / runs.length : null;
  };
  /** Server and Redis CPU per connection or request together: the work of the whole service. */
  const cpuOf = (cell: FrontCell) => (cell.serverUs == null || cell.redisUs == null ? null : cell.serverUs + cell.redisUs);
  const num = (value: number | null | undefined, digits = 0) => (value === null || value === undefined || Number.isNaN(value) ? '—' : value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }));
  rows.push('target     workers  load            req/s   failed  primary µs  server µs  Redis µs  CPU ÷ Go   × Go    × proxy');
  for (const cell of results.cells) {
    const proxy = find('proxy', cell.workers, cell.load)?.rps ?? null;
    const goRps = goMean(cell.load, (c) => c.rps);
    const goCpu = goMean(cell.load, cpuOf);
    const cpu = cpuOf(cell);
    rows.push(
      [
        cell.target.padEnd(10),
        String(cell.workers || '-').padStart(7),
        `  ${cell.load.padEnd(14)}`,
        num(cell.rps).padStart(8),
        String(cell.failed).padStart(8),
        num(cell.primaryUs, 1).padStart(11),
        num(cell.serverUs, 1).padStart(10),
        num(cell.redisUs, 1).padStart(9),
        (goCpu && cpu !== null && cell.rps ? (cpu / goCpu).toFixed(2) : '—').padStart(9),
        (goRps && cell.rps ? (cell.rps / goRps).toFixed(2) : '—').padStart(6),
        (proxy && cell.rps ? (cell.rps / proxy).toFixed(2) : '—').padStart(9),
        cell.note ? `  (${cell.note})` : '',
      ].join(' '),
    );
  }
  rows.push('µs: CPU per connection (per request kept alive), from /proc and Redis\'s INFO cpu; server: every process of it (spike: primary and workers); CPU ÷ Go: server + Redis against the Go service\'s mean');
  if (results.seedPeer !== 'measured') rows.push("(the seed's Go service was not measured: see the log line above)");
  return rows.join('\n');
}

if (require.main === module) {
  const settings = loadFrontSettings();
  runFrontBench(settings, (line) => console.error(line)).then(
    (results) => {
      const table = renderFront(results);
      console.log(table);
      const dir = settings.resultsDir;
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'front.json'), `${JSON.stringify({ at: new Date().toISOString(), settings, ...results }, null, 2)}\n`);
      writeFileSync(join(dir, 'front.txt'), `${table}\n`);
    },
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
