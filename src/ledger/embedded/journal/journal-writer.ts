// Appends frames with group commit: records appended while one batch is being
// written and synced wait and go out together as the next batch, so a burst
// costs one fsync per batch rather than one per record.
import { fdatasync, write } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';

/** The two file operations the writer needs; a test can inject a slow or lying disk. */
export interface JournalFileOps {
  write(fd: number, bytes: Buffer, offset: number, length: number): Promise<{ bytesWritten: number }>;
  fdatasync(fd: number): Promise<void>;
}

const writeAsync = promisify(write);
export const NODE_FILE_OPS: JournalFileOps = {
  write: (fd, bytes, offset, length) => writeAsync(fd, bytes, offset, length, null),
  fdatasync: promisify(fdatasync),
};

interface Batch {
  readonly frames: Buffer[];
  readonly done: Promise<void>;
  resolve(): void;
  reject(error: Error): void;
}

export interface WriterStats {
  readonly records: number;
  readonly batches: number;
  readonly syncs: number;
  readonly bytes: number;
}

function newBatch(): Batch {
  let resolve!: () => void;
  let reject!: (error: Error) => void;
  const done = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // A failed batch is also reported through failure; nobody may be listening yet.
  done.catch(() => {});
  return { frames: [], done, resolve, reject };
}

/** Told of every batch written: its records and the seconds its write and fsync took (metrics hook). */
export type BatchObserver = (records: number, seconds: number) => void;

export class JournalWriter {
  /** One per process, like the journal itself: set by the primary's metrics, read at each batch. */
  static observer: BatchObserver | undefined;
  /** The batch taking new records; it is written once the one in flight is durable. */
  private open: Batch | null = null;
  private inFlight: Batch | null = null;
  private scheduled = false;
  private failure: Error | null = null;
  private stats = { records: 0, batches: 0, syncs: 0, bytes: 0 };

  /** Run between two batches, never during one: swaps the file the next batches go to (Journal.rotate). */
  private betweenBatches: { run(): void; fail(error: Error): void } | null = null;

  constructor(
    private fd: number,
    private readonly sync: boolean,
    private readonly file: string,
    private readonly onFailure: (error: Error) => void = () => {},
    private readonly ops: JournalFileOps = NODE_FILE_OPS,
  ) {}

  /** Queues one frame; the promise settles when it (and everything before it) is on disk. */
  append(frame: Buffer): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    this.open ??= newBatch();
    this.open.frames.push(frame);
    this.stats.records++;
    this.schedule();
    return this.open.done;
  }

  /** Settles when everything appended so far is on disk: the barrier for replies that read state. */
  durable(): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    return (this.open ?? this.inFlight)?.done ?? Promise.resolve();
  }

  get failed(): Error | null {
    return this.failure;
  }

  get figures(): WriterStats {
    return { ...this.stats };
  }

  /**
   * Runs swap() at the next moment no batch is in flight (at once when idle),
   * and from then on appends to the descriptor it returns. Records appended
   * before it was called may land on either side; none is split.
   */
  switchFile(swap: () => number): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      const run = () => {
        try {
          this.fd = swap();
          resolve();
        } catch (error) {
          reject(error as Error);
        }
      };
      if (!this.inFlight) run();
      else this.betweenBatches = { run, fail: reject };
    });
  }

  private schedule(): void {
    if (this.scheduled || this.inFlight) return;
    this.scheduled = true;
    // setImmediate, not a microtask: every IPC message already read in this
    // turn of the event loop joins the first batch.
    setImmediate(() => {
      this.scheduled = false;
      void this.flush();
    });
  }

  private async flush(): Promise<void> {
    while (this.open && !this.failure) {
      const batch = (this.inFlight = this.open);
      this.open = null;
      const started = performance.now();
      try {
        const bytes = batch.frames.length === 1 ? batch.frames[0]! : Buffer.concat(batch.frames);
        let written = 0;
        while (written < bytes.length) written += (await this.ops.write(this.fd, bytes, written, bytes.length - written)).bytesWritten;
        if (this.sync) {
          await this.ops.fdatasync(this.fd);
          this.stats.syncs++;
        }
        this.stats.batches++;
        this.stats.bytes += bytes.length;
        JournalWriter.observer?.(batch.frames.length, (performance.now() - started) / 1000);
        this.inFlight = null;
        batch.resolve();
        const swap = this.betweenBatches;
        this.betweenBatches = null;
        swap?.run();
      } catch (error) {
        // After a failed write or fsync the file's state is unknown (see
        // PostgreSQL's "fsyncgate"): never retry, fail everything from here on.
        this.failure = new Error(`journal ${this.file} could not be written: ${(error as Error).message}`);
        this.onFailure(this.failure);
        this.inFlight = null;
        batch.reject(this.failure);
        // Records appended while this batch was in flight fail with it.
        const waiting = this.open as Batch | null;
        waiting?.reject(this.failure);
        this.open = null;
        this.betweenBatches?.fail(this.failure);
        this.betweenBatches = null;
      }
    }
  }

  /** Waits for every queued record to be on disk. */
  async drain(): Promise<void> {
    while (this.open || this.inFlight) await this.durable();
  }
}
