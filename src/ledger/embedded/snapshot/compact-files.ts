// One compaction, from files to files: the snapshot and the segments after it
// are replayed into a fresh state, which is written as the next snapshot. It
// never reads the live ledger's memory, so it runs on its own thread while the
// primary keeps selling. Crash-safe at every step: the new snapshot is written
// to a temporary file, fsynced and renamed over the old one; only then are the
// segments it holds removed (and a restart removes any it finds already held).
import { closeSync, existsSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { applyEvent } from '../apply-event';
import { decodeEvent } from '../journal/journal-events';
import { encodeFrame, SNAPSHOT_MAGIC } from '../journal/journal-format';
import { fsyncDir, SNAPSHOT_FILE } from '../journal/journal';
import { readJournal } from '../journal/journal-reader';
import { emptyState } from '../state';
import { dumpSnapshot, SnapshotLoader } from './snapshot-codec';

export interface CompactionJob {
  readonly dataDir: string;
  /** The snapshot to write holds every segment up to and including this gen. */
  readonly gen: number;
  /** The segments to fold in, oldest first. */
  readonly segments: readonly string[];
  readonly feedMaxEvents: number;
  /** Tests only: stop as a crash would, before or after the snapshot's rename. */
  readonly stopAt?: 'before-rename' | 'after-rename';
}

export interface CompactionResult {
  readonly gen: number;
  readonly sales: number;
  readonly orders: number;
  readonly records: number;
  readonly snapshotBytes: number;
  readonly segmentsFolded: number;
  readonly segmentBytes: number;
  readonly ms: number;
}

/** Writes frames through a 1 MiB buffer. */
class FrameFile {
  private chunks: Buffer[] = [];
  private pending = 0;
  written = 0;

  constructor(private readonly fd: number) {}

  add(bytes: Buffer): void {
    this.chunks.push(bytes);
    this.pending += bytes.length;
    if (this.pending >= 1 << 20) this.flush();
  }

  flush(): void {
    if (this.pending === 0) return;
    const bytes = Buffer.concat(this.chunks, this.pending);
    let at = 0;
    while (at < bytes.length) at += writeSync(this.fd, bytes, at, bytes.length - at);
    this.written += bytes.length;
    this.chunks = [];
    this.pending = 0;
  }
}

export function compactFiles(job: CompactionJob): CompactionResult {
  const started = performance.now();
  const state = emptyState(job.feedMaxEvents);
  const snapshotPath = join(job.dataDir, SNAPSHOT_FILE);
  if (existsSync(snapshotPath)) {
    const loader = new SnapshotLoader(state);
    const read = readJournal(snapshotPath, (payload) => loader.record(payload), SNAPSHOT_MAGIC);
    if (read.torn) throw new Error(`snapshot ${snapshotPath} is cut short at byte offset ${read.torn.offset}`);
    loader.finish();
    if (loader.gen >= job.gen) throw new Error(`snapshot ${snapshotPath} already holds gen ${loader.gen}; asked to write gen ${job.gen}`);
  }
  let segmentBytes = 0;
  for (const segment of job.segments) {
    const read = readJournal(segment, (payload) => applyEvent(state, decodeEvent(payload)));
    segmentBytes += read.validEnd;
  }

  const temp = `${snapshotPath}.tmp`;
  const fd = openSync(temp, 'w');
  let records: number;
  let snapshotBytes: number;
  try {
    const out = new FrameFile(fd);
    out.add(SNAPSHOT_MAGIC);
    records = dumpSnapshot(state, job.gen, Date.now(), (payload) => out.add(encodeFrame(payload)));
    out.flush();
    fsyncSync(fd);
    snapshotBytes = out.written;
  } finally {
    closeSync(fd);
  }
  if (job.stopAt === 'before-rename') return result();
  renameSync(temp, snapshotPath);
  fsyncDir(job.dataDir);
  if (job.stopAt === 'after-rename') return result();
  for (const segment of job.segments) rmSync(segment, { force: true });
  fsyncDir(job.dataDir);
  return result();

  function result(): CompactionResult {
    let orders = 0;
    for (const sale of state.sales.values()) orders += sale.orders.size;
    return { gen: job.gen, sales: state.sales.size, orders, records, snapshotBytes, segmentsFolded: job.segments.length, segmentBytes, ms: performance.now() - started };
  }
}
