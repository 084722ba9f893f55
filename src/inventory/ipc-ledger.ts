// A worker's view of a ledger that lives in the primary: every call is one
// request over the cluster IPC channel. The primary side (ledgerIpcHandlers)
// serves any Ledger, so both halves of the protocol live in this file.
import { RemoteError, RpcTimeoutError, type IpcRpc, type RpcHandler } from '../cluster/ipc-rpc';
import { ERRORS, LedgerUnavailableError } from '../errors/errors';
import type { Ledger, Order, ReserveOutcome, ReserveRequest, Sale, SaleSpec } from './ledger';

export const LEDGER_METHODS = {
  createSale: 'ledger.createSale',
  getSale: 'ledger.getSale',
  reserve: 'ledger.reserve',
  getOrder: 'ledger.getOrder',
  findByRequestKey: 'ledger.findByRequestKey',
  ping: 'ledger.ping',
} as const;

/** The primary's handlers, merged into each worker's IpcRpc. */
export function ledgerIpcHandlers(ledger: Ledger): Record<string, RpcHandler> {
  return {
    [LEDGER_METHODS.createSale]: (p: { spec: SaleSpec; now: number }) => ledger.createSale(p.spec, p.now),
    [LEDGER_METHODS.getSale]: (p: { saleId: string }) => ledger.getSale(p.saleId),
    [LEDGER_METHODS.reserve]: (p: ReserveRequest) => ledger.reserve(p),
    [LEDGER_METHODS.getOrder]: (p: { orderId: string }) => ledger.getOrder(p.orderId),
    [LEDGER_METHODS.findByRequestKey]: (p: { saleId: string; requestKey: string }) => ledger.findByRequestKey(p.saleId, p.requestKey),
    [LEDGER_METHODS.ping]: async () => {
      await ledger.ping();
      return true;
    },
  };
}

export interface IpcLedgerOptions {
  readonly description: string;
  readonly timeoutMs: number;
  /** False once the channel to the primary is gone; calls then fail at once instead of timing out. */
  readonly connected: () => boolean;
}

export class IpcLedger implements Ledger {
  readonly description: string;

  constructor(private readonly rpc: IpcRpc, private readonly options: IpcLedgerOptions) {
    this.description = options.description;
  }

  createSale(spec: SaleSpec, now: number): Promise<Sale | null> {
    // Only the SaleSpec fields travel; the HTTP layer's object may carry more.
    const { id, name, total, perUserLimit, opensAt, closesAt } = spec;
    return this.call(LEDGER_METHODS.createSale, { spec: { id, name, total, perUserLimit, opensAt, closesAt }, now });
  }

  getSale(saleId: string): Promise<Sale | null> {
    return this.call(LEDGER_METHODS.getSale, { saleId });
  }

  reserve(request: ReserveRequest): Promise<ReserveOutcome> {
    const { saleId, userId, requestKey, orderId, now } = request;
    return this.call(LEDGER_METHODS.reserve, { saleId, userId, requestKey, orderId, now });
  }

  getOrder(orderId: string): Promise<Order | null> {
    return this.call(LEDGER_METHODS.getOrder, { orderId });
  }

  findByRequestKey(saleId: string, requestKey: string): Promise<Order | null> {
    return this.call(LEDGER_METHODS.findByRequestKey, { saleId, requestKey });
  }

  async ping(): Promise<void> {
    await this.call(LEDGER_METHODS.ping, null);
  }

  /** The channel belongs to the worker, not to this ledger; nothing to close. */
  async close(): Promise<void> {}

  /**
   * A timeout or a lost primary becomes LedgerUnavailableError (503). The
   * primary may still have reserved; a retry with the same Idempotency-Key
   * then gets that order back.
   */
  private async call<T>(method: string, params: unknown): Promise<T> {
    if (!this.options.connected()) throw new LedgerUnavailableError(`the embedded ledger is unreachable: this worker lost its primary (${method})`);
    try {
      return await this.rpc.request<T>(method, params, this.options.timeoutMs);
    } catch (error) {
      if (error instanceof RpcTimeoutError) {
        throw new LedgerUnavailableError(`the embedded ledger in the primary did not answer ${method} within LEDGER_TIMEOUT_MS=${this.options.timeoutMs}`, error);
      }
      if (error instanceof RemoteError) {
        if (error.code === ERRORS.LEDGER_UNAVAILABLE.code) throw new LedgerUnavailableError(error.message, error);
        throw new Error(`the embedded ledger failed ${method}: ${error.message}`);
      }
      throw new LedgerUnavailableError(`the embedded ledger is unreachable (${method}): ${(error as Error).message}`, error);
    }
  }
}
