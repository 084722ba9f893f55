// The fan-out's watcher, as lean as a WebSocket client can be: one TCP socket,
// the upgrade written by hand, and the server's frames cut apart without a
// library. 10,000 of them share the bench's two cores with the server and the
// join flood, and with the `ws` client (a stream per socket, a parse of every
// message as JSON) the watchers' own CPU was a large part of the figure this
// cell exists to measure: the time the server takes to reach them all. This
// client reads only what the figure needs, the `serving` and `at` numbers of
// each status message, and answers pings as a client must.
import { randomBytes } from 'node:crypto';
import net from 'node:net';

export interface StatusSeen {
  readonly serving: number;
  readonly at: number;
}

const SERVING = Buffer.from('"serving":');
const AT = Buffer.from('"at":');
const HEAD_END = Buffer.from('\r\n\r\n');

/**
 * One read buffer for every watcher in this process (net's `onread`): each
 * read is handled whole before the next (one event loop), and the bytes of a
 * partial frame are copied out. A 'data' event per read handed over fresh
 * memory per watcher per push, 40,000 a second at 10,000 watchers, in the
 * process that shares the two cores with the server it measures; now a read
 * costs a view of the one buffer.
 */
const READ_BUFFER = Buffer.alloc(64 * 1024);

/** The integer after `key` in `payload`, or NaN. */
function numberAfter(payload: Buffer, key: Buffer): number {
  const at = payload.indexOf(key);
  if (at < 0) return Number.NaN;
  let value = 0;
  let i = at + key.length;
  const start = i;
  for (; i < payload.length; i++) {
    const digit = payload[i]! - 48;
    if (digit < 0 || digit > 9) break;
    value = value * 10 + digit;
  }
  return i > start ? value : Number.NaN;
}

/**
 * Cuts unmasked server frames out of `bytes`: calls `onText` for each whole
 * text frame's payload and `onPing` for each ping's; returns the bytes of an
 * unfinished frame, to be prefixed to the next read. Server frames are never
 * masked (RFC 6455 5.1), and spike's are never fragmented.
 */
export function cutFrames(bytes: Buffer, onText: (payload: Buffer) => void, onPing: (payload: Buffer) => void): Buffer | null {
  let at = 0;
  while (bytes.length - at >= 2) {
    const opcode = bytes[at]! & 0x0f;
    let length = bytes[at + 1]! & 0x7f;
    let header = 2;
    if (length === 126) {
      if (bytes.length - at < 4) break;
      length = bytes.readUInt16BE(at + 2);
      header = 4;
    } else if (length === 127) {
      if (bytes.length - at < 10) break;
      length = Number(bytes.readBigUInt64BE(at + 2));
      header = 10;
    }
    if (bytes.length - at < header + length) break;
    const payload = bytes.subarray(at + header, at + header + length);
    if (opcode === 0x1) onText(payload);
    else if (opcode === 0x9) onPing(payload);
    at += header + length;
  }
  return at === bytes.length ? null : bytes.subarray(at);
}

/** A pong for `payload`, masked as a client's frames must be (with a zero key, which leaves the payload as it is). */
function pongFrame(payload: Buffer): Buffer {
  return Buffer.concat([Buffer.from([0x8a, 0x80 | payload.length, 0, 0, 0, 0]), payload]);
}

/**
 * Opens one watcher on ws://host:port/path; resolves once the server has
 * answered 101. Every status message calls `onStatus` with its figures,
 * stamped with the time its bytes were read.
 */
export function openLeanWatcher(host: string, port: number, path: string, onStatus: (seen: StatusSeen, arrivedAt: number) => void): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port, noDelay: true, onread: { buffer: READ_BUFFER, callback: (nread: number) => (onBytes(READ_BUFFER.subarray(0, nread)), true) } });
    let upgraded = false;
    let rest: Buffer | null = null;
    const onText = (payload: Buffer) => {
      const serving = numberAfter(payload, SERVING);
      if (!Number.isNaN(serving)) onStatus({ serving, at: numberAfter(payload, AT) }, Date.now());
    };
    const onPing = (payload: Buffer) => socket.write(pongFrame(payload));
    socket.on('error', (error) => (upgraded ? socket.destroy() : reject(error)));
    socket.once('connect', () => {
      socket.write(`GET ${path} HTTP/1.1\r\nHost: ${host}:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`);
    });
    // A read's bytes live in READ_BUFFER until the next read: whatever is kept past this call is a copy.
    function onBytes(chunk: Buffer): void {
      let bytes = rest === null ? chunk : Buffer.concat([rest, chunk]);
      rest = null;
      if (!upgraded) {
        const end = bytes.indexOf(HEAD_END);
        if (end < 0) {
          rest = Buffer.from(bytes);
          return;
        }
        const status = bytes.subarray(0, bytes.indexOf('\r\n')).toString('latin1');
        if (!/^HTTP\/1\.1 101 /.test(status)) {
          socket.destroy();
          reject(new Error(`the server answered the upgrade with "${status}"`));
          return;
        }
        upgraded = true;
        resolve(socket);
        bytes = bytes.subarray(end + HEAD_END.length);
      }
      rest = cutFrames(bytes, onText, onPing);
      if (rest !== null) rest = Buffer.from(rest);
    }
  });
}
