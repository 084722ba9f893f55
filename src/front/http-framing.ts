// HTTP/1.x message framing for the relay in front of uWS: where a request or
// an answer ends (Content-Length or chunked), and the request-head rewrite uWS
// 20.30 needs (it never answers HTTP/1.0, nor a request without Host).

const HEAD_END = Buffer.from('\r\n\r\n');
/** A request head longer than this is refused (431) instead of buffered. */
export const MAX_HEAD_BYTES = 16 * 1024;

export interface RequestHead {
  /** Bytes of the head, the blank line included. */
  readonly headLength: number;
  readonly method: string;
  /** The request-target, e.g. "/ws/sales/G1?x=1". */
  readonly target: string;
  readonly http10: boolean;
  /** -1 when the body is chunked. */
  readonly contentLength: number;
  readonly chunked: boolean;
  /** The client asked to close after this answer (HTTP/1.0, or Connection: close). */
  readonly closeAfter: boolean;
  /** The head as it goes to uWS: null when the client's bytes go unchanged. */
  readonly rewritten: Buffer | null;
  /** An Upgrade request (WebSocket): after a 101 the connection becomes a byte tunnel. */
  readonly upgrade: boolean;
}

/**
 * The header in which the relay tells uWS who the client is: uWS sees only
 * the relay's unix socket. The relay writes it on every request and drops any
 * copy the client sent, so the worker may trust it.
 */
export const PEER_HEADER = 'spike-peer';

export interface FramingError {
  readonly status: 400 | 431 | 505;
  readonly message: string;
}

export function isFramingError(value: RequestHead | FramingError): value is FramingError {
  return (value as FramingError).status !== undefined;
}

function bad(message: string): FramingError {
  return { status: 400, message };
}

/** Parses a Content-Length value ("5", or a list "5, 5"); NaN when invalid or inconsistent. */
function contentLengthOf(value: string, previous: number): number {
  let length = previous;
  for (const part of value.split(',')) {
    const text = part.trim();
    if (!/^\d{1,15}$/.test(text)) return NaN;
    const n = Number(text);
    if (length !== -1 && n !== length) return NaN;
    length = n;
  }
  return length;
}

/**
 * Reads one request head from the start of `bytes` (leading blank lines are
 * skipped, as RFC 9112 allows). Returns null while the head is incomplete.
 * `host` is written into an HTTP/1.0 request that names none.
 */
export function parseRequestHead(bytes: Buffer, host: string): RequestHead | FramingError | null {
  let start = 0;
  while (start + 1 < bytes.length && bytes[start] === 13 && bytes[start + 1] === 10) start += 2;
  const end = bytes.indexOf(HEAD_END, start);
  if (end === -1) return bytes.length - start > MAX_HEAD_BYTES ? { status: 431, message: `the request head must be at most ${MAX_HEAD_BYTES} bytes` } : null;
  if (end - start > MAX_HEAD_BYTES) return { status: 431, message: `the request head must be at most ${MAX_HEAD_BYTES} bytes` };
  const head = bytes.toString('latin1', start, end);
  const lineEnd = head.indexOf('\r\n');
  const requestLine = lineEnd === -1 ? head : head.slice(0, lineEnd);
  const firstSpace = requestLine.indexOf(' ');
  const lastSpace = requestLine.lastIndexOf(' ');
  if (firstSpace <= 0 || lastSpace === firstSpace) return bad('the request line must be "METHOD /path HTTP/1.1"');
  const version = requestLine.slice(lastSpace + 1);
  const http10 = version === 'HTTP/1.0';
  if (!http10 && version !== 'HTTP/1.1') {
    return /^HTTP\/\d/.test(version) ? { status: 505, message: `only HTTP/1.0 and HTTP/1.1 are served, not ${version}` } : bad('the request line must be "METHOD /path HTTP/1.1"');
  }
  const method = requestLine.slice(0, firstSpace);

  let contentLength = -1;
  let chunked = false;
  let transferEncoding = false;
  let hasHost = false;
  let connectionClose = false;
  let connectionKeepAlive = false;
  let connectionLines = false;
  let upgrade = false;
  let peerHeader = false;
  let pos = lineEnd === -1 ? head.length : lineEnd + 2;
  while (pos < head.length) {
    let next = head.indexOf('\r\n', pos);
    if (next === -1) next = head.length;
    const colon = head.indexOf(':', pos);
    if (colon === -1 || colon > next || colon === pos) return bad('every header line must be "name: value"');
    const nameLength = colon - pos;
    const last = head.charCodeAt(colon - 1);
    if (last === 32 || last === 9) return bad('no whitespace is allowed between a header name and its colon');
    if (nameLength === 4 || nameLength === 7 || nameLength === 10 || nameLength === 14 || nameLength === 17) {
      const name = head.slice(pos, colon).toLowerCase();
      if (name === 'content-length') {
        contentLength = contentLengthOf(head.slice(colon + 1, next), contentLength);
        if (Number.isNaN(contentLength)) return bad('Content-Length must be one non-negative integer; two different values are refused');
      } else if (name === 'transfer-encoding') {
        transferEncoding = true;
        chunked = /(?:^|,)\s*chunked\s*$/i.test(head.slice(colon + 1, next));
      } else if (name === 'host') {
        hasHost = true;
      } else if (name === 'connection') {
        connectionLines = true;
        const value = head.slice(colon + 1, next).toLowerCase();
        if (value.includes('close')) connectionClose = true;
        if (value.includes('keep-alive')) connectionKeepAlive = true;
        if (value.includes('upgrade')) upgrade = true;
      } else if (name === PEER_HEADER) {
        peerHeader = true;
      }
    }
    pos = next + 2;
  }
  if (transferEncoding) {
    if (!chunked) return bad('Transfer-Encoding must end in chunked');
    if (contentLength !== -1) return bad('a request may not carry both Content-Length and Transfer-Encoding');
    if (http10) return bad('HTTP/1.0 has no Transfer-Encoding');
  }
  if (!http10 && !hasHost) return bad('an HTTP/1.1 request must carry a Host header');
  void connectionKeepAlive; // HTTP/1.0 keep-alive is answered as one request per connection, which the client accepts.
  const closeAfter = http10 || connectionClose;

  // uWS keeps its side of the connection when the head is HTTP/1.1 without
  // "Connection: close": the relay closes the client itself when asked.
  let rewritten: Buffer | null = null;
  if (http10 || connectionLines && connectionClose || start > 0 || peerHeader) {
    const kept: string[] = [];
    pos = lineEnd === -1 ? head.length : lineEnd + 2;
    while (pos < head.length) {
      let next = head.indexOf('\r\n', pos);
      if (next === -1) next = head.length;
      const line = head.slice(pos, next);
      const colon = line.indexOf(':');
      const name = line.slice(0, colon).toLowerCase();
      if (name !== 'connection' && name !== 'keep-alive' && name !== 'proxy-connection' && name !== PEER_HEADER) kept.push(line);
      pos = next + 2;
    }
    if (!hasHost) kept.push(`host: ${host}`);
    const line = http10 ? `${requestLine.slice(0, lastSpace)} HTTP/1.1` : requestLine;
    rewritten = Buffer.from(`${line}\r\n${kept.length ? `${kept.join('\r\n')}\r\n` : ''}\r\n`, 'latin1');
    upgrade = false;
  }
  return {
    headLength: end + 4,
    method,
    target: requestLine.slice(firstSpace + 1, lastSpace),
    http10,
    contentLength: chunked ? -1 : Math.max(contentLength, 0),
    chunked,
    closeAfter,
    rewritten,
    upgrade,
  };
}

/**
 * The header fields of a complete request head, names lowercased, the last
 * of repeated fields kept: for the rare request the worker answers itself
 * (a WebSocket upgrade), not for the relay's per-request path.
 */
export function headerFields(bytes: Buffer, headLength: number): Record<string, string> {
  const fields: Record<string, string> = {};
  const lines = bytes.toString('latin1', 0, headLength).split('\r\n');
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon > 0) fields[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
  }
  return fields;
}

export interface ResponseHead {
  readonly headLength: number;
  readonly status: number;
  /** -1 when chunked. */
  readonly contentLength: number;
  readonly chunked: boolean;
  /** uWS will close its side after this answer. */
  readonly close: boolean;
}

/** Reads an answer head written by uWS; null while incomplete. */
export function parseResponseHead(bytes: Buffer, start: number, requestMethod: string): ResponseHead | null {
  const end = bytes.indexOf(HEAD_END, start);
  if (end === -1) return null;
  const head = bytes.toString('latin1', start, end);
  const status = Number(head.slice(9, 12));
  let contentLength = -1;
  let chunked = false;
  let close = false;
  let pos = head.indexOf('\r\n') + 2;
  if (pos === 1) pos = head.length;
  while (pos < head.length) {
    let next = head.indexOf('\r\n', pos);
    if (next === -1) next = head.length;
    const colon = head.indexOf(':', pos);
    const nameLength = colon - pos;
    if (colon !== -1 && colon < next && (nameLength === 10 || nameLength === 14 || nameLength === 17)) {
      const name = head.slice(pos, colon).toLowerCase();
      const value = head.slice(colon + 1, next).trim();
      if (name === 'content-length') contentLength = Number(value);
      else if (name === 'transfer-encoding') chunked = /chunked$/i.test(value);
      else if (name === 'connection') close = /close/i.test(value);
    }
    pos = next + 2;
  }
  const bodiless = requestMethod === 'HEAD' || status === 204 || status === 304 || (status >= 100 && status < 200);
  // uWS never closes to end a body: an answer with neither length nor chunking is empty.
  return { headLength: end + 4 - start, status, contentLength: bodiless ? 0 : chunked ? -1 : Math.max(contentLength, 0), chunked: !bodiless && chunked, close };
}

/**
 * Finds the end of a chunked body, fed piece by piece. feed() returns the
 * offset just past the body's end within the piece, -1 when more is needed,
 * or -2 when the chunked framing is broken.
 */
export class ChunkedScanner {
  /** 0 size line, 1 data, 2 CRLF after data, 3 trailer lines, 4 done */
  private state = 0;
  private size = 0;
  private sawDigit = false;
  private inExtension = false;
  private lineLength = 0;
  private cr = false;

  feed(bytes: Buffer, from = 0): number {
    let i = from;
    while (i < bytes.length) {
      const c = bytes[i]!;
      switch (this.state) {
        case 0:
          if (this.cr) {
            if (c !== 10 || !this.sawDigit) return -2;
            this.cr = false;
            this.state = this.size === 0 ? 3 : 1;
            this.lineLength = 0;
            this.sawDigit = false;
            this.inExtension = false;
            i++;
            break;
          }
          if (c === 13) this.cr = true;
          else if (this.inExtension) {
            /* chunk extensions are skipped */
          } else if (c === 59) this.inExtension = true;
          else {
            const digit = c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : c >= 65 && c <= 70 ? c - 55 : -1;
            if (digit === -1 || this.size > 0x7ffffff) return -2;
            this.size = this.size * 16 + digit;
            this.sawDigit = true;
          }
          i++;
          break;
        case 1: {
          const take = Math.min(this.size, bytes.length - i);
          this.size -= take;
          i += take;
          if (this.size === 0) this.state = 2;
          break;
        }
        case 2:
          if (this.lineLength === 0) {
            if (c !== 13) return -2;
            this.lineLength = 1;
          } else {
            if (c !== 10) return -2;
            this.lineLength = 0;
            this.state = 0;
          }
          i++;
          break;
        case 3:
          // Trailer lines end with an empty line.
          if (this.cr) {
            if (c !== 10) return -2;
            this.cr = false;
            i++;
            if (this.lineLength === 0) {
              this.state = 4;
              return i;
            }
            this.lineLength = 0;
            break;
          }
          if (c === 13) this.cr = true;
          else this.lineLength++;
          i++;
          break;
        default:
          return i;
      }
    }
    return -1;
  }
}
