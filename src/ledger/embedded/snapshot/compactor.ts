// When the active journal passes JOURNAL_COMPACT_MB, the compactor rotates it
// out as a segment (between two batches, a rename) and folds the snapshot and
// the segments into a new snapshot on a worker thread. A restart then loads
// the live state plus a short tail instead of every event ever journaled.
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Journal } from '../journal/journal';
import { wantedPriority, type ThreadPriority } from '../../../system/thread-priority';
import type { CompactionJob, CompactionResult } from './compact-files';
import type { CompactionAnswer } from './compaction-thread';

export interface CompactorOptions {
  /** Rotate and compact once the active journal holds this many bytes; 0: never by size. */
  readonly thresholdBytes: number;
  readonly feedMaxEvents: number;
  /** The compaction thread's CPU priority (JOURNAL_COMPACT_NICE); unset: as the primary's. */
  readonly priority?: ThreadPriority;
  readonly log: (line: string) => void;
  readonly warn: (line: string) => void;
}

const THREAD = join(__dirname, 'compaction-thread.js');

export class Compactor {
  private running: Promise<CompactionResult | null> | null = null;
  private worker: Worker | null = null;
  private closed = false;
  private warnedPriority = false;
  /** Compactions finished since start, for tests and diagnostics. */
  completed = 0;
  last: CompactionResult | null = null;

  constructor(private readonly journal: Journal, private readonly options: CompactorOptions) {}

  /** Called after appends: starts a compaction when the active journal has grown past the threshold. */
  check(): void {
    if (this.running || this.closed || this.options.thresholdBytes <= 0) return;
    if (this.journal.activeBytes >= this.options.thresholdBytes) void this.compact();
  }

  get busy(): boolean {
    return this.running !== null;
  }

  /**
   * Rotates the active journal (unless rotate is false) and folds every
   * segment into a new snapshot; resolves with what it did, or null when a
   * compaction was already running or the ledger is closing. A failure is
   * logged and leaves every file as it was usable: the next one tries again.
   */
  compact(rotate = true): Promise<CompactionResult | null> {
    if (this.running || this.closed) return Promise.resolve(null);
    this.running = this.run(rotate).finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private async run(rotate: boolean): Promise<CompactionResult | null> {
    try {
      if (rotate) await this.journal.rotate();
      const segments = this.journal.segments();
      if (segments.length === 0) return null;
      const gen = segments.at(-1)!.gen;
      this.options.log(`journal compaction: started, folding ${segments.length} segment(s) up to gen ${gen} into ${join(this.journal.dir, 'ledger.snapshot')} on a worker thread`);
      const result = await this.onThread({ dataDir: this.journal.dir, gen, segments: segments.map((s) => s.file), feedMaxEvents: this.options.feedMaxEvents, priority: this.options.priority });
      if (!result) return null;
      this.completed++;
      this.last = result;
      this.options.log(
        `journal compaction: snapshot gen ${result.gen} written in ${result.ms.toFixed(0)} ms: ${result.sales} sale(s), ${result.orders} order(s), ` +
          `${(result.snapshotBytes / 1e6).toFixed(1)} MB in place of ${(result.segmentBytes / 1e6).toFixed(1)} MB of journal segments`,
      );
      return result;
    } catch (error) {
      this.options.warn(`journal compaction failed: ${(error as Error).message}; the journal and its segments are kept as they were, and the next compaction tries again`);
      return null;
    }
  }

  private onThread(job: CompactionJob): Promise<CompactionResult | null> {
    return new Promise((resolve, reject) => {
      const worker = new Worker(THREAD, { workerData: job });
      this.worker = worker;
      let settled = false;
      worker.once('message', (message: CompactionAnswer) => {
        settled = true;
        if (message.lowered === false) this.warnPriorityOnce();
        if (message.ok) resolve(message.result);
        else reject(new Error(message.message));
      });
      worker.once('error', (error) => {
        settled = true;
        reject(error);
      });
      worker.once('exit', (code) => {
        this.worker = null;
        // Terminated by close(): as a crash would, it left every file usable.
        if (!settled) resolve(null);
        void code;
      });
    });
  }

  /** A compaction at normal priority still works; it takes CPU from the event loops, so say so once rather than at every compaction. */
  private warnPriorityOnce(): void {
    if (this.warnedPriority) return;
    this.warnedPriority = true;
    this.options.warn(
      `journal compaction: its thread could not lower its CPU priority to ${wantedPriority('JOURNAL_COMPACT_NICE', this.options.priority!)}; compactions will compete with the sale for CPU`,
    );
  }

  /** Stops a compaction in flight (its files stay usable, as after a crash) and starts no other. */
  async close(): Promise<void> {
    this.closed = true;
    await this.worker?.terminate();
    await this.running;
  }
}
