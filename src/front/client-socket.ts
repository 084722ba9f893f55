// The client's side of a relayed connection, as the relay needs it: bytes
// in, bytes out with backpressure, half-close, close. Two kinds:
//
// - netClientSocket: a net.Socket (the proxy's primary takes its clients from
//   a net.Server);
// - LeanClientSocket: the raw libuv TCP handle a handoff worker receives,
//   driven through Node's stream bindings. A net.Socket is a Duplex stream
//   with two stream states, event emitters, an async id, a read buffer and a
//   write queue, and making and tearing one down was about a sixth of a
//   handoff worker's CPU under `ab`, which opens a connection per request.
//   The relay needs none of it: one callback per read, and writes that
//   libuv mostly finishes at once.
//
// A WebSocket upgrade served in Node (NodeWatchServer) still needs a
// net.Socket: release() makes one from the same handle.
import net from 'node:net';
import { lastWriteWasAsync, readStatus, streamBindings, UV_EOF, writeRequest, type ShutdownRequest, type WriteRequest } from './stream-bindings';

export interface ClientEvents {
  data(chunk: Buffer): void;
  /** The client has half-closed: no more bytes will come. */
  end(): void;
  /** Every byte written has gone to the kernel. */
  drain(): void;
  /** The connection is closed, for whatever reason; heard once. */
  close(): void;
}

export interface ClientSocket {
  /** The client's IP address, or undefined when the connection is already gone. */
  readonly remoteAddress: string | undefined;
  readonly destroyed: boolean;
  /** Bytes written and not yet taken by the kernel. */
  readonly writableLength: number;
  /** Starts delivering events. Called once. */
  listen(events: ClientEvents): void;
  write(bytes: Uint8Array): void;
  /** Half-closes after what was written; the connection closes once the client has half-closed too. */
  end(): void;
  destroy(): void;
  pause(): void;
  resume(): void;
  /** Stops hearing the connection and hands it on as a net.Socket (a WebSocket served elsewhere). */
  release(): net.Socket;
}

/** A net.Socket as a ClientSocket. */
export function netClientSocket(socket: net.Socket): ClientSocket {
  // Only the listeners added here are taken off at release(): the socket's owner may have its own.
  const added: Array<[string, (chunk: Buffer) => void]> = [];
  const on = (event: string, listener: (chunk: Buffer) => void) => {
    added.push([event, listener]);
    socket.on(event, listener);
  };
  return {
    get remoteAddress() {
      return socket.remoteAddress;
    },
    get destroyed() {
      return socket.destroyed;
    },
    get writableLength() {
      return socket.writableLength;
    },
    listen(listeners) {
      on('data', (chunk: Buffer) => listeners.data(chunk));
      on('end', () => listeners.end());
      on('drain', () => listeners.drain());
      on('error', () => socket.destroy());
      on('close', () => listeners.close());
    },
    write: (bytes) => void socket.write(bytes),
    end: () => void socket.end(),
    destroy: () => void socket.destroy(),
    pause: () => void socket.pause(),
    resume: () => void socket.resume(),
    release() {
      for (const [event, listener] of added.splice(0)) socket.off(event, listener);
      return socket;
    },
  };
}

/** What the relay uses of a libuv TCP handle (tcp_wrap's TCP). */
export interface TcpHandle {
  onread: (buffer: ArrayBuffer | undefined) => void;
  readStart(): number;
  readStop(): number;
  writeBuffer(request: WriteRequest, bytes: Uint8Array): number;
  shutdown(request: ShutdownRequest): number;
  getpeername(out: { address?: string }): number;
  close(callback?: () => void): void;
}

const ignoreRead = () => {};

/** A client connection on a raw TCP handle: no stream, no emitter, no net.Socket. */
export class LeanClientSocket implements ClientSocket {
  private events: ClientEvents | undefined;
  private reading = false;
  private paused = false;
  /** The client has half-closed (or the read side failed). */
  private readEnded = false;
  /** end() was called: the shutdown goes out once pending writes are done. */
  private ending = false;
  private shutDown = false;
  private closing = false;
  private pendingBytes = 0;
  private pendingWrites = 0;
  private address: string | undefined | null = null;

  constructor(private readonly handle: TcpHandle) {}

  get remoteAddress(): string | undefined {
    if (this.address === null) {
      const out: { address?: string } = {};
      this.address = this.closing || this.handle.getpeername(out) !== 0 ? undefined : out.address;
    }
    return this.address;
  }

  get destroyed(): boolean {
    return this.closing;
  }

  get writableLength(): number {
    return this.pendingBytes;
  }

  listen(events: ClientEvents): void {
    this.events = events;
    this.handle.onread = (buffer) => this.onRead(buffer);
    this.startReading();
  }

  write(bytes: Uint8Array): void {
    if (this.closing || this.ending) return;
    const request = writeRequest(this.handle, (status) => this.afterWrite(status, bytes.length));
    const error = this.handle.writeBuffer(request, bytes);
    if (error !== 0) {
      this.destroy();
      return;
    }
    if (lastWriteWasAsync()) {
      // libuv keeps a pointer to the bytes until the write completes.
      request.buffer = bytes;
      this.pendingBytes += bytes.length;
      this.pendingWrites++;
    }
  }

  end(): void {
    if (this.ending || this.closing) return;
    this.ending = true;
    if (this.pendingWrites === 0) this.shutdown();
  }

  destroy(): void {
    if (this.closing) return;
    this.closing = true;
    this.handle.onread = ignoreRead;
    if (this.reading) this.handle.readStop();
    this.reading = false;
    this.handle.close(() => this.events?.close());
  }

  pause(): void {
    this.paused = true;
    this.stopReading();
  }

  resume(): void {
    this.paused = false;
    this.startReading();
  }

  release(): net.Socket {
    this.stopReading();
    this.closing = true;
    this.handle.onread = ignoreRead;
    // net.Socket takes the handle over (its own onread) and starts reading it.
    return new net.Socket({ handle: this.handle, readable: true, writable: true, allowHalfOpen: true } as net.SocketConstructorOpts);
  }

  private startReading(): void {
    if (this.reading || this.paused || this.readEnded || this.closing || this.events === undefined) return;
    if (this.handle.readStart() !== 0) {
      this.destroy();
      return;
    }
    this.reading = true;
  }

  private stopReading(): void {
    if (!this.reading) return;
    this.reading = false;
    this.handle.readStop();
  }

  private onRead(buffer: ArrayBuffer | undefined): void {
    const status = readStatus();
    if (status > 0 && buffer !== undefined) {
      const { streamBaseState, kArrayBufferOffset } = streamBindings();
      this.events!.data(Buffer.from(buffer, streamBaseState[kArrayBufferOffset]!, status));
      return;
    }
    if (status === 0) return;
    this.stopReading();
    this.readEnded = true;
    if (status !== UV_EOF) {
      // Reset or another read error: nothing more can be said to this client.
      this.destroy();
      return;
    }
    this.events!.end();
    if (this.shutDown) this.destroy();
  }

  private afterWrite(status: number, length: number): void {
    this.pendingBytes -= length;
    this.pendingWrites--;
    if (status < 0) {
      this.destroy();
      return;
    }
    if (this.pendingWrites > 0 || this.closing) return;
    if (this.ending) this.shutdown();
    else this.events?.drain();
  }

  private shutdown(): void {
    if (this.shutDown || this.closing) return;
    const { ShutdownWrap } = streamBindings();
    const request = new ShutdownWrap();
    request.handle = this.handle;
    request.oncomplete = () => {
      this.shutDown = true;
      // Both ways closed: done. Otherwise keep reading to the client's end of stream,
      // so that closing never resets a connection whose last answer is unread.
      if (this.readEnded) this.destroy();
      else {
        this.paused = false;
        this.startReading();
      }
    };
    if (this.handle.shutdown(request) !== 0) this.destroy();
  }
}
