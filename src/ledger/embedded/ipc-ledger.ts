// A worker's view of a ledger that lives in the primary: every call is one
// request over the cluster IPC channel. The primary side (ledgerIpcHandlers)
// serves any Ledger, so both halves of the protocol live in this file.
import { RemoteError, RpcTimeoutError, type IpcRpc, type RpcHandler } from '../../cluster/ipc-rpc';
import { ERRORS, LedgerUnavailableError } from '../../errors/errors';
import type { Actor, CancelOutcome, FeedPage, Ledger, Order, OrderPage, OrderState, PayOutcome, ReserveOutcome, ReserveRequest, Sale, SaleAudit, SaleSpec } from '../ledger';

export const LEDGER_METHODS = {
  createSale: 'ledger.createSale',
  getSale: 'ledger.getSale',
  reserve: 'ledger.reserve',
  getOrder: 'ledger.getOrder',
  findByRequestKey: 'ledger.findByRequestKey',
  pay: 'ledger.pay',
  cancel: 'ledger.cancel',
  expireHolds: 'ledger.expireHolds',
  saleIds: 'ledger.saleIds',
  listOrders: 'ledger.listOrders',
  readFeed: 'ledger.readFeed',
  audit: 'ledger.audit',
  ping: 'ledger.ping',
} as const;

/**
 * The primary tells every worker that a sale's tickets went back on sale with
 * this process message (not a request: nobody answers it).
 */
export interface StockReturnedMessage {
  readonly spike: 'stockReturned';
  readonly saleId: string;
}

export function stockReturnedMessage(saleId: string): StockReturnedMessage {
  return { spike: 'stockReturned', saleId };
}

function isStockReturned(message: unknown): message is StockReturnedMessage {
  const m = message as Partial<StockReturnedMessage> | null;
  return typeof m === 'object' && m !== null && m.spike === 'stockReturned' && typeof m.saleId === 'string';
}

interface ListOptions {
  readonly state?: OrderState;
  readonly cursor?: string | null;
  readonly limit: number;
}

/** The primary's handlers, merged into each worker's IpcRpc. */
export function ledgerIpcHandlers(ledger: Ledger): Record<string, RpcHandler> {
  return {
    [LEDGER_METHODS.createSale]: (p: { spec: SaleSpec; now: number }) => ledger.createSale(p.spec, p.now),
    [LEDGER_METHODS.getSale]: (p: { saleId: string }) => ledger.getSale(p.saleId),
    [LEDGER_METHODS.reserve]: (p: ReserveRequest) => ledger.reserve(p),
    [LEDGER_METHODS.getOrder]: (p: { orderId: string }) => ledger.getOrder(p.orderId),
    [LEDGER_METHODS.findByRequestKey]: (p: { saleId: string; requestKey: string }) => ledger.findByRequestKey(p.saleId, p.requestKey),
    [LEDGER_METHODS.pay]: (p: { orderId: string; actor: Actor; now: number }) => ledger.pay(p.orderId, p.actor ?? null, p.now),
    [LEDGER_METHODS.cancel]: (p: { orderId: string; actor: Actor; now: number }) => ledger.cancel(p.orderId, p.actor ?? null, p.now),
    [LEDGER_METHODS.expireHolds]: (p: { saleId: string; now: number; limit: number }) => ledger.expireHolds(p.saleId, p.now, p.limit),
    [LEDGER_METHODS.saleIds]: () => ledger.saleIds(),
    [LEDGER_METHODS.listOrders]: (p: { saleId: string; options: ListOptions }) => ledger.listOrders(p.saleId, p.options),
    [LEDGER_METHODS.readFeed]: (p: { saleId: string; after: string | null; limit: number }) => ledger.readFeed(p.saleId, p.after ?? null, p.limit),
    [LEDGER_METHODS.audit]: (p: { saleId: string }) => ledger.audit(p.saleId),
    [LEDGER_METHODS.ping]: async () => {
      await ledger.ping();
      return true;
    },
  };
}

/** Where the primary's process messages arrive: the worker's own process, or a forked child in tests. */
export interface MessageSource {
  on(event: 'message', listener: (message: unknown) => void): unknown;
}

export interface IpcLedgerOptions {
  readonly description: string;
  readonly timeoutMs: number;
  /** False once the channel to the primary is gone; calls then fail at once instead of timing out. */
  readonly connected: () => boolean;
  /** Where stock-returned messages from the primary arrive; the worker's own process when not given. */
  readonly messages?: MessageSource;
}

export class IpcLedger implements Ledger {
  readonly description: string;
  private stockListeners: Array<(saleId: string) => void> | undefined;

  constructor(private readonly rpc: IpcRpc, private readonly options: IpcLedgerOptions) {
    this.description = options.description;
  }

  createSale(spec: SaleSpec, now: number): Promise<Sale | null> {
    // Only the SaleSpec fields travel; the HTTP layer's object may carry more.
    const { id, name, total, perUserLimit, holdSeconds, opensAt, closesAt, anonymous } = spec;
    return this.call(LEDGER_METHODS.createSale, { spec: { id, name, total, perUserLimit, holdSeconds, opensAt, closesAt, anonymous }, now });
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

  pay(orderId: string, actor: Actor, now: number): Promise<PayOutcome> {
    return this.call(LEDGER_METHODS.pay, { orderId, actor, now });
  }

  cancel(orderId: string, actor: Actor, now: number): Promise<CancelOutcome> {
    return this.call(LEDGER_METHODS.cancel, { orderId, actor, now });
  }

  expireHolds(saleId: string, now: number, limit: number): Promise<number> {
    return this.call(LEDGER_METHODS.expireHolds, { saleId, now, limit });
  }

  saleIds(): Promise<string[]> {
    return this.call(LEDGER_METHODS.saleIds, null);
  }

  listOrders(saleId: string, options: ListOptions): Promise<OrderPage> {
    const { state, cursor, limit } = options;
    return this.call(LEDGER_METHODS.listOrders, { saleId, options: { state, cursor: cursor ?? null, limit } });
  }

  readFeed(saleId: string, after: string | null, limit: number): Promise<FeedPage> {
    return this.call(LEDGER_METHODS.readFeed, { saleId, after, limit });
  }

  audit(saleId: string): Promise<SaleAudit | null> {
    return this.call(LEDGER_METHODS.audit, { saleId });
  }

  /**
   * Listens for the primary's stock-returned messages. One missed while the
   * channel hiccups is covered by the stock keeper's periodic re-read of a
   * sold-out sale.
   */
  async onStockReturned(listener: (saleId: string) => void): Promise<void> {
    if (!this.stockListeners) {
      const listeners: Array<(saleId: string) => void> = [];
      this.stockListeners = listeners;
      (this.options.messages ?? process).on('message', (message: unknown) => {
        if (!isStockReturned(message)) return;
        for (const notify of listeners) notify(message.saleId);
      });
    }
    this.stockListeners.push(listener);
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
