// BALANCER=handoff: the primary accepts each TCP connection, picks a worker by
// smooth weighted round-robin and sends it the socket handle over the cluster
// IPC channel, as Node's own cluster round-robin does. The worker relays the
// bytes to its own uWS listener; the primary never sees a request.
import type { Worker } from 'node:cluster';
import net from 'node:net';
import { errorResponse } from './http-relay';
import { handoffConnectionMessage } from './handoff-messages';
import { SmoothWeightedRoundRobin } from './smooth-wrr';
import type { Backend } from './backend';

/** A raw libuv TCP handle, as net.Server's listening handle hands it over: no net.Socket is made in the primary. */
interface RawHandle {
  close(callback?: () => void): void;
}

interface ListenHandle {
  onconnection: (error: number, handle: RawHandle | undefined) => void;
  setNoDelay(enable: boolean): void;
}

export class HandoffBalancer {
  private readonly wrr: SmoothWeightedRoundRobin<Backend>;
  private readonly server = net.createServer();
  /**
   * Handles sent to each worker and not yet acknowledged, oldest first. Node
   * passes one handle at a time per channel and the worker acknowledges each
   * (NODE_HANDLE_ACK) as it takes it; until then the primary keeps its copy, so
   * a worker that dies first costs the client nothing: the next worker gets it.
   */
  private readonly unacked = new Map<Worker, RawHandle[]>();
  /** Handed to a worker whose channel closed before it took them: re-routed. */
  rerouted = 0;

  constructor(private readonly slots: readonly Backend[]) {
    this.wrr = new SmoothWeightedRoundRobin(slots);
  }

  listen(port: number, host: string): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen({ port, host, backlog: 4096 }, () => {
        this.server.off('error', reject);
        // Take the accepted handle before net.Server wraps it in a net.Socket: the
        // primary only passes it on. (Node's cluster round-robin does the same.)
        const listening = (this.server as unknown as { _handle: ListenHandle })._handle;
        // Linux copies TCP_NODELAY from the listening socket to each accepted one: one call here, none per connection.
        listening.setNoDelay(true);
        listening.onconnection = (error, handle) => {
          if (error === 0 && handle !== undefined) this.route(handle, undefined);
        };
        resolve((this.server.address() as net.AddressInfo).port);
      });
    });
  }

  stopAccepting(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  destroyAll(): void {
    for (const handles of this.unacked.values()) for (const handle of handles.splice(0)) handle.close();
  }

  private route(handle: RawHandle, tried: Set<Backend> | undefined): void {
    const slot = this.wrr.pickExcept(tried);
    const worker = slot?.worker;
    if (slot === undefined || worker === undefined) {
      refuse(handle);
      return;
    }
    if (!worker.isConnected()) {
      this.route(handle, (tried ?? new Set()).add(slot));
      return;
    }
    const queue = this.watch(worker);
    queue.push(handle);
    slot.connections++;
    worker.send(handoffConnectionMessage, handle as never, (error: Error | null) => {
      if (error === null) return;
      // The channel broke before the handle left: it is still ours to give to another worker.
      const index = queue.indexOf(handle);
      if (index === -1) return;
      queue.splice(index, 1);
      this.rerouted++;
      this.route(handle, (tried ?? new Set()).add(slot));
    });
  }

  /** The queue of unacknowledged handles for a worker, watching its acknowledgements and its end on first use. */
  private watch(worker: Worker): RawHandle[] {
    let queue = this.unacked.get(worker);
    if (queue !== undefined) return queue;
    const handles: RawHandle[] = [];
    queue = handles;
    this.unacked.set(worker, handles);
    // Node's own handle-passing protocol; 'internalMessage' carries the NODE_ commands.
    worker.process.on('internalMessage', (message: { cmd?: string }) => {
      if (message?.cmd === 'NODE_HANDLE_ACK') handles.shift()?.close();
      else if (message?.cmd === 'NODE_HANDLE_NACK') {
        const handle = handles.shift();
        if (handle !== undefined) {
          this.rerouted++;
          this.route(handle, undefined);
        }
      }
    });
    // Not 'disconnect': Node holds that back while a sent handle awaits its acknowledgement,
    // which a dead worker never gives. setImmediate lets an acknowledgement already in the
    // channel be read first, so only handles the worker never took are re-routed.
    worker.process.once('exit', () =>
      setImmediate(() => {
        this.unacked.delete(worker);
        for (const handle of handles.splice(0)) {
          this.rerouted++;
          this.route(handle, undefined);
        }
      }),
    );
    return queue;
  }

}

function refuse(handle: RawHandle): void {
  const socket = new net.Socket({ handle, readable: true, writable: true } as net.SocketConstructorOpts);
  socket.on('error', () => socket.destroy());
  socket.end(errorResponse('NO_WORKER'));
  socket.resume();
}
