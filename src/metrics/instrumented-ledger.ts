// A Ledger that times every call of the ledger it wraps, counts its errors,
// and reports slow calls and the start and end of an outage. The ledger code
// itself knows nothing of metrics or logs.
import { performance } from 'node:perf_hooks';
import { LedgerUnavailableError } from '../errors/errors';
import { LEDGER_COMMANDS, type Ledger } from '../ledger';
import type { LedgerTally } from './tallies';

export interface LedgerWatcher {
  /** A call took longer than the threshold. */
  slowCall(command: string, ms: number): void;
  /** The first call that found the ledger unavailable after calls that worked. */
  outage(command: string, error: Error): void;
  /** The first call that worked again, and how long the ledger was out. */
  recovered(outageMs: number, failedCalls: number): void;
}


export interface InstrumentOptions {
  readonly tally: LedgerTally;
  readonly slowMs: number;
  readonly watcher: LedgerWatcher;
  /** Told how many holds each expireHolds call released, by sale. */
  readonly holdsExpired?: (saleId: string, count: number) => void;
}

export function instrumentLedger(inner: Ledger, options: InstrumentOptions): Ledger {
  const { tally, slowMs, watcher } = options;
  let outageSince: number | null = null;
  let failedCalls = 0;

  const time = <A extends unknown[], R>(command: string, call: (...args: A) => Promise<R>) => {
    const latency = tally.command(command);
    return async (...args: A): Promise<R> => {
      const started = performance.now();
      try {
        const result = await call(...args);
        if (outageSince !== null) {
          watcher.recovered(Date.now() - outageSince, failedCalls);
          outageSince = null;
          failedCalls = 0;
        }
        return result;
      } catch (error) {
        const unavailable = error instanceof LedgerUnavailableError;
        tally.error(unavailable ? 'unavailable' : 'error');
        if (unavailable) {
          failedCalls++;
          if (outageSince === null) {
            outageSince = Date.now();
            watcher.outage(command, error);
          }
        }
        throw error;
      } finally {
        const ms = performance.now() - started;
        latency.observe(ms / 1000);
        if (ms >= slowMs) watcher.slowCall(command, Math.round(ms));
      }
    };
  };

  // A plain object delegating to the inner ledger, never a subclass or prototype
  // trick: the inner ledger's own state must stay on the inner ledger.
  // Every command is timed (the Ledger's one list of them); the local members pass through.
  const wrapped = {
    get description() {
      return inner.description;
    },
    onStockReturned: (listener: (saleId: string) => void) => inner.onStockReturned(listener),
    onSaleChanged: (listener: (saleId: string) => void) => inner.onSaleChanged(listener),
    onSeatsReleased: (listener: Parameters<Ledger['onSeatsReleased']>[0]) => inner.onSeatsReleased(listener),
    close: () => inner.close(),
  } as unknown as Record<string, unknown>;
  for (const command of LEDGER_COMMANDS) wrapped[command] = time(command, (inner[command] as (...args: unknown[]) => Promise<unknown>).bind(inner));
  if (options.holdsExpired) {
    const expireHolds = wrapped.expireHolds as Ledger['expireHolds'];
    wrapped.expireHolds = async (saleId: string, now: number, limit: number) => {
      const released = await expireHolds(saleId, now, limit);
      if (released > 0) options.holdsExpired!(saleId, released);
      return released;
    };
  }
  return wrapped as unknown as Ledger;
}
