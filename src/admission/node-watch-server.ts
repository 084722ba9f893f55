// The live line's watchers behind BALANCER=handoff, served by the worker's
// Node side instead of relayed to uWS. Every other request a handoff worker
// receives is relayed to its own uWS listener over a unix socket (uWS cannot
// adopt a socket). For a watcher that relay would carry every push twice more
// than needed: uWS writes it to the unix socket, Node reads it back, then
// writes it to the client. With 10,000 watchers and a push every quarter
// second, that doubled the worker's CPU per push and held the fan-out to the
// last watcher at seconds on two cores. Here each push is written once, from
// one Buffer, straight to each watcher's socket; the messages and rules are
// QueueSocket's (watch-protocol.ts), and so are the figures (it decides when
// to push and hands each push to publish()).
import type net from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import type { ConnectionGuard, GuardedConnection } from '../front/connection-guard';
import { headerFields, type RequestHead } from '../front/http-framing';
import type { UpgradeServer } from '../front/http-relay';
import { BAD_SALE_ID, MAX_BACKPRESSURE, MAX_SUBSCRIPTIONS, SALE_ID, subscribeTarget, SUBSCRIBE_USAGE, TOO_MANY_SUBSCRIPTIONS } from './watch-protocol';

/** As uWS's idleTimeout with automatic pings: a watcher that answers no ping for this long is closed. */
const PING_MS = 60_000;
const WATCH_PATH = /^\/ws\/sales\/([^/?#]*)(?:[?#].*)?$/;

export interface NodeWatchOptions {
  /** The figures last pushed for a sale (QueueSocket.latest), sent to a new watcher at once. */
  readonly latest: (saleId: string) => string | undefined;
  /** The worker's connection guard: a watcher counts against MAX_CONNECTIONS, and pushes show it alive. */
  readonly guard: ConnectionGuard | undefined;
}

class Watcher implements GuardedConnection {
  readonly busy = false;
  readonly sales = new Set<string>();
  awaitingPong = false;
  /** `socket`: the connection under `ws`, which pushes are written to whole (see publish). */
  constructor(readonly ws: WebSocket, readonly socket: net.Socket) {}
  close(): void {
    this.ws.terminate();
  }
}

export class NodeWatchServer {
  private readonly server = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: 512, clientTracking: false });
  private readonly bySale = new Map<string, Set<Watcher>>();
  private readonly all = new Set<Watcher>();

  constructor(private readonly options: NodeWatchOptions) {
    // Lives as long as the worker (unref: it never holds the process up).
    setInterval(() => this.ping(), PING_MS).unref();
  }

  /**
   * For an upgrade the handoff relay asks about (RelayContext.upgradeServer):
   * the server of /ws/sales/:id; undefined for any other path (the
   * dashboard's feed), which the relay carries to uWS as before.
   */
  serverFor(head: RequestHead): UpgradeServer | undefined {
    const match = WATCH_PATH.exec(head.target);
    if (match === null || head.method !== 'GET') return undefined;
    let saleId: string;
    try {
      saleId = decodeURIComponent(match[1]!);
    } catch {
      saleId = '';
    }
    return (socket, headBytes, rest) => {
      socket.on('error', () => socket.destroy());
      if (!SALE_ID.test(saleId)) {
        socket.end(`HTTP/1.1 400 Bad Request\r\ncontent-type: text/plain\r\ncontent-length: ${Buffer.byteLength(BAD_SALE_ID)}\r\nconnection: close\r\n\r\n${BAD_SALE_ID}`);
        return;
      }
      const request = { method: head.method, url: head.target, headers: headerFields(headBytes, headBytes.length), socket };
      // ws answers a malformed handshake (bad key or version, no Upgrade header) with 400 itself.
      this.server.handleUpgrade(request as never, socket, rest ?? Buffer.alloc(0), (ws) => this.open(ws, socket, saleId));
    };
  }

  /**
   * One push to every watcher of the sale: the frame is built once and
   * written whole to each socket, one write each (ws.send would frame it
   * again per watcher and write its header and payload apart). ws writes its
   * own frames (pings, answers) whole too, so the two never interleave. A
   * watcher past MAX_BACKPRESSURE is skipped; the next push supersedes this one.
   */
  publish(saleId: string, message: string): void {
    const watchers = this.bySale.get(saleId);
    if (watchers === undefined || watchers.size === 0) return;
    const frame = textFrame(Buffer.from(message));
    for (const watcher of watchers) {
      if (watcher.ws.readyState !== watcher.ws.OPEN || watcher.socket.writableLength > MAX_BACKPRESSURE) continue;
      watcher.socket.write(frame);
      this.options.guard?.touch(watcher);
    }
  }

  private open(ws: WebSocket, socket: net.Socket, saleId: string): void {
    const watcher = new Watcher(ws, socket);
    if (this.options.guard && !this.options.guard.admit(watcher)) {
      ws.close(1013, 'too many connections');
      return;
    }
    this.all.add(watcher);
    ws.on('pong', () => (watcher.awaitingPong = false));
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      // {"subscribe":"<saleId>"} watches one more sale on the same connection.
      const next = isBinary ? null : subscribeTarget(data.toString());
      if (next === null) ws.send(SUBSCRIBE_USAGE);
      else this.subscribe(watcher, next);
    });
    ws.on('error', () => ws.terminate());
    ws.once('close', () => {
      this.all.delete(watcher);
      this.options.guard?.remove(watcher);
      for (const sale of watcher.sales) this.bySale.get(sale)?.delete(watcher);
    });
    this.subscribe(watcher, saleId);
  }

  private subscribe(watcher: Watcher, saleId: string): void {
    if (watcher.sales.has(saleId)) return;
    if (watcher.sales.size >= MAX_SUBSCRIPTIONS) {
      watcher.ws.send(TOO_MANY_SUBSCRIPTIONS);
      return;
    }
    watcher.sales.add(saleId);
    let watchers = this.bySale.get(saleId);
    if (watchers === undefined) this.bySale.set(saleId, (watchers = new Set()));
    watchers.add(watcher);
    // The latest figures at once, so a new watcher need not wait for the next change.
    const latest = this.options.latest(saleId);
    if (latest !== undefined) watcher.ws.send(latest);
  }

  private ping(): void {
    for (const watcher of this.all) {
      if (watcher.awaitingPong) {
        watcher.ws.terminate();
        continue;
      }
      watcher.awaitingPong = true;
      watcher.ws.ping();
    }
  }
}

/** A server's unmasked, unfragmented text frame (RFC 6455 5.2) around `payload`. */
export function textFrame(payload: Buffer): Buffer {
  const length = payload.length;
  let header: Buffer;
  if (length < 126) header = Buffer.from([0x81, length]);
  else if (length < 65536) header = Buffer.from([0x81, 126, length >> 8, length & 0xff]);
  else {
    header = Buffer.from([0x81, 127, 0, 0, 0, 0, 0, 0, 0, 0]);
    header.writeBigUInt64BE(BigInt(length), 2);
  }
  return Buffer.concat([header, payload]);
}
