// Request/response over the cluster IPC channel, used in both directions:
// workers ask the primary (cluster stats, the embedded ledger), and the
// primary asks workers (their own counters).

export interface IpcEndpoint {
  send(message: unknown, callback?: (error: Error | null) => void): boolean;
  on(event: 'message', listener: (message: unknown) => void): unknown;
  /** False once the channel is closed (the other process died or exited). */
  readonly connected?: boolean;
}

interface RpcRequest { readonly spikeRpc: 'req'; readonly id: number; readonly method: string; readonly params: unknown }
interface RpcResponse { readonly spikeRpc: 'res'; readonly id: number; readonly result?: unknown; readonly error?: { message: string; code?: string } }
/** Everything one side sent within one turn of its event loop, as one IPC message. */
interface RpcBatch { readonly spikeRpc: 'batch'; readonly items: ReadonlyArray<RpcRequest | RpcResponse> }

export type RpcHandler = (params: any) => unknown | Promise<unknown>;

export class RpcTimeoutError extends Error {
  constructor(method: string, timeoutMs: number) {
    super(`${method} got no answer over IPC within ${timeoutMs} ms`);
    this.name = 'RpcTimeoutError';
  }
}

export class RemoteError extends Error {
  constructor(message: string, readonly code?: string) {
    super(message);
    this.name = 'RemoteError';
  }
}

export class IpcRpc {
  private nextId = 1;
  /**
   * Messages wait here until the current turn of the event loop ends, then go
   * as one IPC message: under a spike, one send (one syscall, one JSON parse
   * on the other side) carries many reservations instead of one each.
   */
  private outbox: Array<{ message: RpcRequest | RpcResponse; failed?: (error: Error) => void }> = [];
  private flushScheduled = false;
  private readonly pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void; timer: NodeJS.Timeout }>();

  constructor(private readonly endpoint: IpcEndpoint, private readonly handlers: Record<string, RpcHandler> = {}) {
    endpoint.on('message', (message) => this.onMessage(message));
  }

  request<T>(method: string, params: unknown, timeoutMs: number): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new RpcTimeoutError(method, timeoutMs));
      }, timeoutMs);
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject, timer });
      const request: RpcRequest = { spikeRpc: 'req', id, method, params };
      const failed = (error: Error) => {
        if (!this.pending.delete(id)) return;
        clearTimeout(timer);
        reject(error);
      };
      if (this.endpoint.connected === false) {
        failed(new Error(`${method}: the IPC channel is closed`));
        return;
      }
      this.enqueue(request, failed);
    });
  }

  private enqueue(message: RpcRequest | RpcResponse, failed?: (error: Error) => void): void {
    this.outbox.push({ message, failed });
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => this.flush());
  }

  /** Sends what waits in the outbox now; resolves once it is handed to the channel (e.g. before exiting). */
  flushNow(): Promise<void> {
    return new Promise((resolve) => this.flush(() => resolve()));
  }

  private flush(sent?: () => void): void {
    this.flushScheduled = false;
    const batch = this.outbox;
    this.outbox = [];
    if (batch.length === 0) {
      sent?.();
      return;
    }
    const failAll = (error: Error) => {
      for (const item of batch) item.failed?.(error);
    };
    // The other side may have died meanwhile (an embedded-ledger answer waits
    // for an fsync); its orders are journaled either way and nobody waits for answers.
    if (this.endpoint.connected === false) {
      failAll(new Error('the IPC channel is closed'));
      sent?.();
      return;
    }
    const message: RpcBatch | RpcRequest | RpcResponse = batch.length === 1 ? batch[0]!.message : { spikeRpc: 'batch', items: batch.map((item) => item.message) };
    try {
      // With a callback, a send on a channel that closes meanwhile reports here instead of as an unhandled 'error' event.
      this.endpoint.send(message, (error) => {
        if (error) failAll(error);
        sent?.();
      });
    } catch (error) {
      failAll(error as Error);
      sent?.();
    }
  }

  private onMessage(message: unknown): void {
    if (typeof message !== 'object' || message === null || !('spikeRpc' in message)) return;
    const rpc = message as RpcRequest | RpcResponse | RpcBatch;
    if (rpc.spikeRpc === 'batch') {
      for (const item of rpc.items) this.onOne(item);
      return;
    }
    this.onOne(rpc);
  }

  private onOne(rpc: RpcRequest | RpcResponse): void {
    if (rpc.spikeRpc === 'res') {
      const waiter = this.pending.get(rpc.id);
      if (!waiter) return; // answered after its timeout
      this.pending.delete(rpc.id);
      clearTimeout(waiter.timer);
      if (rpc.error) waiter.reject(new RemoteError(rpc.error.message, rpc.error.code));
      else waiter.resolve(rpc.result);
      return;
    }
    void this.answer(rpc);
  }

  private async answer(request: RpcRequest): Promise<void> {
    let response: RpcResponse;
    const handler = this.handlers[request.method];
    try {
      if (!handler) throw new Error(`no IPC handler for ${request.method}`);
      response = { spikeRpc: 'res', id: request.id, result: await handler(request.params) };
    } catch (error) {
      const err = error as Error & { code?: string };
      response = { spikeRpc: 'res', id: request.id, error: { message: err.message, code: typeof err.code === 'string' ? err.code : undefined } };
    }
    this.enqueue(response);
  }
}
