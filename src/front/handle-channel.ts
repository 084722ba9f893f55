// A dedicated channel for handing accepted TCP connections from the primary
// to one worker: a unix socket pair whose primary end is an IPC pipe, with
// one byte and one descriptor (SCM_RIGHTS) per connection, and the worker's
// acknowledgements coming back in batches.
//
// Why not process.send(message, handle), as Node's cluster round-robin does?
// Node's protocol sends a JSON message with each handle and makes the worker
// answer every one with its own JSON acknowledgement (NODE_HANDLE_ACK), and
// the primary sends the next handle only after that answer. On this kind of
// VM every write that wakes the other process costs tens of microseconds, so
// a connection cost the primary two wake-ups, two JSON codecs and the wait.
// Here a connection costs the primary one sendmsg; the worker acknowledges
// every handle it took in one event-loop turn with one short write, and that
// write wakes nobody: the primary reads acknowledgements only every
// ACK_READ_MS (and at once when the worker exits), so between those reads it
// does not watch the channel at all.
//
// Node has no public API for an IPC pipe other than the one child_process
// makes, so this uses the same bindings child_process uses (pipe_wrap and
// stream_wrap through process.binding, which Node keeps for compatibility).
import net from 'node:net';
import { rmSync } from 'node:fs';
import { readBytes, writeRequest, type WriteRequest } from './stream-bindings';

/** The descriptor at which a worker finds its end of the channel (after stdin, stdout, stderr and Node's IPC). */
export const HANDLE_CHANNEL_FD = 4;

/** How often the primary collects acknowledgements (closing its copies of the handles they cover). */
export const ACK_READ_MS = 20;

/** A raw libuv TCP handle, as a listening handle's onconnection gives it: no net.Socket made. */
export interface RawHandle {
  close(callback?: () => void): void;
}

interface PipeHandle {
  open(fd: number): number;
  connect(request: object, path: string): number;
  readStart(): number;
  readStop(): number;
  close(callback?: () => void): void;
  unref(): void;
  writeUtf8String(request: WriteRequest, text: string, handle?: RawHandle): number;
  onread: (buffer: ArrayBuffer | undefined) => void;
  pendingHandle: RawHandle | null;
}

interface PipeBindings {
  Pipe: new (type: number) => PipeHandle;
  PipeConnectWrap: new () => { oncomplete: (status: number) => void };
  ipcType: number;
}

let pipeBindings: PipeBindings | undefined;
function native(): PipeBindings {
  if (pipeBindings) return pipeBindings;
  const pipeWrap = (process as unknown as { binding(name: string): unknown }).binding('pipe_wrap') as { Pipe: PipeBindings['Pipe']; PipeConnectWrap: PipeBindings['PipeConnectWrap']; constants: { IPC: number } };
  pipeBindings = { Pipe: pipeWrap.Pipe, PipeConnectWrap: pipeWrap.PipeConnectWrap, ipcType: pipeWrap.constants.IPC };
  return pipeBindings;
}

/** Writes text (and a handle with it) on a pipe; false if the pipe refused at once. `done` hears a later failure. */
function write(pipe: PipeHandle, text: string, handle: RawHandle | undefined, done: (ok: boolean) => void): boolean {
  const request = writeRequest(pipe, (status) => done(status >= 0));
  const error = handle === undefined ? pipe.writeUtf8String(request, text) : pipe.writeUtf8String(request, text, handle);
  return error === 0;
}

/**
 * The primary's end of the channel to one worker process. Each handle stays
 * open in the primary until the worker acknowledges it; when the channel ends
 * (the worker died, or a write failed) the handles it never acknowledged go to
 * `onLost`, so that the balancer can give those clients to another worker.
 */
export class HandleChannel {
  private readonly unacknowledged: RawHandle[] = [];
  private ackText = '';
  private ended = false;
  /** Reading now: a collection round is under way, or the worker has gone and its last words are awaited. */
  private reading = false;
  private awaitingEnd = false;
  private readonly collector: NodeJS.Timeout;
  /** Hears, once, the handles the worker never took when the channel ends. */
  onLost: (handles: RawHandle[]) => void = (handles) => {
    for (const handle of handles) handle.close();
  };

  private constructor(private readonly pipe: PipeHandle) {
    pipe.onread = (buffer) => this.onRead(buffer);
    // The channel never keeps the primary alive by itself.
    pipe.unref();
    this.collector = setInterval(() => {
      if (this.unacknowledged.length > 0) this.startReading();
    }, ACK_READ_MS);
    this.collector.unref();
  }

  /**
   * Makes a connected pair through a rendezvous socket at `path` (removed
   * again at once). The worker's end is a net.Socket to pass as its stdio
   * entry HANDLE_CHANNEL_FD; the caller destroys it after the fork.
   */
  static async open(path: string): Promise<{ channel: HandleChannel; workerEnd: net.Socket }> {
    const { Pipe, PipeConnectWrap, ipcType } = native();
    rmSync(path, { force: true });
    const rendezvous = net.createServer();
    await new Promise<void>((resolve, reject) => {
      rendezvous.once('error', reject);
      rendezvous.listen(path, () => resolve());
    });
    try {
      const accepted = new Promise<net.Socket>((resolve) => rendezvous.once('connection', (socket: net.Socket) => resolve(socket)));
      const pipe = new Pipe(ipcType);
      await new Promise<void>((resolve, reject) => {
        const request = new PipeConnectWrap();
        request.oncomplete = (status) => (status < 0 ? reject(new Error(`handle channel: connect to ${path} failed (${status})`)) : resolve());
        const error = pipe.connect(request, path);
        if (error < 0) reject(new Error(`handle channel: connect to ${path} failed (${error})`));
      });
      const workerEnd = await accepted;
      // Nobody reads the worker's end in this process: it only rides to the child.
      workerEnd.pause();
      return { channel: new HandleChannel(pipe), workerEnd };
    } finally {
      rendezvous.close();
      rmSync(path, { force: true });
    }
  }

  /** The channel still carries handles (the worker's end is open). */
  get open(): boolean {
    return !this.ended;
  }

  /** Handles sent and not yet acknowledged. */
  get pending(): number {
    return this.unacknowledged.length;
  }

  /** Sends a connection to the worker; false (and the handle still the caller's) if the channel has ended. */
  send(handle: RawHandle): boolean {
    if (this.ended) return false;
    this.unacknowledged.push(handle);
    const sent = write(this.pipe, 'c', handle, (ok) => {
      if (!ok) this.end();
    });
    if (!sent) {
      this.unacknowledged.pop();
      this.end();
      return false;
    }
    return true;
  }

  /**
   * The worker process has exited: read what it wrote to the end of the
   * stream, then end. Handles it acknowledged are closed; the rest go to onLost.
   */
  awaitEnd(): void {
    this.awaitingEnd = true;
    this.startReading();
  }

  /** Ends the channel: closes the pipe and hands every unacknowledged handle to onLost. */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    clearInterval(this.collector);
    this.pipe.close();
    const lost = this.unacknowledged.splice(0);
    if (lost.length > 0) this.onLost(lost);
  }

  private startReading(): void {
    if (this.reading || this.ended) return;
    this.reading = true;
    this.pipe.readStart();
  }

  private onRead(buffer: ArrayBuffer | undefined): void {
    const bytes = readBytes(buffer);
    if (bytes === undefined) {
      // End of stream comes after every acknowledgement the worker wrote, so what is left was never taken.
      this.end();
      return;
    }
    this.ackText += Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
    let newline = this.ackText.indexOf('\n');
    while (newline !== -1) {
      const count = Number(this.ackText.slice(0, newline));
      this.ackText = this.ackText.slice(newline + 1);
      for (let i = 0; i < count; i++) this.unacknowledged.shift()?.close();
      newline = this.ackText.indexOf('\n');
    }
    // Stop watching until the next round, so that the worker's next acknowledgements wake nobody.
    if (!this.awaitingEnd) {
      this.reading = false;
      this.pipe.readStop();
    }
  }
}

export interface HandleReceiver {
  /** Handles taken so far. */
  readonly received: () => number;
  close(): void;
}

/**
 * The worker's end: takes each handle the primary sends on descriptor `fd`
 * and acknowledges all those taken in one event-loop turn with one write,
 * from setImmediate: after the poll phase that received them and before any
 * of their sockets is read, so a handle the primary still holds as
 * unacknowledged is one whose bytes nobody has touched.
 */
export function receiveHandles(fd: number, onHandle: (handle: RawHandle) => void): HandleReceiver {
  const { Pipe, ipcType } = native();
  const pipe = new Pipe(ipcType);
  const error = pipe.open(fd);
  if (error < 0) throw new Error(`handle channel: cannot open descriptor ${fd} (${error}); was this worker forked by a BALANCER=handoff primary?`);
  let received = 0;
  let unacknowledged = 0;
  let closed = false;
  const acknowledge = () => {
    const count = unacknowledged;
    unacknowledged = 0;
    // A failed write means the primary is gone; it has nothing left to re-route.
    if (!closed && count > 0) write(pipe, `${count}\n`, undefined, () => {});
  };
  pipe.onread = (buffer) => {
    const handle = pipe.pendingHandle;
    pipe.pendingHandle = null;
    if (readBytes(buffer) === undefined) {
      closed = true;
      pipe.close();
      return;
    }
    if (handle === null) return;
    received++;
    if (unacknowledged++ === 0) setImmediate(acknowledge);
    onHandle(handle);
  };
  pipe.readStart();
  pipe.unref();
  return {
    received: () => received,
    close: () => {
      if (closed) return;
      closed = true;
      pipe.close();
    },
  };
}
