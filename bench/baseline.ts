// The machine's own limit in this run: the same generator, connections and
// request shape against a bare uWS server (bench/baseline-server.ts) in its
// own process. It also shows the generator's ceiling: the CPU it spends per
// request says how fast it could go with a core to itself.
import { join } from 'node:path';
import { runPhase, summarise, type LoadSummary } from './load/phase';
import { processCpuMs } from './load/proc-cpu';
import type { LoadGenerator } from './load/slice';
import { startServerProcess } from './server-process';
import type { BenchSettings } from './settings';
import { seriesOf, type SeriesPoint } from './spike-cell';

export interface BaselineResult {
  status: 'ok' | 'failed';
  error?: string;
  load?: LoadSummary;
  series?: SeriesPoint[];
  serverCpuMs?: number;
  /** The generator's CPU per response, and the rate that implies per core it is given. */
  generator?: { name: string; threads: number; connections: number; cpuUsPerRequest: number; ceilingPerCoreRps: number; coresUsed: number };
}

export async function runBaseline(settings: BenchSettings, generator: LoadGenerator, log: (line: string) => void): Promise<BaselineResult> {
  let server;
  try {
    server = await startServerProcess({ HOST: '127.0.0.1', PORT: '0' }, 10_000, join(__dirname, 'baseline-server.js'));
    log(`baseline: bare uWebSockets.js, one process, ${settings.baselineSeconds} s`);
    const cpuBefore = processCpuMs(server.pid);
    const run = await runPhase({
      generator,
      url: server.url,
      pathPrefix: '/buy/ticket?user=u',
      users: 0,
      maxMs: settings.baselineSeconds * 1000,
      sliceMs: settings.sliceMs,
      connections: settings.connections,
      threads: settings.threads,
      timeoutSeconds: settings.timeoutSeconds,
      label: 'baseline',
    });
    const serverCpuMs = processCpuMs(server.pid) - cpuBefore;
    const load = summarise(run.slices, run.wallMs);
    const cpuUsPerRequest = load.responses > 0 ? (load.generatorCpuMs * 1000) / load.responses : 0;
    log(`  ${Math.round(load.rps).toLocaleString('en-US')} req/s, p99 ${(load.latencyUs.p99 / 1000).toFixed(2)} ms; ${generator.name} used ${cpuUsPerRequest.toFixed(2)} µs CPU per request`);
    return {
      status: 'ok',
      load,
      series: seriesOf(run.slices),
      serverCpuMs,
      generator: {
        name: generator.name,
        threads: settings.threads,
        connections: settings.connections,
        cpuUsPerRequest,
        ceilingPerCoreRps: cpuUsPerRequest > 0 ? 1e6 / cpuUsPerRequest : 0,
        coresUsed: load.loadMs > 0 ? load.generatorCpuMs / load.loadMs : 0,
      },
    };
  } catch (error) {
    return { status: 'failed', error: (error as Error).message };
  } finally {
    await server?.stop(3000);
  }
}
