// Reads a journal front to back, handing each intact record to the caller.
// Only a record cut short by the end of the file (or a zero-filled tail) is what
// a crash mid-write leaves behind, reported as torn; any other damage, the last
// full-length record's included, stops the read with the file and offset.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { checksum, FILE_MAGIC, FRAME_HEADER_BYTES, MAX_PAYLOAD_BYTES } from './journal-format';

const CHUNK_BYTES = 8 * 1024 * 1024;

export class JournalCorruptError extends Error {
  constructor(readonly file: string, readonly offset: number, reason: string) {
    super(
      `journal ${file} is corrupt at byte offset ${offset}: ${reason}. ` +
        `Refusing to start rather than lose the orders after it. Every record before offset ${offset} is intact; ` +
        `restore the file from a copy, or, if you accept losing what follows, keep only the intact part with: truncate -s ${offset} ${file}`,
    );
    this.name = 'JournalCorruptError';
  }
}

export interface TornTail {
  readonly offset: number;
  readonly bytes: number;
  readonly reason: string;
}

export interface ReadResult {
  readonly records: number;
  /** Where the intact part ends; appends continue from here. */
  readonly validEnd: number;
  readonly fileSize: number;
  readonly torn: TornTail | null;
}

/** magic: the journal's file header, or the snapshot's (same frames, another header). */
export function readJournal(file: string, onRecord: (payload: string, offset: number) => void, magic: Buffer = FILE_MAGIC): ReadResult {
  const fd = openSync(file, 'r');
  try {
    return new Reader(file, fd, magic).read(onRecord);
  } finally {
    closeSync(fd);
  }
}

class Reader {
  private readonly size: number;
  private data = Buffer.alloc(0);
  /** File offset of data[0]. */
  private base = 0;

  constructor(private readonly file: string, private readonly fd: number, private readonly fileMagic: Buffer) {
    this.size = fstatSync(fd).size;
  }

  read(onRecord: (payload: string, offset: number) => void): ReadResult {
    const magic = this.fileMagic.length;
    if (this.size < magic) {
      const head = this.bytes(0, this.size);
      if (this.fileMagic.subarray(0, this.size).equals(head)) {
        return { records: 0, validEnd: 0, fileSize: this.size, torn: this.size > 0 ? { offset: 0, bytes: this.size, reason: 'the file header was cut short' } : null };
      }
      throw new JournalCorruptError(this.file, 0, 'this is not a spike journal (bad file header)');
    }
    if (!this.bytes(0, magic).equals(this.fileMagic)) throw new JournalCorruptError(this.file, 0, 'this is not a spike journal (bad file header)');

    let offset = magic;
    let records = 0;
    while (offset < this.size) {
      const remaining = this.size - offset;
      if (remaining < FRAME_HEADER_BYTES) return this.torn(records, offset, 'a record header was cut short');
      this.ensure(offset, FRAME_HEADER_BYTES);
      const at = offset - this.base;
      const length = this.data.readUInt32LE(at);
      const expected = this.data.readUInt32LE(at + 4);
      if (checksum(this.data.subarray(at, at + 8)) !== this.data.readUInt32LE(at + 8)) {
        if (this.zeroFrom(offset)) return this.torn(records, offset, 'the tail is zero-filled');
        throw new JournalCorruptError(this.file, offset, 'record header checksum mismatch');
      }
      if (length === 0 || length > MAX_PAYLOAD_BYTES) throw new JournalCorruptError(this.file, offset, `record length ${length} is outside 1-${MAX_PAYLOAD_BYTES}`);
      const end = offset + FRAME_HEADER_BYTES + length;
      if (end > this.size) return this.torn(records, offset, `the last record needs ${length} payload bytes, the file holds ${remaining - FRAME_HEADER_BYTES}`);
      this.ensure(offset, FRAME_HEADER_BYTES + length);
      const start = offset - this.base;
      const payload = this.data.subarray(start + FRAME_HEADER_BYTES, start + FRAME_HEADER_BYTES + length);
      if (checksum(payload) !== expected) {
        // A full-length last record was written whole, so its bytes were there to be
        // acknowledged: a flipped bit in it is damage. Only a tail the file system
        // extended but never filled (zeros; JSON holds no NUL byte) is a torn write.
        if (end === this.size && payload[payload.length - 1] === 0) return this.torn(records, offset, 'the last record ends in zero bytes that never reached the disk');
        throw new JournalCorruptError(this.file, offset, 'record checksum mismatch');
      }
      try {
        onRecord(payload.toString('utf8'), offset);
      } catch (error) {
        if (error instanceof JournalCorruptError) throw error;
        throw new JournalCorruptError(this.file, offset, `the record does not apply: ${(error as Error).message}`);
      }
      records++;
      offset = end;
    }
    return { records, validEnd: offset, fileSize: this.size, torn: null };
  }

  private torn(records: number, offset: number, reason: string): ReadResult {
    return { records, validEnd: offset, fileSize: this.size, torn: { offset, bytes: this.size - offset, reason } };
  }

  /** Makes data hold [offset, offset + length), reading the next chunk when needed. */
  private ensure(offset: number, length: number): void {
    if (offset >= this.base && offset + length <= this.base + this.data.length) return;
    const want = Math.min(Math.max(CHUNK_BYTES, length), this.size - offset);
    const next = Buffer.allocUnsafe(want);
    let filled = 0;
    while (filled < want) {
      const n = readSync(this.fd, next, filled, want - filled, offset + filled);
      if (n === 0) throw new JournalCorruptError(this.file, offset + filled, 'the file shrank while being read');
      filled += n;
    }
    this.data = next;
    this.base = offset;
  }

  private bytes(offset: number, length: number): Buffer {
    const out = Buffer.alloc(length);
    if (length > 0) readSync(this.fd, out, 0, length, offset);
    return out;
  }

  private zeroFrom(offset: number): boolean {
    for (let at = offset; at < this.size; at += CHUNK_BYTES) {
      const part = this.bytes(at, Math.min(CHUNK_BYTES, this.size - at));
      if (part.some((byte) => byte !== 0)) return false;
    }
    return true;
  }
}
