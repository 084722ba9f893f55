// A worker's view of a ledger that lives in the primary (the embedded one):
// every call is one request over IPC, derived from the Ledger's one list of
// commands (LEDGER_COMMANDS). The primary serves the same list (ledgerHandlers).
import { ERRORS, LedgerUnavailableError } from '../errors/errors';
import { RemoteError, RpcTimeoutError, type IpcRpc, type RpcHandler } from '../ipc/rpc';
import { remoteMethods, serveMethods } from '../ipc/remote-methods';
import { LEDGER_COMMANDS, type Ledger, type LedgerCommand } from './ledger';
import type { SeatsReleased } from './types';

type RemoteMethod = LedgerCommand;

const PREFIX = 'ledger';

/** The primary's side: handlers that serve its ledger to the workers. */
export function ledgerHandlers(ledger: Ledger): Record<string, RpcHandler> {
  return serveMethods<Ledger, RemoteMethod>(PREFIX, LEDGER_COMMANDS, ledger);
}

export interface RemoteLedgerOptions {
  readonly description: string;
  readonly timeoutMs: number;
}

/**
 * The worker's side. A timeout or a lost primary becomes
 * LedgerUnavailableError (503): the primary may still have reserved, and a
 * retry with the same Idempotency-Key then gets that order back.
 */
export function remoteLedger(rpc: IpcRpc, options: RemoteLedgerOptions): Ledger {
  const stockListeners: Array<(saleId: string) => void> = [];
  const saleListeners: Array<(saleId: string) => void> = [];
  const seatListeners: Array<(release: SeatsReleased) => void> = [];
  rpc.onNotice((message) => {
    if (message.spike === 'stock-returned') for (const notify of stockListeners) notify(message.saleId);
    if (message.spike === 'sale-changed') for (const notify of saleListeners) notify(message.saleId);
    if (message.spike === 'seats-released') for (const notify of seatListeners) notify({ trainId: message.trainId, from: message.from, to: message.to });
  });

  const call = async (method: string, args: unknown[]): Promise<unknown> => {
    try {
      return await rpc.request(method, args, options.timeoutMs);
    } catch (error) {
      if (error instanceof RpcTimeoutError) {
        throw new LedgerUnavailableError(`the embedded ledger in the primary did not answer ${method} within LEDGER_TIMEOUT_MS=${options.timeoutMs}`, error);
      }
      if (error instanceof RemoteError) {
        if (error.code === ERRORS.LEDGER_UNAVAILABLE.code) throw new LedgerUnavailableError(error.message, error);
        throw new Error(`the embedded ledger failed ${method}: ${error.message}`);
      }
      throw new LedgerUnavailableError(`the embedded ledger is unreachable (${method}): ${(error as Error).message}`, error);
    }
  };

  return {
    ...remoteMethods<Ledger, RemoteMethod>(PREFIX, LEDGER_COMMANDS, call),
    description: options.description,
    /**
     * The primary relays returned stock as stock-returned messages. One
     * missed while the channel hiccups is covered by the stock keeper's
     * periodic re-read of a sold-out sale.
     */
    async onStockReturned(listener) {
      stockListeners.push(listener);
    },
    /** A train order's seat range back on sale, as seats-released messages; one missed is covered by the gate's lapsing marks. */
    async onSeatsReleased(listener) {
      seatListeners.push(listener);
    },
    /** The same for changed sales (sale-changed messages); one missed is covered by the sale view's TTL re-read. */
    async onSaleChanged(listener) {
      saleListeners.push(listener);
    },
    /** The channel belongs to the worker, not to this ledger; nothing to close. */
    async close() {},
  };
}
