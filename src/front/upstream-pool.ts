// Kept-alive connections to one worker's private uWS listener, as nginx keeps
// `keepalive` upstreams: each request borrows an idle one, so a short-lived
// client costs no new unix connection and no uWS accept.
import net from 'node:net';

/** What an upstream connection reports to the relay that holds it. */
export interface UpstreamOwner {
  onUpstreamData(chunk: Buffer): void;
  /** A whole answer from the in-process server, which knows its framing: nothing to parse. `close`: the connection ends after it. */
  onUpstreamAnswer(answer: Buffer, close: boolean): void;
  onUpstreamClose(): void;
  onUpstreamDrain(): void;
  /** The client's address, found only when asked (the in-process server asks when a route reads it). */
  peerAddress(): string;
}

/** What the relay does with an upstream connection: a unix socket to uWS, or an in-process one (in-process-upstream.ts). */
export interface UpstreamSocket {
  write(bytes: Buffer): boolean;
  cork(): void;
  uncork(): void;
  readonly writableLength: number;
  pause(): unknown;
  resume(): unknown;
  end(): unknown;
  destroy(): unknown;
}

export interface Upstream<S extends UpstreamSocket = UpstreamSocket> {
  readonly socket: S;
  owner: UpstreamOwner | null;
  idleSince: number;
}

/** Where the relay gets an upstream connection for a request, and gives it back after the answer. */
export interface UpstreamSource {
  acquire(owner: UpstreamOwner, done: (upstream: Upstream | null) => void): void;
  release(upstream: Upstream): void;
}

type SocketUpstream = Upstream<net.Socket>;

export interface UpstreamPoolOptions {
  /** Idle connections kept beyond this are closed. */
  readonly maxIdle: number;
  /**
   * An idle connection older than this is closed rather than reused: uWS
   * drops idle connections after 10 s, and a request written as it does is lost.
   */
  readonly maxIdleMs: number;
}

export class UpstreamPool implements UpstreamSource {
  private readonly idle: SocketUpstream[] = [];
  private closed = false;
  /** Connections opened over the pool's life, for the bench and tests. */
  opened = 0;

  constructor(readonly path: string, private readonly options: UpstreamPoolOptions = { maxIdle: 256, maxIdleMs: 4000 }) {}

  /** An idle connection at once, or a new one once connected; the callback gets null if the listener cannot be reached. */
  acquire(owner: UpstreamOwner, done: (upstream: SocketUpstream | null) => void): void {
    const now = Date.now();
    while (this.idle.length > 0) {
      const upstream = this.idle.pop()!;
      if (upstream.socket.destroyed) continue;
      if (now - upstream.idleSince > this.options.maxIdleMs) {
        upstream.socket.destroy();
        continue;
      }
      upstream.owner = owner;
      done(upstream);
      return;
    }
    this.connect(owner, done);
  }

  /** Back to the pool once its answer has been read in full. */
  release(given: Upstream): void {
    // Only this pool's own come back here.
    const upstream = given as SocketUpstream;
    upstream.owner = null;
    if (this.closed || upstream.socket.destroyed || this.idle.length >= this.options.maxIdle) {
      upstream.socket.destroy();
      return;
    }
    upstream.idleSince = Date.now();
    if (upstream.socket.isPaused()) upstream.socket.resume();
    this.idle.push(upstream);
  }

  /** Closes idle connections and every one released from now on. */
  close(): void {
    this.closed = true;
    for (const upstream of this.idle.splice(0)) upstream.socket.destroy();
  }

  private connect(owner: UpstreamOwner, done: (upstream: SocketUpstream | null) => void): void {
    const socket = net.connect({ path: this.path, noDelay: true });
    const upstream: SocketUpstream = { socket, owner, idleSince: 0 };
    let connected = false;
    socket.on('data', (chunk: Buffer) => upstream.owner?.onUpstreamData(chunk));
    socket.on('drain', () => upstream.owner?.onUpstreamDrain());
    socket.on('error', () => socket.destroy());
    socket.once('close', () => {
      if (!connected) {
        done(null);
        return;
      }
      const index = this.idle.indexOf(upstream);
      if (index !== -1) this.idle.splice(index, 1);
      const holder = upstream.owner;
      upstream.owner = null;
      holder?.onUpstreamClose();
    });
    socket.once('connect', () => {
      connected = true;
      this.opened++;
      done(upstream);
    });
  }
}
