// One client connection relayed to uWS, one request at a time: each request
// borrows a kept-alive upstream connection and returns it once the answer is
// read. Used by the proxy (in the primary) and by handoff (in each worker).
// Holding a pipelined request until the answer before it is written keeps
// uWS 20.30 from closing the connection; the client's half-close waits for
// the answers still owed; HTTP/1.0 heads are rewritten into 1.1.
import type net from 'node:net';
import type { ClientSocket } from './client-socket';
import { spikeErrorFrom, type ErrorName } from '../errors/errors';
import type { ConnectionGuard, GuardedConnection } from './connection-guard';
import { ChunkedScanner, isFramingError, parseRequestHead, parseResponseHead, PEER_HEADER, type RequestHead, type ResponseHead } from './http-framing';
import type { Upstream, UpstreamOwner, UpstreamPool, UpstreamSource } from './upstream-pool';

/** Client bytes held while an earlier answer is pending, beyond which the client is paused. */
const HOLD_LIMIT = 64 * 1024;

const enum Phase {
  /** Waiting for the next request head; nothing owed to the client. */
  Head,
  /** A head is read; waiting for an upstream connection. */
  Connecting,
  /** Forwarding the request body. */
  Body,
  /** The request is sent; waiting for the end of its answer. */
  Await,
  /** After a 101 answer: bytes both ways, unparsed. */
  Tunnel,
  /** The last answer is written and the client is being closed. */
  Closing,
}

/** A complete answer with the error envelope; `reason` fills the templates that take one. */
export function errorResponse(name: ErrorName, reason = ''): Buffer {
  const error = spikeErrorFrom(name, { reason });
  const body = JSON.stringify(error.toJSON());
  const statusText = { 400: 'Bad Request', 431: 'Request Header Fields Too Large', 503: 'Service Unavailable', 505: 'HTTP Version Not Supported' }[error.status as 400] ?? 'Error';
  // Like every 503, it says when to come back: a worker is restarted within about a second.
  const retry = error.status === 503 ? 'retry-after: 1\r\n' : '';
  return Buffer.from(`HTTP/1.1 ${error.status} ${statusText}\r\ncontent-type: application/json\r\n${retry}content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`, 'latin1');
}

export interface RelayContext {
  /** Written into an HTTP/1.0 request that names no Host. */
  readonly host: string;
  readonly guard: ConnectionGuard | undefined;
  /**
   * The pool for this connection's next request; called again with the
   * failed pool when it could not connect. undefined: no worker to serve.
   */
  pool(failed?: UpstreamPool): UpstreamPool | undefined;
  /**
   * Serves requests in this process instead (handoff: InProcessServer), all
   * but WebSocket upgrades and chunked bodies, which still go to the pool.
   */
  readonly inProcess?: UpstreamSource;
  /**
   * Asked about each WebSocket upgrade before it is relayed: the server for
   * one the caller serves itself, which the relay hands the connection (its
   * head, and any bytes after it) once it has let go of the socket; undefined
   * to relay it. See NodeWatchServer.
   */
  upgradeServer?(head: RequestHead): UpgradeServer | undefined;
}

/** Serves a WebSocket upgrade the relay no longer holds. */
export type UpgradeServer = (socket: net.Socket, headBytes: Buffer, rest: Buffer | null) => void;

export class HttpRelay implements UpstreamOwner, GuardedConnection {
  private phase = Phase.Head;
  /** Client bytes not yet forwarded: the rest of a head, or pipelined requests held back. */
  private held: Buffer | null = null;
  private request: RequestHead | null = null;
  private headBytes: Buffer | null = null;
  private bodyLeft = 0;
  private bodyChunks: ChunkedScanner | null = null;
  private requestSent = false;
  private upstream: Upstream | null = null;
  private pool: UpstreamPool | undefined;
  /** Where the request in flight went: the pool, or the in-process server. */
  private source: UpstreamSource | undefined;
  private response: ResponseHead | null = null;
  private responsePartial: Buffer | null = null;
  private responseLeft = 0;
  private responseChunks: ChunkedScanner | null = null;
  private clientEnded = false;
  private closed = false;
  private waitingUpstreamDrain = false;
  /** The end of every head sent over the hop to uWS: who the client is, then the blank line. */
  private peerLineBytes: Buffer | null = null;

  constructor(readonly socket: ClientSocket, private readonly ctx: RelayContext) {
    this.pool = ctx.pool();
    socket.listen({
      data: (chunk) => this.onClientData(chunk),
      end: () => this.onClientEnd(),
      drain: () => this.upstream?.socket.resume(),
      close: () => this.onClientClose(),
    });
    if (ctx.guard && !ctx.guard.admit(this)) {
      this.refuse('TOO_MANY_CONNECTIONS');
    }
  }

  /** Waiting on the server for an answer: not silent, so never reaped as idle. */
  get busy(): boolean {
    return this.phase === Phase.Connecting || this.phase === Phase.Await;
  }

  close(): void {
    this.socket.destroy();
  }

  /** Asked only when needed: getpeername is a system call per connection (the socket keeps the answer). */
  peerAddress(): string {
    return this.socket.remoteAddress ?? '';
  }

  private peerLine(): Buffer {
    this.peerLineBytes ??= Buffer.from(`${PEER_HEADER}: ${this.peerAddress()}\r\n\r\n`, 'latin1');
    return this.peerLineBytes;
  }

  private onClientData(chunk: Buffer): void {
    this.ctx.guard?.touch(this);
    switch (this.phase) {
      case Phase.Closing:
        return;
      case Phase.Tunnel:
        this.writeUpstream(chunk);
        return;
      case Phase.Body:
        if (this.held === null) {
          this.forwardBody(chunk, 0);
          return;
        }
        break;
      default:
        break;
    }
    this.held = this.held === null ? chunk : Buffer.concat([this.held, chunk]);
    if (this.phase === Phase.Head) this.nextRequest();
    else if (this.held !== null && this.held.length > HOLD_LIMIT) this.socket.pause();
  }

  /** Starts the request at the front of `held`, if its head is complete. */
  private nextRequest(): void {
    const bytes = this.held;
    if (bytes === null) return;
    const parsed = parseRequestHead(bytes, this.ctx.host);
    if (parsed === null) {
      if (this.clientEnded) this.finish();
      return;
    }
    if (isFramingError(parsed)) {
      const name = parsed.status === 431 ? 'HEADERS_TOO_LARGE' : parsed.status === 505 ? 'HTTP_VERSION_NOT_SUPPORTED' : 'BAD_REQUEST';
      this.refuse(name, parsed.message);
      return;
    }
    const rest = parsed.headLength < bytes.length ? bytes.subarray(parsed.headLength) : null;
    const server = parsed.upgrade ? this.ctx.upgradeServer?.(parsed) : undefined;
    if (server !== undefined) {
      // Let go first: the server puts its own listeners on the socket.
      server(this.letGo(), bytes.subarray(0, parsed.headLength), rest);
      return;
    }
    this.request = parsed;
    this.headBytes = parsed.rewritten ?? bytes.subarray(0, parsed.headLength);
    this.held = rest;
    this.bodyLeft = parsed.chunked ? 0 : parsed.contentLength;
    this.bodyChunks = parsed.chunked ? new ChunkedScanner() : null;
    this.requestSent = false;
    this.phase = Phase.Connecting;
    this.acquire();
  }

  private acquire(): void {
    const inProcess = this.ctx.inProcess;
    if (inProcess !== undefined && !this.request!.upgrade && !this.request!.chunked) {
      this.source = inProcess;
      inProcess.acquire(this, (upstream) => this.sendRequest(upstream!));
      return;
    }
    const pool = this.pool;
    if (pool === undefined) {
      this.refuse('NO_WORKER');
      return;
    }
    this.source = pool;
    pool.acquire(this, (upstream) => {
      if (upstream === null) {
        // That worker is gone: nothing was sent, so the next one may take the request.
        this.pool = this.ctx.pool(pool);
        if (!this.closed) this.acquire();
        return;
      }
      if (this.closed) {
        pool.release(upstream);
        return;
      }
      this.sendRequest(upstream);
    });
  }

  private sendRequest(upstream: Upstream): void {
    this.upstream = upstream;
    this.response = null;
    this.responsePartial = null;
    this.responseChunks = null;
    const head = this.headBytes!;
    this.headBytes = null;
    this.phase = Phase.Body;
    const socket = this.upstream.socket;
    if (this.source === this.ctx.inProcess) {
      // In process the route asks the relay for the client's address if it wants it (peerAddress).
      socket.write(head);
    } else {
      // The head less its blank line, then the client's address and the blank line: one writev.
      socket.cork();
      socket.write(head.subarray(0, head.length - 2));
      socket.write(this.peerLine());
      socket.uncork();
    }
    if (this.bodyChunks === null && this.bodyLeft === 0) {
      this.bodyDone();
      this.checkUpstreamBackpressure();
      return;
    }
    const rest = this.held;
    this.held = null;
    if (rest !== null) this.forwardBody(rest, 0);
    else this.checkUpstreamBackpressure();
  }

  /** Sends request body bytes from `bytes[from..]`; what follows the body is held. */
  private forwardBody(bytes: Buffer, from: number): void {
    let end: number;
    if (this.bodyChunks !== null) {
      end = this.bodyChunks.feed(bytes, from);
      if (end === -2) {
        this.refuse('BAD_REQUEST', 'the chunked body is malformed');
        return;
      }
      if (end === -1) end = bytes.length;
      else this.bodyChunks = null;
    } else {
      end = Math.min(bytes.length, from + this.bodyLeft);
      this.bodyLeft -= end - from;
    }
    if (end > from) this.upstream!.socket.write(from === 0 && end === bytes.length ? bytes : bytes.subarray(from, end));
    if (end < bytes.length) this.held = bytes.subarray(end);
    if (this.bodyChunks === null && this.bodyLeft === 0) this.bodyDone();
    this.checkUpstreamBackpressure();
  }

  private bodyDone(): void {
    this.requestSent = true;
    if (this.phase === Phase.Body) this.phase = Phase.Await;
    if (this.held !== null && this.held.length > HOLD_LIMIT) this.socket.pause();
  }

  private writeUpstream(bytes: Buffer): void {
    this.upstream?.socket.write(bytes);
    this.checkUpstreamBackpressure();
  }

  private checkUpstreamBackpressure(): void {
    if (this.upstream !== null && this.upstream.socket.writableLength > 0) {
      this.waitingUpstreamDrain = true;
      this.socket.pause();
    }
  }

  onUpstreamDrain(): void {
    if (!this.waitingUpstreamDrain) return;
    this.waitingUpstreamDrain = false;
    this.maybeResume();
  }

  onUpstreamAnswer(answer: Buffer, close: boolean): void {
    if (this.closed) return;
    this.socket.write(answer);
    this.answerDone(close);
  }

  onUpstreamData(chunk: Buffer): void {
    if (this.closed) return;
    this.socket.write(chunk);
    if (this.socket.writableLength > 0) this.upstream!.socket.pause();
    if (this.phase === Phase.Tunnel) {
      // A WebSocket watcher only listens: the server's pushes, not the client's
      // bytes, show it alive (uWS itself closes one that stops answering its
      // pings). A client that stops reading stops getting pushes once uWS's
      // backpressure limit skips it, and is then reaped as silent.
      this.ctx.guard?.touch(this);
      return;
    }
    if (this.scanResponse(chunk)) this.answerDone(this.response!.close);
  }

  /** Follows the answer's framing; true once it has ended. */
  private scanResponse(chunk: Buffer): boolean {
    let bytes = chunk;
    if (this.responsePartial !== null) {
      bytes = Buffer.concat([this.responsePartial, chunk]);
      this.responsePartial = null;
    }
    let at = 0;
    while (at < bytes.length || this.response !== null) {
      if (this.response === null) {
        const head = parseResponseHead(bytes, at, this.request!.method);
        if (head === null) {
          this.responsePartial = Buffer.from(bytes.subarray(at));
          return false;
        }
        at += head.headLength;
        if (head.status === 101) {
          this.phase = Phase.Tunnel;
          if (this.held !== null) this.writeUpstream(this.held);
          this.held = null;
          return false;
        }
        // 100 Continue and its kind come before the real answer.
        if (head.status >= 100 && head.status < 200) continue;
        this.response = head;
        this.responseLeft = head.contentLength;
        this.responseChunks = head.chunked ? new ChunkedScanner() : null;
      }
      if (this.responseChunks !== null) {
        const end = this.responseChunks.feed(bytes, at);
        if (end === -1) return false;
        if (end === -2) {
          this.socket.destroy();
          return false;
        }
        return true;
      }
      const take = Math.min(this.responseLeft, bytes.length - at);
      this.responseLeft -= take;
      at += take;
      return this.responseLeft === 0;
    }
    return false;
  }

  /** `answerCloses`: the answer ends its upstream connection (Connection: close, or the in-process server says so). */
  private answerDone(answerCloses: boolean): void {
    const upstream = this.upstream!;
    const source = this.source!;
    const reusable = this.requestSent && !answerCloses;
    const closeAfter = this.request!.closeAfter || !reusable;
    this.upstream = null;
    this.request = null;
    this.response = null;
    this.waitingUpstreamDrain = false;
    if (reusable) source.release(upstream);
    else {
      upstream.owner = null;
      upstream.socket.destroy();
    }
    if (closeAfter) {
      this.finish();
      return;
    }
    this.phase = Phase.Head;
    this.ctx.guard?.touch(this);
    if (this.held !== null) this.nextRequest();
    else if (this.clientEnded) this.finish();
    this.maybeResume();
  }

  /** Reads from the client again unless something still holds it back. */
  private maybeResume(): void {
    if (this.closed || this.clientEnded || this.phase === Phase.Closing || this.waitingUpstreamDrain) return;
    if (this.held === null || this.held.length <= HOLD_LIMIT) this.socket.resume();
  }

  onUpstreamClose(): void {
    this.upstream = null;
    if (this.closed) return;
    if (this.phase === Phase.Tunnel) this.socket.end();
    // The worker died with the answer unfinished: the client sees its connection cut, as a direct client would.
    else this.socket.destroy();
  }

  private onClientEnd(): void {
    this.clientEnded = true;
    switch (this.phase) {
      case Phase.Tunnel:
        this.upstream?.socket.end();
        return;
      case Phase.Head:
        // Half-closed after a partial head, or after its last answer: nothing more will come.
        this.finish();
        return;
      case Phase.Body:
        // The request can never be completed; let uWS see the abort.
        this.dropUpstream();
        this.finish();
        return;
      default:
        // An answer is owed; answerDone() ends the connection after it (and any complete requests held).
        return;
    }
  }

  private onClientClose(): void {
    this.closed = true;
    this.held = null;
    this.ctx.guard?.remove(this);
    // uWS must see the abort of a request still in flight, so that it is not started.
    if (this.upstream !== null) this.dropUpstream();
  }

  private dropUpstream(): void {
    const upstream = this.upstream;
    this.upstream = null;
    if (upstream === null) return;
    upstream.owner = null;
    upstream.socket.destroy();
  }

  /** The connection is another server's (upgradeServer): this relay no longer listens to it or counts it. */
  private letGo(): net.Socket {
    this.closed = true;
    this.held = null;
    this.phase = Phase.Closing;
    this.ctx.guard?.remove(this);
    return this.socket.release();
  }

  /** Ends the client after what was written; further input is ignored. */
  private finish(): void {
    this.phase = Phase.Closing;
    this.held = null;
    this.socket.end();
    this.socket.resume();
  }

  /** Answers with an error the relay decided itself, then closes. */
  private refuse(name: ErrorName, reason = ''): void {
    this.dropUpstream();
    if (!this.socket.destroyed) this.socket.write(errorResponse(name, reason));
    this.finish();
  }
}
