// What the instrumented ledger reports, as log lines: slow calls, and the
// start and end of an outage (one line each, not one per failed call).
import type { LedgerWatcher } from '../metrics';
import type { Logger } from './logger';

export function logLedgerEvents(log: Logger, slowMs: number): LedgerWatcher {
  return {
    slowCall: (command, ms) => log.warn({ command, ms, thresholdMs: slowMs }, `slow ledger call: ${command} took ${ms} ms (LEDGER_SLOW_MS=${slowMs})`),
    outage: (command, error) => log.error({ command, err: error.message }, `ledger unavailable: ${error.message}`),
    recovered: (outageMs, failedCalls) => log.warn({ outageMs, failedCalls }, `ledger answers again after ${outageMs} ms (${failedCalls} call(s) failed meanwhile)`),
  };
}
