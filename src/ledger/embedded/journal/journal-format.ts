// The journal's byte layout: an 8-byte file header, then frames of
//   [u32 LE payload length][u32 LE CRC-32 of payload][u32 LE CRC-32 of the 8 bytes before][payload, UTF-8]
// The header's own checksum makes the length trustworthy, so a frame that runs
// past the end of the file is surely a torn write and not a damaged length.
import { crc32 } from 'node:zlib';

export const FILE_MAGIC = Buffer.from('SPIKEJ01', 'latin1');
/** A snapshot (snapshot/snapshot-codec.ts) has the journal's frames behind its own header. */
export const SNAPSHOT_MAGIC = Buffer.from('SPIKES01', 'latin1');
export const FRAME_HEADER_BYTES = 12;
/** No real event comes near this; a larger length is a bug or damage, never data. */
export const MAX_PAYLOAD_BYTES = 64 * 1024;

export function encodeFrame(payload: string): Buffer {
  const length = Buffer.byteLength(payload);
  if (length === 0 || length > MAX_PAYLOAD_BYTES) throw new RangeError(`journal record of ${length} bytes; allowed 1-${MAX_PAYLOAD_BYTES}`);
  const frame = Buffer.allocUnsafe(FRAME_HEADER_BYTES + length);
  frame.write(payload, FRAME_HEADER_BYTES, 'utf8');
  frame.writeUInt32LE(length, 0);
  frame.writeUInt32LE(crc32(frame.subarray(FRAME_HEADER_BYTES)), 4);
  frame.writeUInt32LE(crc32(frame.subarray(0, 8)), 8);
  return frame;
}

export function checksum(bytes: Buffer): number {
  return crc32(bytes);
}
