// The fallback generator when wrk is not installed: autocannon, driven from
// this process. It costs more CPU per request than wrk, so its ceiling (shown
// against the baseline) is lower; the report says which generator ran. It acts
// on stop() only at its one-second tick, so its slices (and the split between
// the selling and sold-out phases) are a second coarse.
import autocannon from 'autocannon';
import type { LoadGenerator, SliceRequest, SliceResult } from './slice';

export class AutocannonGenerator implements LoadGenerator {
  readonly name = 'autocannon';

  nextId(request: SliceRequest, result: SliceResult): number {
    return request.firstId + result.sent;
  }

  runSlice(request: SliceRequest): Promise<SliceResult> {
    const url = new URL(request.url);
    if (!['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname)) throw new Error(`the bench only loads loopback addresses, not ${url.hostname}`);
    let sent = 0;
    // As bench/lua/buyers.lua: new ids count up; repeatPercent of requests reuse one of them.
    let fresh = 0;
    let repeats = 0;
    const cpuBefore = process.cpuUsage();
    const started = performance.now();
    return new Promise((resolve, reject) => {
      let endedBy: SliceResult['endedBy'] = 'time';
      const instance = autocannon(
        {
          url: url.origin,
          // autocannon refuses more connections than requests (a phase's last slice may have fewer left than connections).
          connections: request.quota > 0 ? Math.min(request.connections, request.quota) : request.connections,
          // amount ends the run at the quota (it takes precedence over duration); the driver's timer ends it on time.
          ...(request.quota > 0 ? { amount: request.quota } : { duration: 3600 }),
          timeout: request.timeoutSeconds,
          requests: [
            {
              method: 'GET',
              setupRequest: (req) => {
                sent++;
                let id: number;
                if (fresh > 0 && Math.random() * 100 < (request.repeatPercent ?? 0)) {
                  repeats++;
                  id = request.firstId + 1 + Math.floor(Math.random() * fresh);
                } else {
                  id = request.firstId + ++fresh;
                }
                return { ...req, path: `${request.pathPrefix}${id}` };
              },
            },
          ],
        },
        (error, result) => {
          clearTimeout(timer);
          clearInterval(poller);
          if (error) return reject(error);
          const cpu = process.cpuUsage(cpuBefore);
          if (endedBy === 'time' && request.quota > 0 && result.requests.total >= request.quota) endedBy = 'quota';
          const l = result.latency;
          const ms = (v: number) => Math.round(v * 1000);
          const statuses: Record<string, number> = {};
          for (const [status, stat] of Object.entries(result.statusCodeStats ?? {})) statuses[status] = (stat as { count?: number }).count ?? 0;
          resolve({
            startMs: 0,
            endMs: 0,
            // autocannon acts on stop() and reports only at its once-a-second tick;
            // the load ended with the last response, not at that tick.
            durationMs: (lastResponseAt || performance.now()) - started,
            sent,
            repeats,
            responses: result.requests.total,
            statuses,
            errors: { connect: Math.max(0, result.errors - result.timeouts), read: 0, write: 0, timeout: result.timeouts },
            latency: {
              min: ms(l.min), max: ms(l.max), mean: ms(l.mean),
              quantiles: [[1, ms(l.p1)], [10, ms(l.p10)], [25, ms(l.p25)], [50, ms(l.p50)], [75, ms(l.p75)], [90, ms(l.p90)], [97.5, ms(l.p97_5)], [99, ms(l.p99)], [99.9, ms(l.p99_9)], [99.99, ms(l.p99_99)]],
            },
            cpuMs: (cpu.user + cpu.system) / 1000,
            endedBy,
          });
        },
      );
      let lastResponseAt = 0;
      instance.on('response', () => {
        lastResponseAt = performance.now();
      });
      const stop = (why: SliceResult['endedBy']) => {
        if (endedBy === 'time') endedBy = why;
        instance.stop();
      };
      const timer = setTimeout(() => stop('time'), request.durationMs);
      let polling = false;
      const poller = request.stopWhen
        ? setInterval(() => {
            if (polling) return;
            polling = true;
            request.stopWhen!().then((yes) => { polling = false; if (yes) stop('stop'); }, () => { polling = false; });
          }, request.stopPollMs ?? 25)
        : undefined;
    });
  }
}
