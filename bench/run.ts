// `npm run bench`: the baseline, the matrix of spike cells, the micro-benchmarks,
// then the table on stdout and the same figures under bench/results/: latest.json
// for machines, latest.txt (the table) and latest.svg (the chart) for people.
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem, release, type } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import { PrivateRedis } from '../harness/private-redis';
import { runBaseline } from './baseline';
import { renderClusterCell, runClusterCell, type ClusterCellResult } from './cluster-cell';
import { renderChart } from './chart';
import { AutocannonGenerator } from './load/autocannon-generator';
import type { LoadGenerator } from './load/slice';
import { WrkGenerator } from './load/wrk-generator';
import { renderFront, runFrontBench } from './front-bench';
import { runMetricsCost } from './metrics-cost';
import { runMicro } from './micro';
import { cellVerdicts, renderReport, runFailures, type BenchResults, type MachineInfo } from './report';
import { BenchSettingsError, loadBenchSettings, loadFrontSettings, type BenchSettings } from './settings';
import { renderQueueCell, runQueueCell } from './queue-cell';
import { runCell } from './spike-cell';
import { renderSelling, runSellingCells } from './selling-cell';
import { renderTicketsReport, runTicketsBench } from './tickets';
import { renderTrainCell, runTrainCell, type TrainCellResult } from './train-cell';

async function machineInfo(redisUrl: string): Promise<MachineInfo> {
  let redisVersion: string | null = null;
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1, connectTimeout: 2000 });
  redis.on('error', () => {});
  try {
    await redis.connect();
    redisVersion = /redis_version:(\S+)/.exec(await redis.info('server'))?.[1] ?? null;
  } catch {
    redisVersion = null;
  } finally {
    redis.disconnect();
  }
  const cpu = cpus();
  return {
    cpu: cpu[0]?.model.trim() ?? 'unknown CPU',
    cores: cpu.length,
    memoryGb: Math.round(totalmem() / 2 ** 30),
    os: `${type()} ${release()}`,
    node: process.version,
    redis: redisVersion,
  };
}

export interface RunOptions {
  readonly settings: BenchSettings;
  readonly log?: (line: string) => void;
  /** Write latest.json and latest.svg into settings.resultsDir (default true). */
  readonly write?: boolean;
  readonly baseline?: boolean;
}

export type RunResults = BenchResults & { cluster: ClusterCellResult | null; train: TrainCellResult | { error: string } | null };

export async function runBench(options: RunOptions): Promise<RunResults> {
  const log = options.log ?? ((line: string) => console.error(line));
  if (!options.settings.privateRedis) return runBenchOn(options.settings, options, log);
  const redis = await PrivateRedis.start();
  log(`spike bench: a private redis-server on ${redis.url} for this run (BENCH_REDIS_URL names another)`);
  try {
    return await runBenchOn({ ...options.settings, redisUrl: redis.url }, options, log);
  } finally {
    await redis.stop();
  }
}

async function runBenchOn(settings: BenchSettings, options: RunOptions, log: (line: string) => void): Promise<RunResults> {
  const started = performance.now();
  const startedAt = new Date().toISOString();
  const generator: LoadGenerator = settings.generator === 'wrk' ? new WrkGenerator() : new AutocannonGenerator();
  const machine = await machineInfo(settings.redisUrl);
  log(`spike bench: ${settings.matrix.length} cell(s), generator ${generator.name}, ${machine.cores} cores`);

  const baseline = options.baseline === false ? { status: 'failed' as const, error: 'skipped' } : await runBaseline(settings, generator, log);
  const cells = [];
  for (const cell of settings.matrix) {
    const result = await runCell(cell, { settings, generator, log });
    result.ratioToBaseline = baseline.load && result.load ? result.load.rps / baseline.load.rps : null;
    if (result.status !== 'ok') log(`  ${result.cell} FAILED: ${result.error?.split('\n')[0]}`);
    cells.push(result);
  }
  const selling = settings.sellingTickets > 0 ? await runSellingCells(settings, generator, log) : null;
  if (selling) log(renderSelling(selling));
  const metricsCost = settings.metricsCostSeconds > 0 ? await runMetricsCost(settings, generator, log) : null;
  const cluster = settings.cluster ? await runClusterCell(settings, generator, log) : null;
  const queue = settings.queue ? await runQueueCell(settings, log).catch((error: Error) => ({ error: error.message })) : null;
  if (queue && !('error' in queue)) log(renderQueueCell(queue));
  const train = settings.train ? await runTrainCell({ seats: settings.trainSeats, demand: 100, concurrency: 64, log }).catch((error: Error) => ({ error: error.message })) : null;
  if (train && !('error' in train)) log(renderTrainCell(train));
  const micro = settings.micro ? await runMicro({ redisUrl: settings.redisUrl, timeMs: settings.microTimeMs, log }) : null;
  const tickets = settings.ticketSection ? await runTicketsBench({ settings, generator, log }) : null;

  const { resultsDir: _resultsDir, ...shownSettings } = settings;
  const results: BenchResults & { cluster: ClusterCellResult | null; train: TrainCellResult | { error: string } | null } = {
    startedAt,
    durationSeconds: (performance.now() - started) / 1000,
    machine,
    settings: shownSettings,
    generator: generator.name,
    baseline,
    cells,
    micro,
    metricsCost,
    selling,
    cluster,
    queue,
    train,
    tickets,
    ok:
      (tickets?.ledgers.every((l) => l.status === 'ok' && l.checkins?.ok === true && l.firstScans?.ok !== false) ?? true) &&
      cells.every((c) => c.status === 'ok' && c.audit?.ok === true && (c.answers?.failed ?? 1) === 0 && c.ledgerCalls?.ok !== false) &&
      (cluster?.variants.every((v) => v.status === 'ok' && v.audit?.ok === true) ?? true) &&
      (selling?.every((s) => s.cell.status === 'ok' && s.cell.audit?.ok === true && (s.cell.answers?.failed ?? 1) === 0) ?? true) &&
      (train === null || (!('error' in train) && train.ok)),
  };
  if (options.write !== false) {
    mkdirSync(settings.resultsDir, { recursive: true });
    writeFileSync(join(settings.resultsDir, 'latest.json'), `${JSON.stringify(results, null, 2)}\n`);
    writeFileSync(join(settings.resultsDir, 'latest.svg'), renderChart(results));
    writeFileSync(join(settings.resultsDir, 'latest.txt'), `${fullReport(results)}${tickets ? renderTicketsReport(tickets) : ''}\n`);
    log(`wrote ${join(settings.resultsDir, 'latest.json')}, latest.txt and latest.svg`);
  }
  return results;
}

/** The table, then the cluster cell beside the single-box Redis cells' selling rates. */
function fullReport(results: BenchResults & { cluster: ClusterCellResult | null; train?: TrainCellResult | { error: string } | null }): string {
  const train = !results.train ? '' : 'error' in results.train ? `\n\ntrain cell FAILED: ${results.train.error}` : `\n\n${renderTrainCell(results.train)}`;
  if (!results.cluster) return renderReport(results) + train;
  const single = results.cells
    .filter((c) => c.ledger === 'redis' && c.status === 'ok')
    .map((c) => ({ cell: c.cell, ticketsPerSecond: c.soldOutAtMs ? (results.settings.tickets * 1000) / c.soldOutAtMs : null }));
  return `${renderReport(results)}\n\n${renderClusterCell(results.cluster, single)}${train}`;
}

async function main(): Promise<void> {
  let settings: BenchSettings;
  try {
    settings = loadBenchSettings();
  } catch (error) {
    if (error instanceof BenchSettingsError) {
      console.error(`bench: ${error.message}`);
      process.exit(2);
    }
    throw error;
  }
  const results = await runBench({ settings });
  console.log(fullReport(results));
  // The front per balancer mode (ab, Connection: close, keep-alive, the seed's Go service); BENCH_FRONT=0 skips it.
  if (settings.front) {
    const front = await runFrontBench(loadFrontSettings(), (line) => console.error(line));
    const table = renderFront(front);
    console.log(`\n${table}`);
    writeFileSync(join(settings.resultsDir, 'front.json'), `${JSON.stringify({ at: new Date().toISOString(), ...front }, null, 2)}\n`);
    writeFileSync(join(settings.resultsDir, 'front.txt'), `${table}\n`);
  }
  if (results.tickets) console.log(renderTicketsReport(results.tickets));
  // Exit 1 when a cell failed its audit, its ledger-call bound or could not run, naming which;
  // missed speed targets are reported, not failed.
  const failures = runFailures(results);
  for (const failure of failures) console.error(`bench: FAILED ${failure}`);
  if (!results.ok && failures.length === 0) console.error('bench: FAILED (see the report above)');
  process.exit(results.ok ? 0 : 1);
}

if (require.main === module) {
  main().catch((error) => {
    console.error(error);
    process.exit(1);
  });
}

export { cellVerdicts };
