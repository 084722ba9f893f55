// uWebSockets.js never answers HTTP/1.0, yet ApacheBench (the seed article's
// own stress test) speaks nothing else. The proxy rewrites a 1.0 request head
// into 1.1 with "Connection: close", which is what 1.0 means by default; the
// worker then answers and closes, exactly as a 1.0 client expects.

const CRLF = Buffer.from('\r\n');
const HEAD_END = Buffer.from('\r\n\r\n');
const HTTP10 = Buffer.from(' HTTP/1.0');
/** Heads larger than this are passed through untouched rather than buffered. */
const MAX_HEAD = 16 * 1024;

export type HeadKind = 'http10' | 'other' | 'incomplete';

/** Decides from the first bytes of a connection whether its first request is HTTP/1.0. */
export function classifyHead(bytes: Buffer): HeadKind {
  const lineEnd = bytes.indexOf(CRLF);
  if (lineEnd === -1) return bytes.length < MAX_HEAD ? 'incomplete' : 'other';
  if (lineEnd < HTTP10.length || bytes.compare(HTTP10, 0, HTTP10.length, lineEnd - HTTP10.length, lineEnd) !== 0) return 'other';
  if (bytes.indexOf(HEAD_END, lineEnd) !== -1) return 'http10';
  return bytes.length < MAX_HEAD ? 'incomplete' : 'other';
}

/**
 * Rewrites a complete HTTP/1.0 head to HTTP/1.1 with "connection: close",
 * dropping any Connection header the client sent (ab -k asks for keep-alive;
 * one request per connection is still a valid answer to that).
 */
export function rewriteHttp10(bytes: Buffer): Buffer {
  const lineEnd = bytes.indexOf(CRLF);
  const headEnd = bytes.indexOf(HEAD_END, lineEnd);
  const requestLine = bytes.toString('latin1', 0, lineEnd - HTTP10.length);
  const headers = bytes
    .toString('latin1', lineEnd + 2, headEnd + 2)
    .split('\r\n')
    .filter((line) => line !== '' && !/^connection\s*:/i.test(line));
  const head = `${requestLine} HTTP/1.1\r\n${headers.map((line) => `${line}\r\n`).join('')}connection: close\r\n\r\n`;
  return Buffer.concat([Buffer.from(head, 'latin1'), bytes.subarray(headEnd + 4)]);
}
