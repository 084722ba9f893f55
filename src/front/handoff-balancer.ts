// BALANCER=handoff: the primary accepts each TCP connection, picks a worker by
// smooth weighted round-robin and hands it the socket over that worker's
// handle channel (handle-channel.ts). The worker relays the bytes to its own
// uWS listener; the primary never sees a request.
import type { Worker } from 'node:cluster';
import net from 'node:net';
import { errorResponse } from './http-relay';
import { HandleChannel, type RawHandle } from './handle-channel';
import { listenRaw, type RawListener } from './raw-accept';
import { SmoothWeightedRoundRobin } from './smooth-wrr';
import type { PrivateListener } from './front-warm-up';
import type { Backend } from './backend';

/** What a fork in handoff mode adds: the worker's end of its channel as one more stdio entry (HANDLE_CHANNEL_FD). */
export interface HandoffFork {
  readonly stdio: net.Socket;
  /** Called with the process once forked (or undefined if the fork failed). */
  forked(worker: Worker | undefined): void;
}

export class HandoffBalancer {
  private readonly wrr: SmoothWeightedRoundRobin<Backend>;
  private readonly server = net.createServer();
  /** Each slot's channel to the process in it now. */
  private readonly channels = new Map<Backend, HandleChannel>();
  /** Handed to a worker that ended before it took them: re-routed. */
  rerouted = 0;

  constructor(private readonly slots: readonly Backend[]) {
    this.wrr = new SmoothWeightedRoundRobin(slots);
  }

  /**
   * Before a worker is forked into `slot`: makes its channel (through a
   * rendezvous socket at `rendezvousPath`). Until the channel ends, every
   * connection routed to the slot goes down it.
   */
  async prepareFork(slot: Backend, rendezvousPath: string): Promise<HandoffFork> {
    const { channel, workerEnd } = await HandleChannel.open(rendezvousPath);
    channel.onLost = (handles) => {
      for (const handle of handles) {
        this.rerouted++;
        this.route(handle, new Set([slot]));
      }
    };
    return {
      stdio: workerEnd,
      forked: (worker) => {
        // The child holds its own copy of the descriptor now.
        workerEnd.destroy();
        if (worker === undefined) {
          channel.end();
          return;
        }
        this.channels.get(slot)?.end();
        this.channels.set(slot, channel);
        // Its last acknowledgements are read before the end of stream; the rest are re-routed.
        worker.process.once('exit', () => channel.awaitEnd());
      },
    };
  }

  /** Connections handed to workers that have not acknowledged them yet (the primary still holds its copies). */
  unacknowledged(): number {
    let sum = 0;
    for (const channel of this.channels.values()) sum += channel.pending;
    return sum;
  }

  async listen(port: number, host: string): Promise<number> {
    return (await this.acceptOn(this.server, port, host)).port;
  }

  /**
   * A second listener on a loopback port of its own, whose connections take
   * the very path the public port's do (accept, pick, handle send): the
   * front's warm-up (front-warm-up.ts) drives it before the public port opens.
   */
  async listenPrivately(): Promise<PrivateListener> {
    return this.acceptOn(net.createServer(), 0, '127.0.0.1');
  }

  private async acceptOn(server: net.Server, port: number, host: string): Promise<RawListener> {
    // The primary only passes each connection on: no net.Socket for it.
    const listener = await listenRaw(server, { port, host, backlog: 4096 }, (handle) => this.route(handle, undefined));
    // Linux copies TCP_NODELAY from the listening socket to each accepted one: one call here, none per connection.
    listener.handle.setNoDelay(true);
    return listener;
  }

  stopAccepting(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  destroyAll(): void {
    for (const channel of this.channels.values()) {
      channel.onLost = (handles) => {
        for (const handle of handles) handle.close();
      };
      channel.end();
    }
  }

  private route(handle: RawHandle, tried: Set<Backend> | undefined): void {
    const slot = this.wrr.pickExcept(tried);
    if (slot === undefined) {
      refuse(handle);
      return;
    }
    const channel = this.channels.get(slot);
    if (channel === undefined || !channel.send(handle)) {
      this.route(handle, (tried ?? new Set()).add(slot));
      return;
    }
    slot.connections++;
  }
}

function refuse(handle: RawHandle): void {
  const socket = new net.Socket({ handle, readable: true, writable: true } as net.SocketConstructorOpts);
  socket.on('error', () => socket.destroy());
  socket.end(errorResponse('NO_WORKER'));
  socket.resume();
}
