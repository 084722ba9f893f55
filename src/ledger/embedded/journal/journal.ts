// The embedded ledger's durable memory under DATA_DIR: an optional snapshot
// (live state, written by compaction), the journal segments rotated out since
// it, and the active append-only journal, loaded in that order at start-up
// and appended to with group commit.
import { closeSync, existsSync, fsyncSync, ftruncateSync, mkdirSync, openSync, readdirSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { decodeEvent, encodeEvent, type JournalEvent } from './journal-events';
import { encodeFrame, FILE_MAGIC, SNAPSHOT_MAGIC } from './journal-format';
import { readJournal } from './journal-reader';
import { JournalWriter, type JournalFileOps, type WriterStats } from './journal-writer';
import { lockHolder, tryLockFile, type FileLock } from '../../../system/file-lock';

export const JOURNAL_FILE = 'ledger.journal';
export const SNAPSHOT_FILE = 'ledger.snapshot';
const LOCK_FILE = 'LOCK';
const SEGMENT = /^ledger\.(\d+)\.segment$/;

/** A journal rotated out for compaction: `ledger.<gen>.segment`, folded into the snapshot of that gen. */
export function segmentFile(dir: string, gen: number): string {
  return join(dir, `ledger.${gen}.segment`);
}

/** The segments in dir, oldest first. */
export function listSegments(dir: string): Array<{ gen: number; file: string }> {
  return readdirSync(dir)
    .map((name) => SEGMENT.exec(name))
    .filter((match): match is RegExpExecArray => match !== null)
    .map((match) => ({ gen: Number(match[1]), file: join(dir, match[0]) }))
    .sort((a, b) => a.gen - b.gen);
}

/** How a snapshot's records are loaded: record() each in order, then finish(), which answers the snapshot's gen. */
export interface SnapshotSink {
  record(payload: string): void;
  finish(): number;
}

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
  /** Journal records replayed (segments and the active journal), and their bytes. */
  readonly records: number;
  readonly bytes: number;
  readonly ms: number;
  readonly droppedTornBytes: number;
  /** The snapshot loaded first, if any. */
  readonly snapshotRecords: number;
  readonly snapshotBytes: number;
}

export function fsyncDir(dir: string): void {
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

  readonly dir: string;
  /** Bytes in the active journal file: what compaction's threshold (JOURNAL_COMPACT_MB) is measured against. */
  activeBytes: number;
  /** The next segment's number; every segment and snapshot gen is below it. */
  private nextGen: number;

  private constructor(
    private readonly writer: JournalWriter,
    private fd: number,
    private readonly lock: FileLock,
    file: string,
    readonly replay: ReplayFigures,
    activeBytes: number,
    nextGen: number,
    private readonly fsync: boolean,
  ) {
    this.file = file;
    this.dir = resolve(file, '..');
    this.activeBytes = activeBytes;
    this.nextGen = nextGen;
  }

  /**
   * Opens the journal in dataDir, creating it if needed: loads the snapshot
   * (if any) into snapshot, then hands every event of the segments after it
   * and of the active journal to apply(), in order, before any new one can be
   * appended. A segment the snapshot already holds (a compaction stopped
   * after writing it) is removed, never applied twice.
   */
  static open(options: JournalOptions, apply: (event: JournalEvent) => void, snapshot?: SnapshotSink): Journal {
    const dir = resolve(options.dataDir);
    mkdirSync(dir, { recursive: true });
    const lock = takeLock(dir);
    try {
      const file = join(options.dataDir, JOURNAL_FILE);
      const started = performance.now();
      // A compaction that stopped before its rename left only a temporary file: the files it read are all here.
      rmSync(join(dir, `${SNAPSHOT_FILE}.tmp`), { force: true });
      let snapshotGen = 0;
      let snapshotRecords = 0;
      let snapshotBytes = 0;
      const snapshotPath = join(dir, SNAPSHOT_FILE);
      if (existsSync(snapshotPath)) {
        if (!snapshot) throw new Error(`${snapshotPath} exists but nothing was given to load it`);
        const read = readJournal(snapshotPath, (payload) => snapshot.record(payload), SNAPSHOT_MAGIC);
        // A snapshot is fsynced before it is renamed into place: any damage in it is damage, never a torn write.
        if (read.torn) throw new Error(`snapshot ${snapshotPath} is cut short at byte offset ${read.torn.offset} (${read.torn.reason}); restore it from a copy`);
        snapshotGen = snapshot.finish();
        snapshotRecords = read.records;
        snapshotBytes = read.validEnd;
      }
      let records = 0;
      let bytes = 0;
      let maxGen = snapshotGen;
      for (const segment of listSegments(dir)) {
        maxGen = Math.max(maxGen, segment.gen);
        if (segment.gen <= snapshotGen) {
          rmSync(segment.file);
          options.log(`journal segment ${segment.file} is already in the snapshot (gen ${snapshotGen}); removed`);
          continue;
        }
        const read = readJournal(segment.file, (payload) => apply(decodeEvent(payload)));
        if (read.torn) options.warn(`journal segment ${segment.file}: a torn last record at offset ${read.torn.offset} was ignored (${read.torn.reason})`);
        records += read.records;
        bytes += read.validEnd;
      }
      let replay: ReplayFigures = { records, bytes, ms: performance.now() - started, droppedTornBytes: 0, snapshotRecords, snapshotBytes };
      let validEnd = 0;
      if (existsSync(file)) {
        const read = readJournal(file, (payload) => apply(decodeEvent(payload)));
        validEnd = read.validEnd;
        replay = { records: records + read.records, bytes: bytes + read.validEnd, ms: performance.now() - started, droppedTornBytes: read.torn?.bytes ?? 0, snapshotRecords, snapshotBytes };
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
      options.fileOps), appendFd, lock, file, replay, Math.max(validEnd, FILE_MAGIC.length), maxGen + 1, options.fsync);
    } catch (error) {
      lock.release();
      throw error;
    }
  }

  /** Settles once the event is on disk (or written to the OS with fsync off). */
  append(event: JournalEvent): Promise<void> {
    const frame = encodeFrame(encodeEvent(event));
    this.activeBytes += frame.length;
    return this.writer.append(frame);
  }

  /** The segments waiting to be folded into the snapshot, oldest first. */
  segments(): Array<{ gen: number; file: string }> {
    return listSegments(this.dir);
  }

  /**
   * Closes the active journal as segment `ledger.<gen>.segment` between two
   * batches and goes on in a fresh journal; answers the segment's gen. Each
   * step leaves a readable DATA_DIR: the old file is synced before its rename,
   * and the new one holds its header before the directory is synced.
   */
  async rotate(): Promise<number> {
    const gen = this.nextGen++;
    await this.writer.switchFile(() => {
      fsyncSync(this.fd);
      const segment = segmentFile(this.dir, gen);
      renameSync(this.file, segment);
      const created = openSync(this.file, 'w');
      try {
        writeSync(created, FILE_MAGIC, 0, FILE_MAGIC.length, 0);
        if (this.fsync) fsyncSync(created);
      } finally {
        closeSync(created);
      }
      fsyncDir(this.dir);
      closeSync(this.fd);
      this.fd = openSync(this.file, 'a');
      this.activeBytes = statSync(this.file).size;
      return this.fd;
    });
    return gen;
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
