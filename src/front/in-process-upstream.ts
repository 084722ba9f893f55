// BALANCER=handoff, inside a worker: the relay's requests served in this
// process, without the hop to the worker's own uWS listener. The relay writes
// a request to an InProcessUpstream as it would to a unix socket; this finds
// the route's handler in the route table (the one uWS was given), runs it with
// a request and a response that behave as uWS's do for everything the routes
// use (uws-shim.ts), and hands the answer back as bytes, which the relay
// frames and writes exactly as it does uWS's.
//
// Why: on these VMs each socket write that wakes a reader costs tens of
// microseconds, and the hop cost four of them per request (relay to uWS,
// uWS to relay, each read and written). Upgrades (WebSockets) and chunked
// request bodies still take the hop: uWS serves those.
import type { Upstream, UpstreamOwner, UpstreamSocket, UpstreamSource } from './upstream-pool';
import type { RouteTable } from '../http/route-table';
import { ShimRequest, ShimResponse, type ParsedHead } from './uws-shim';

const HEAD_END = Buffer.from('\r\n\r\n');

export class InProcessServer implements UpstreamSource {
  constructor(private readonly routes: RouteTable) {}

  acquire(owner: UpstreamOwner, done: (upstream: Upstream | null) => void): void {
    const socket = new InProcessSocket(this.routes);
    const upstream: Upstream<InProcessSocket> = { socket, owner, idleSince: 0 };
    socket.upstream = upstream;
    done(upstream);
  }

  /** Each request gets its own: nothing to keep. */
  release(upstream: Upstream): void {
    upstream.owner = null;
  }
}

/** One request's "connection": takes the request's bytes, runs its handler once the head is in, answers through the owner. */
class InProcessSocket implements UpstreamSocket {
  upstream: Upstream<InProcessSocket> | null = null;
  readonly writableLength = 0;
  private head: Buffer | null = null;
  private response: ShimResponse | null = null;
  /** Body bytes still to come (Content-Length); the relay sends only requests with a known length here. */
  private bodyLeft = 0;
  private destroyed = false;

  constructor(private readonly routes: RouteTable) {}

  write(bytes: Buffer): boolean {
    if (this.destroyed) return true;
    if (this.response === null) {
      this.head = this.head === null ? bytes : Buffer.concat([this.head, bytes]);
      const end = this.head.indexOf(HEAD_END);
      if (end === -1) return true;
      const rest = this.head.subarray(end + 4);
      this.start(parseHead(this.head.subarray(0, end), () => this.upstream?.owner?.peerAddress() ?? ''));
      this.head = null;
      if (rest.length > 0) this.body(rest);
      return true;
    }
    this.body(bytes);
    return true;
  }

  cork(): void {}
  uncork(): void {}
  pause(): void {}
  resume(): void {}
  end(): void {}

  /** The relay let go before the answer (the client went away): the handler hears it as uWS's onAborted. */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.response?.abort();
  }

  private start(head: ParsedHead): void {
    const length = head.header('content-length');
    this.bodyLeft = length === '' ? 0 : Number(length);
    const response = new ShimResponse(head, this.bodyLeft, (answer, close) => {
      if (this.destroyed) return;
      this.upstream?.owner?.onUpstreamAnswer(answer, close);
    });
    this.response = response;
    const request = new ShimRequest(head);
    const route = this.routes.match(head.method, head.path);
    // After the relay's current write returns, as uWS runs a handler from its own read: the
    // relay has finished sending the request, and an answer given at once finds it waiting.
    queueMicrotask(() => {
      if (this.destroyed) return;
      if (route === undefined) {
        response.writeStatus('404 Not Found').end();
        return;
      }
      request.parameters = route.parameters;
      response.run(() => route.handler(response.asUws(), request.asUws()));
    });
  }

  private body(bytes: Buffer): void {
    const take = Math.min(bytes.length, this.bodyLeft);
    this.bodyLeft -= take;
    this.response!.data(take === bytes.length ? bytes : bytes.subarray(0, take), this.bodyLeft === 0);
  }
}

/** The head as the relay sends it: request line and headers, no blank line; `peer` names the client when asked. */
function parseHead(bytes: Buffer, peer: () => string): ParsedHead {
  const text = bytes.toString('latin1');
  const lineEnd = text.indexOf('\r\n');
  // The request line's first two words, as split(' ') would give them, without the array.
  const line = lineEnd === -1 ? text : text.slice(0, lineEnd);
  const afterMethod = line.indexOf(' ');
  const method = afterMethod === -1 ? line : line.slice(0, afterMethod);
  const afterTarget = afterMethod === -1 ? -1 : line.indexOf(' ', afterMethod + 1);
  const target = afterMethod === -1 ? '' : line.slice(afterMethod + 1, afterTarget === -1 ? line.length : afterTarget);
  let lower: string | undefined;
  // Looked up by name when a route asks, not parsed into a map: a route reads two or three of the head's headers.
  const header = (name: string): string => {
    lower ??= text.toLowerCase();
    // The first of repeated headers, as uWS answers; the relay has refused whitespace before a colon.
    const at = lower.indexOf(`\r\n${name}:`);
    if (at === -1) return '';
    const start = at + 3 + name.length;
    const end = text.indexOf('\r\n', start);
    return text.slice(start, end === -1 ? text.length : end).trim();
  };
  const question = target.indexOf('?');
  return {
    method,
    path: question === -1 ? target : target.slice(0, question),
    query: question === -1 ? undefined : target.slice(question + 1),
    header,
    peer,
  };
}
