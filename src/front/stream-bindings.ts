// Node's stream bindings (stream_wrap), the layer under net.Socket and
// child_process: write and shutdown requests, and the shared state array a
// read or write reports through. The handle channel and the lean client
// socket talk to libuv handles with these directly, without a net.Socket.
// Node offers them only through process.binding, which it keeps for
// compatibility; the unit and integration tests run both users with real
// sockets and processes.

export interface WriteRequest {
  handle: object;
  oncomplete: (status: number) => void;
  async: boolean;
  /** Keeps the bytes alive until an asynchronous write completes. */
  buffer?: Uint8Array;
}

export interface ShutdownRequest {
  handle: object;
  oncomplete: (status: number) => void;
}

export interface StreamBindings {
  readonly WriteWrap: new () => WriteRequest;
  readonly ShutdownWrap: new () => ShutdownRequest;
  readonly streamBaseState: Int32Array;
  readonly kReadBytesOrError: number;
  readonly kArrayBufferOffset: number;
  readonly kLastWriteWasAsync: number;
}

/** libuv's end-of-stream status (UV_EOF). */
export const UV_EOF = -4095;

let bindings: StreamBindings | undefined;

export function streamBindings(): StreamBindings {
  bindings ??= (process as unknown as { binding(name: string): StreamBindings }).binding('stream_wrap');
  return bindings;
}

/** A write request on `handle` that reports its status to `oncomplete` if the write finishes later. */
export function writeRequest(handle: object, oncomplete: (status: number) => void): WriteRequest {
  const request = new (streamBindings().WriteWrap)();
  request.handle = handle;
  request.async = false;
  request.oncomplete = oncomplete;
  return request;
}

/** A read's status: its byte count, or a negative libuv error (UV_EOF at end of stream). */
export function readStatus(): number {
  const { streamBaseState, kReadBytesOrError } = streamBindings();
  return streamBaseState[kReadBytesOrError]!;
}

/** The bytes of one read (a view of the buffer libuv filled), or undefined at end of stream or a read error. */
export function readBytes(buffer: ArrayBuffer | undefined): Uint8Array | undefined {
  if (buffer === undefined) return undefined;
  const length = readStatus();
  if (length < 0) return undefined;
  const { streamBaseState, kArrayBufferOffset } = streamBindings();
  return new Uint8Array(buffer, streamBaseState[kArrayBufferOffset]!, length);
}

/** Whether the write just issued is still under way (libuv could not finish it at once). */
export function lastWriteWasAsync(): boolean {
  const { streamBaseState, kLastWriteWasAsync } = streamBindings();
  return streamBaseState[kLastWriteWasAsync] !== 0;
}
