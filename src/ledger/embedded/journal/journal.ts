// The embedded ledger's durable memory: one append-only file under DATA_DIR,
// replayed into the state machine at start-up and appended to with group commit.
import { closeSync, existsSync, fsyncSync, ftruncateSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { decodeEvent, encodeEvent, type JournalEvent } from './journal-events';
import { encodeFrame, FILE_MAGIC } from './journal-format';
import { readJournal } from './journal-reader';
import { JournalWriter, type JournalFileOps, type WriterStats } from './journal-writer';
import { lockHolder, tryLockFile, type FileLock } from '../../../system/file-lock';

export const JOURNAL_FILE = 'ledger.journal';
const LOCK_FILE = 'LOCK';

export interface JournalOptions {
  readonly dataDir: string;
  /** false is JOURNAL_FSYNC=off: records reach the OS but a power cut may lose the last ones. */
  readonly fsync: boolean;
  readonly log: (line: string) => void;
  readonly warn: (line: string) => void;
  /** The writer's file operations; the real ones unless a test injects its own. */
  readonly fileOps?: JournalFileOps;
}

export interface ReplayFigures {
  readonly records: number;
  readonly bytes: number;
  readonly ms: number;
  readonly droppedTornBytes: number;
}

function fsyncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Two primaries on one journal would each sell the same stock. The LOCK file
 * carries a kernel lock (flock) held as long as this process lives, so a second
 * spike is refused whatever its PID namespace, and a killed one leaves nothing to clean up.
 */
function takeLock(dir: string): FileLock {
  const path = join(dir, LOCK_FILE);
  const lock = tryLockFile(path);
  if (!lock) {
    throw new Error(`DATA_DIR ${dir} is in use by another spike (${path} is locked; it says: ${lockHolder(path)}). Stop that spike first, or point DATA_DIR elsewhere`);
  }
  return lock;
}

export class Journal {
  readonly file: string;

  private constructor(
    private readonly writer: JournalWriter,
    private readonly fd: number,
    private readonly lock: FileLock,
    file: string,
    readonly replay: ReplayFigures,
  ) {
    this.file = file;
  }

  /**
   * Opens the journal in dataDir, creating it if needed, and hands every
   * recorded event to apply() in order before any new one can be appended.
   */
  static open(options: JournalOptions, apply: (event: JournalEvent) => void): Journal {
    const dir = resolve(options.dataDir);
    mkdirSync(dir, { recursive: true });
    const lock = takeLock(dir);
    try {
      const file = join(options.dataDir, JOURNAL_FILE);
      const started = performance.now();
      let replay: ReplayFigures = { records: 0, bytes: 0, ms: 0, droppedTornBytes: 0 };
      let validEnd = 0;
      if (existsSync(file)) {
        const read = readJournal(file, (payload) => apply(decodeEvent(payload)));
        validEnd = read.validEnd;
        replay = { records: read.records, bytes: read.validEnd, ms: performance.now() - started, droppedTornBytes: read.torn?.bytes ?? 0 };
        if (read.torn) {
          options.warn(
            `journal ${file}: dropped a torn last record at offset ${read.torn.offset} (${read.torn.bytes} bytes; ${read.torn.reason}). ` +
              'A crash interrupted its write, so no buyer was told about it.',
          );
        }
      }
      const fd = openSync(file, existsSync(file) ? 'r+' : 'w+');
      if (validEnd === 0) {
        ftruncateSync(fd, 0);
        writeSync(fd, FILE_MAGIC, 0, FILE_MAGIC.length, 0);
        fsyncSync(fd);
        fsyncDir(dir);
      } else if (replay.droppedTornBytes > 0) {
        ftruncateSync(fd, validEnd);
        fsyncSync(fd);
      }
      closeSync(fd);
      const appendFd = openSync(file, 'a');
      return new Journal(new JournalWriter(appendFd, options.fsync, file, (error) =>
        options.warn(`${error.message}. The embedded ledger now refuses every request (503 ledger_unavailable); fix the disk and restart spike, which recovers from the journal.`),
      options.fileOps), appendFd, lock, file, replay);
    } catch (error) {
      lock.release();
      throw error;
    }
  }

  /** Settles once the event is on disk (or written to the OS with fsync off). */
  append(event: JournalEvent): Promise<void> {
    return this.writer.append(encodeFrame(encodeEvent(event)));
  }

  /** Settles once everything appended so far is on disk. */
  durable(): Promise<void> {
    return this.writer.durable();
  }

  get failed(): Error | null {
    return this.writer.failed;
  }

  get figures(): WriterStats {
    return this.writer.figures;
  }

  async close(): Promise<void> {
    try {
      await this.writer.drain();
    } finally {
      closeSync(this.fd);
      this.lock.release();
    }
  }
}
