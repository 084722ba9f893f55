// A request and a response that behave as uWS 20.30's HttpRequest and
// HttpResponse do, for what spike's routes use of them, so that a handler
// written for uWS runs unchanged on a request the worker serves in process
// (in-process-upstream.ts). The answer is the bytes uWS would write: the
// status line, the handler's headers, Date and Content-Length, the body.
//
// What the routes use, and so what this covers (the tests run every route
// through it, since handoff is the default balancer): writeStatus,
// writeHeader, end, cork, onAborted, onData, getRemoteAddressAsText;
// getHeader, getParameter, getQuery (whole and by key), getUrl, getMethod.
// The rest of uWS's API throws, naming the method, so a route that starts
// using more fails its tests instead of misbehaving.
import type { HttpRequest, HttpResponse } from 'uWebSockets.js';
import { PEER_HEADER } from './http-framing';

export interface ParsedHead {
  readonly method: string;
  readonly path: string;
  /** The query string without its '?'; undefined when the target has none. */
  readonly query: string | undefined;
  /** A header's value by its lower-case name ('' when absent); the first of repeated headers. */
  header(name: string): string;
  /** The client's address, as the relay names it; asked only when a route reads it. */
  readonly peer: () => string;
}

type Body = string | ArrayBuffer | ArrayBufferView;
const EMPTY = new ArrayBuffer(0);

export class ShimRequest {
  parameters: readonly string[] = [];
  private readonly lowerMethod: string;

  constructor(private readonly head: ParsedHead) {
    this.lowerMethod = head.method.toLowerCase();
  }

  getHeader(name: string): string {
    // The relay's word on who the client is, never a header the client sent.
    if (name === PEER_HEADER) return this.head.peer();
    return this.head.header(name);
  }

  getParameter(index: number): string {
    return this.parameters[index] ?? '';
  }

  /** uWS: the whole query without '?' (undefined when the target has none), or one key's value, decoded as uWS decodes it. */
  getQuery(key?: string): string | undefined {
    if (key === undefined) return this.head.query;
    return this.head.query === undefined ? undefined : queryValue(this.head.query, key);
  }

  getUrl(): string {
    return this.head.path;
  }

  /** uWS 20.30 gives the method in lower case. */
  getMethod(): string {
    return this.lowerMethod;
  }

  asUws(): HttpRequest {
    return guarded(this, 'HttpRequest', ['forEach', 'getCaseSensitiveMethod', 'setYield', 'getParameters']) as unknown as HttpRequest;
  }
}

export class ShimResponse {
  private status = '200 OK';
  private headerText = '';
  /** A handler's own Connection: close header ends the connection too, as uWS's would. */
  private closeAfter = false;
  private ended = false;
  private aborted = false;
  private onAbortedHandler: (() => void) | null = null;
  private onDataHandler: ((chunk: ArrayBuffer, isLast: boolean) => void) | null = null;
  /** Body bytes that came before the handler asked for them (uWS streams them after; the handler asks at once). */
  private early: Array<{ bytes: Buffer; last: boolean }> = [];
  private flushing = false;

  /**
   * `bodyLength`: the request's Content-Length (0: a handler that asks for the
   * body gets one empty, last chunk, as from uWS). `answer` gets the answer's
   * bytes once, and whether the connection ends after it.
   */
  constructor(private readonly head: ParsedHead, private readonly bodyLength: number, private readonly answer: (bytes: Buffer, close: boolean) => void) {}

  /** Runs the handler; an exception escapes as it would from uWS's callback, but the client still gets an answer. */
  run(handler: () => void): void {
    try {
      handler();
    } finally {
      if (!this.ended && !this.aborted && this.onAbortedHandler === null) {
        // uWS requires an onAborted from a handler that answers later; without one it answers 500 and closes.
        this.writeStatus('500 Internal Server Error').end('', true);
      }
    }
  }

  writeStatus(status: string): this {
    this.status = status;
    return this;
  }

  writeHeader(name: string, value: string): this {
    this.headerText += `${name}: ${value}\r\n`;
    if (name.length === 10 && name.toLowerCase() === 'connection' && /close/i.test(value)) this.closeAfter = true;
    return this;
  }

  cork(callback: () => void): this {
    callback();
    return this;
  }

  onAborted(handler: () => void): this {
    this.onAbortedHandler = handler;
    return this;
  }

  onData(handler: (chunk: ArrayBuffer, isLast: boolean) => void): this {
    this.onDataHandler = handler;
    if (this.bodyLength === 0) {
      queueMicrotask(() => this.deliver(Buffer.alloc(0), true));
    } else if (this.early.length > 0) {
      // Later, as uWS would: the handler has not finished setting up. Bytes that come meanwhile queue behind.
      this.flushing = true;
      queueMicrotask(() => {
        this.flushing = false;
        for (const chunk of this.early.splice(0)) this.deliver(chunk.bytes, chunk.last);
      });
    }
    return this;
  }

  getRemoteAddressAsText(): ArrayBuffer {
    // As uWS over a unix socket: no address; the caller reads the relay's peer header.
    return EMPTY;
  }

  end(body: Body = '', closeConnection = false): this {
    if (this.ended || this.aborted) return this;
    this.ended = true;
    const bytes = typeof body === 'string' ? Buffer.from(body) : ArrayBuffer.isView(body) ? Buffer.from(body.buffer, body.byteOffset, body.byteLength) : Buffer.from(body);
    const close = closeConnection ? 'Connection: close\r\n' : '';
    const head = `HTTP/1.1 ${this.status}\r\n${this.headerText}${close}Date: ${httpDate()}\r\nContent-Length: ${bytes.length}\r\n\r\n`;
    this.answer(bytes.length === 0 ? Buffer.from(head, 'latin1') : Buffer.concat([Buffer.from(head, 'latin1'), bytes]), closeConnection || this.closeAfter);
    return this;
  }

  /** Body bytes from the relay. */
  data(bytes: Buffer, last: boolean): void {
    if (this.onDataHandler === null || this.flushing) {
      this.early.push({ bytes: Buffer.from(bytes), last });
      return;
    }
    this.deliver(bytes, last);
  }

  /** The client went away before the answer. */
  abort(): void {
    if (this.ended || this.aborted) return;
    this.aborted = true;
    this.onAbortedHandler?.();
  }

  asUws(): HttpResponse {
    const missing = ['tryEnd', 'getWriteOffset', 'onWritable', 'close', 'upgrade', 'endWithoutBody', 'getRemoteAddress', 'getProxiedRemoteAddress', 'getProxiedRemoteAddressAsText', 'collect', 'pause', 'resume', 'writeEnd'];
    return guarded(this, 'HttpResponse', missing) as unknown as HttpResponse;
  }

  private deliver(bytes: Buffer, last: boolean): void {
    if (this.aborted) return;
    // uWS lends the chunk's memory for the callback only; handlers copy it, so a view is as good.
    const chunk = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes.buffer : bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
    this.onDataHandler?.(chunk as ArrayBuffer, last);
  }
}

/**
 * uWS's query lookup: the first `key=value` whose key matches exactly; %XX
 * decoded, '+' as a space. Its quirks too (checked against uWS itself in the
 * unit tests): a statement without '=' that starts with the key's first
 * character ends the search with nothing found.
 */
export function queryValue(query: string, key: string): string | undefined {
  if (key === '') return undefined;
  for (const statement of query.split('&')) {
    if (statement === '' || statement[0] !== key[0]) continue;
    const equals = statement.indexOf('=');
    if (equals === -1) return undefined;
    if (statement.slice(0, equals) !== key) continue;
    return decodeQueryValue(statement.slice(equals + 1));
  }
  return undefined;
}

function decodeQueryValue(value: string): string | undefined {
  if (value.indexOf('%') === -1 && value.indexOf('+') === -1) return value;
  const bytes: number[] = [];
  const raw = Buffer.from(value, 'utf8');
  for (let i = 0; i < raw.length; i++) {
    const byte = raw[i]!;
    if (byte === 0x25) {
      if (i + 2 >= raw.length) return undefined;
      bytes.push(hexValue(raw[i + 1]!) * 16 + hexValue(raw[i + 2]!));
      i += 2;
    } else {
      bytes.push(byte === 0x2b ? 0x20 : byte);
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

/** uWS's arithmetic for a hex digit (no validation: it trusts the client, as uWS does). */
function hexValue(char: number): number {
  let value = char - 0x30;
  if (value > 9) value = (value & 223) - 7;
  return value & 0xff;
}

let dateSecond = 0;
let dateText = '';
function httpDate(): string {
  const now = Date.now();
  const second = Math.floor(now / 1000);
  if (second !== dateSecond) {
    dateSecond = second;
    dateText = new Date(now).toUTCString();
  }
  return dateText;
}

/** The object, but a uWS method the shim lacks (`missing`) throws with its name rather than being undefined. */
function guarded<T extends object>(target: T, what: string, missing: readonly string[]): T {
  return new Proxy(target, {
    get(object, property, receiver) {
      const value = Reflect.get(object, property, receiver);
      if (value === undefined && typeof property === 'string' && missing.includes(property)) {
        throw new Error(`${what}.${property} is not provided for requests served in process (src/front/uws-shim.ts)`);
      }
      return typeof value === 'function' ? value.bind(object) : value;
    },
  });
}
