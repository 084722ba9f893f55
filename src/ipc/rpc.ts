// Request/response over an IPC channel, used in both directions: workers ask
// the primary (cluster figures, the embedded ledger), and the primary asks
// workers (their own counters). Everything sent in one turn of the event loop
// goes as one message: under a spike, one send (one syscall, one JSON parse on
// the other side) carries many reservations instead of one each.
import type { IpcEndpoint } from './endpoint';
import { isSpikeMessage, type RpcBatch, type RpcRequest, type RpcResponse, type SpikeMessage } from './messages';

export type RpcHandler = (...args: any[]) => unknown;

export class RpcTimeoutError extends Error {
  constructor(method: string, timeoutMs: number) {
    super(`${method} got no answer over IPC within ${timeoutMs} ms`);
    this.name = 'RpcTimeoutError';
  }
}

/** The other side's handler threw; `code` carries a SpikeError's code across. */
export class RemoteError extends Error {
  constructor(message: string, readonly code?: string) {
    super(message);
    this.name = 'RemoteError';
  }
}

interface Waiter {
  resolve(value: unknown): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

export class IpcRpc {
  private nextId = 1;
  private outbox: Array<{ message: RpcRequest | RpcResponse; failed?: (error: Error) => void }> = [];
  private flushScheduled = false;
  private readonly pending = new Map<number, Waiter>();
  private readonly listeners: Array<(message: SpikeMessage) => void> = [];

  constructor(private readonly endpoint: IpcEndpoint, private readonly handlers: Readonly<Record<string, RpcHandler>> = {}) {
    endpoint.onMessage((message) => this.onMessage(message));
  }

  /** Hears every other spike message on this channel (ready, shutdown, stock-returned). */
  onNotice(listener: (message: SpikeMessage) => void): void {
    this.listeners.push(listener);
  }

  request<T>(method: string, args: readonly unknown[], timeoutMs: number): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new RpcTimeoutError(method, timeoutMs));
      }, timeoutMs);
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject, timer });
      const failed = (error: Error) => {
        if (!this.pending.delete(id)) return;
        clearTimeout(timer);
        reject(error);
      };
      if (!this.endpoint.isConnected()) {
        failed(new Error(`${method}: the IPC channel is closed`));
        return;
      }
      this.enqueue({ spike: 'rpc-request', id, method, args }, failed);
    });
  }

  private enqueue(message: RpcRequest | RpcResponse, failed?: (error: Error) => void): void {
    this.outbox.push({ message, failed });
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => this.flush());
  }

  private flush(): void {
    this.flushScheduled = false;
    const batch = this.outbox;
    this.outbox = [];
    if (batch.length === 0) return;
    const failAll = (error: Error) => {
      for (const item of batch) item.failed?.(error);
    };
    // The other side may have died meanwhile (an embedded-ledger answer waits
    // for an fsync); its orders are journaled either way and nobody waits for answers.
    if (!this.endpoint.isConnected()) {
      failAll(new Error('the IPC channel is closed'));
      return;
    }
    const message: RpcBatch | RpcRequest | RpcResponse = batch.length === 1 ? batch[0]!.message : { spike: 'rpc-batch', items: batch.map((item) => item.message) };
    try {
      // With a callback, a send on a channel that closes meanwhile reports here instead of as an unhandled 'error' event.
      this.endpoint.send(message, (error) => {
        if (error) failAll(error);
      });
    } catch (error) {
      failAll(error as Error);
    }
  }

  private onMessage(message: unknown): void {
    if (!isSpikeMessage(message)) return;
    switch (message.spike) {
      case 'rpc-batch':
        for (const item of message.items) this.onRpc(item);
        return;
      case 'rpc-request':
      case 'rpc-response':
        this.onRpc(message);
        return;
      default:
        for (const listener of this.listeners) listener(message);
    }
  }

  private onRpc(rpc: RpcRequest | RpcResponse): void {
    if (rpc.spike === 'rpc-response') {
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
    const handler = Object.hasOwn(this.handlers, request.method) ? this.handlers[request.method] : undefined;
    try {
      if (!handler) throw new Error(`no IPC handler for ${request.method}`);
      response = { spike: 'rpc-response', id: request.id, result: await handler(...request.args) };
    } catch (error) {
      const err = error as Error & { code?: string };
      response = { spike: 'rpc-response', id: request.id, error: { message: err.message, code: typeof err.code === 'string' ? err.code : undefined } };
    }
    this.enqueue(response);
  }
}
