// What the instrumented ledger reports, as log lines: slow calls, and the
// start and end of an outage (one line each, not one per failed call).
import type { LedgerWatcher } from '../metrics';
import type { Logger } from './logger';

/** Under overload every call is slow: one line per this long, with how many more there were, not one per call. */
const SLOW_LOG_EVERY_MS = 5000;

export function logLedgerEvents(log: Logger, slowMs: number): LedgerWatcher {
  let lastSlowLogAt = -Infinity;
  let unlogged = 0;
  let unloggedMaxMs = 0;
  return {
    slowCall: (command, ms) => {
      const now = Date.now();
      if (now - lastSlowLogAt < SLOW_LOG_EVERY_MS) {
        unlogged++;
        unloggedMaxMs = Math.max(unloggedMaxMs, ms);
        return;
      }
      const since = unlogged > 0 ? `; ${unlogged} more slow call(s) since the last such line, the slowest ${unloggedMaxMs} ms` : '';
      log.warn({ command, ms, thresholdMs: slowMs, moreSlowCalls: unlogged, moreSlowestMs: unloggedMaxMs }, `slow ledger call: ${command} took ${ms} ms (LEDGER_SLOW_MS=${slowMs})${since}`);
      lastSlowLogAt = now;
      unlogged = 0;
      unloggedMaxMs = 0;
    },
    outage: (command, error) => log.error({ command, err: error.message }, `ledger unavailable: ${error.message}`),
    recovered: (outageMs, failedCalls) => log.warn({ outageMs, failedCalls }, `ledger answers again after ${outageMs} ms (${failedCalls} call(s) failed meanwhile)`),
  };
}
