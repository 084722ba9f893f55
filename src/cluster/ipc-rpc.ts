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
      try {
        // With a callback, a send on a channel that closes meanwhile reports here instead of as an unhandled 'error' event.
        this.endpoint.send(request, (error) => {
          if (error) failed(error);
        });
      } catch (error) {
        failed(error as Error);
      }
    });
  }

  /** Fails every request still waiting, e.g. when the other side died. */
  failAll(reason: string): void {
    for (const [id, waiter] of this.pending) {
      clearTimeout(waiter.timer);
      waiter.reject(new Error(reason));
      this.pending.delete(id);
    }
  }

  private onMessage(message: unknown): void {
    if (typeof message !== 'object' || message === null || !('spikeRpc' in message)) return;
    const rpc = message as RpcRequest | RpcResponse;
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
    // The asker may have died while we worked (an embedded-ledger answer waits
    // for an fsync); its order is journaled either way and nobody is waiting.
    if (this.endpoint.connected === false) return;
    try {
      this.endpoint.send(response, () => {});
    } catch {
      // The channel closed between the check and the send; same as above.
    }
  }
}
