// The load generator of choice: wrk, a C client that costs far less CPU per
// request than any Node client, with bench/lua/buyers.lua giving every request
// its own buyer id. wrk only knows durations, so each slice is one wrk run that
// the driver ends with SIGINT (wrk then prints its results) on time, when a
// thread reaches its quota, or when stopWhen() says so.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { processCpuMs } from './proc-cpu';
import type { LoadGenerator, SliceRequest, SliceResult } from './slice';

export const WRK_SCRIPT = join(__dirname, '..', '..', '..', 'bench', 'lua', 'buyers.lua');

function strideFor(request: SliceRequest): number {
  return request.quota > 0 ? Math.ceil(request.quota / request.threads) + 1 : 1_000_000_000;
}

export class WrkGenerator implements LoadGenerator {
  readonly name = 'wrk';

  constructor(private readonly binary = 'wrk') {}

  nextId(request: SliceRequest, result: SliceResult): number {
    // One thread: ids are contiguous. Several: each thread owned a stride.
    return request.threads === 1 ? request.firstId + result.sent : request.firstId + request.threads * strideFor(request);
  }

  runSlice(request: SliceRequest): Promise<SliceResult> {
    const url = new URL(request.url);
    if (!['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname)) throw new Error(`the bench only loads loopback addresses, not ${url.hostname}`);
    const args = [
      `-t${request.threads}`,
      `-c${Math.max(request.connections, request.threads)}`,
      // The driver ends a slice with SIGINT; wrk's own clock, a little later, only
      // ends a wrk whose driver died (a test's timeout) instead of an hour on.
      `-d${Math.ceil(request.durationMs / 1000) + 10}s`,
      `--timeout`, `${request.timeoutSeconds}s`,
      '-s', WRK_SCRIPT,
      url.origin,
      '--',
      request.pathPrefix,
      String(request.firstId),
      String(request.quota),
      String(strideFor(request)),
      String(request.threads),
      String(request.repeatPercent ?? 0),
    ];
    return new Promise((resolve, reject) => {
      const child = spawn(this.binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      let quotaThreads = 0;
      let endedBy: SliceResult['endedBy'] = 'time';
      let cpuMs = 0;
      let finished = false;
      const stop = (why: SliceResult['endedBy']) => {
        if (finished) return;
        finished = true;
        endedBy = why;
        cpuMs = processCpuMs(child.pid);
        clearTimeout(timer);
        clearInterval(poller);
        child.kill('SIGINT');
      };
      const timer = setTimeout(() => stop('time'), request.durationMs);
      let polling = false;
      const poller = request.stopWhen
        ? setInterval(() => {
            if (polling || finished) return;
            polling = true;
            request.stopWhen!().then(
              (yes) => {
                polling = false;
                if (yes) stop('stop');
              },
              () => { polling = false; },
            );
          }, request.stopPollMs ?? 25)
        : undefined;
      child.stdout.on('data', (chunk: Buffer) => { out += chunk.toString(); });
      child.stderr.on('data', (chunk: Buffer) => {
        err += chunk.toString();
        const reached = (err.match(/quota-reached/g) ?? []).length;
        if (reached > quotaThreads) quotaThreads = reached;
        if (quotaThreads >= request.threads) stop('quota');
      });
      child.once('error', (error) => {
        clearTimeout(timer);
        clearInterval(poller);
        reject(new Error(`cannot run ${this.binary}: ${error.message}`));
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        clearInterval(poller);
        const line = out.split('\n').reverse().find((l) => l.startsWith('{"durationUs"'));
        if (!line) {
          reject(new Error(`wrk ended (code ${code}, signal ${signal}) without results:\n${out}\n${err.replace(/quota-reached\n/g, '')}`));
          return;
        }
        const raw = JSON.parse(line) as {
          durationUs: number; responses: number; sent: number; repeats: number; boughtOrderIds: string[]; statuses: Record<string, number>;
          errors: { connect: number; read: number; write: number; status: number; timeout: number };
          latency: { min: number; max: number; mean: number; quantiles: [number, number][] };
        };
        resolve({
          startMs: 0,
          endMs: 0,
          durationMs: raw.durationUs / 1000,
          sent: raw.sent,
          repeats: raw.repeats,
          boughtOrderIds: raw.boughtOrderIds,
          responses: raw.responses,
          statuses: raw.statuses,
          errors: { connect: raw.errors.connect, read: raw.errors.read, write: raw.errors.write, timeout: raw.errors.timeout },
          latency: raw.responses > 0 ? raw.latency : { min: 0, max: 0, mean: 0, quantiles: [] },
          cpuMs,
          endedBy,
        });
      });
    });
  }
}
