// The pre-queue's draw: a keyed pseudo-random permutation of [0, n), so the
// place of pre-queue number i is computed on demand for one buyer, with no
// O(n) work at opening. A balanced Feistel network over the smallest even
// number of bits that holds n, with cycle-walking to stay inside [0, n)
// (Black and Rogaway's construction for format-preserving permutations).
// The round function is HMAC-SHA256(key, round || value); the key is
// published after opening so anyone can recompute every place.
import { createHmac } from 'node:crypto';

export const SHUFFLE_ROUNDS = 8;

function bitsFor(n: number): number {
  let bits = 2;
  while (2 ** bits < n) bits += 2;
  return bits;
}

function round(key: Buffer, r: number, value: number, mask: number): number {
  const mac = createHmac('sha256', key).update(`${r}:${value}`).digest();
  return mac.readUInt32BE(0) & mask;
}

function feistel(key: Buffer, x: number, half: number): number {
  const mask = 2 ** half - 1;
  let left = Math.floor(x / 2 ** half);
  let right = x & mask;
  for (let r = 0; r < SHUFFLE_ROUNDS; r++) {
    const next = (left ^ round(key, r, right, mask)) >>> 0;
    left = right;
    right = next;
  }
  return left * 2 ** half + right;
}

/** The place (0-based) of pre-queue number i among n, under the hex key. */
export function shuffledPlace(keyHex: string, i: number, n: number): number {
  if (!Number.isInteger(i) || i < 0 || i >= n) throw new RangeError(`pre-queue number ${i} is outside [0, ${n})`);
  if (n > 2 ** 30) throw new RangeError('a pre-queue of more than 2^30 buyers');
  const key = Buffer.from(keyHex, 'hex');
  const half = bitsFor(n) / 2;
  let x = i;
  // Cycle-walking: a permutation of [0, 4^half) restricted to [0, n) by
  // re-applying it until the value lands inside; expected fewer than 4 steps.
  do x = feistel(key, x, half);
  while (x >= n);
  return x;
}
