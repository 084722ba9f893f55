// The ids a purchase carries into the ledger: the order id it would create,
// and the request key that names the attempt across retries.
import { randomFillSync } from 'node:crypto';

/**
 * Random bytes drawn 4 KiB at a time: a purchase takes two or three ids, and
 * one randomBytes() call each (an allocation and a trip into OpenSSL) was 6%
 * of a worker's CPU under ab. Every byte is used once, as randomBytes would.
 */
const POOL_BYTES = 4096;
let pool = Buffer.alloc(0);
let used = 0;

/** `bytes` fresh random bytes as base64url. */
export function randomToken(bytes: number): string {
  if (used + bytes > pool.length) {
    pool = randomFillSync(Buffer.allocUnsafe(POOL_BYTES));
    used = 0;
  }
  const token = pool.toString('base64url', used, used + bytes);
  used += bytes;
  return token;
}

/** Order ids carry their sale id so an order can be found on its sale's shard. */
export function newOrderId(saleId: string): string {
  return `${saleId}.${randomToken(9)}`;
}

/** A key for a buyer who sent none, so that a 503 can hand it back and a retry with it never reserves twice. */
export function newRetryKey(): string {
  return `auto-${randomToken(12)}`;
}

/**
 * The ledger's name for an attempt: the Idempotency-Key (the client's or one
 * made for it) scoped to its buyer, so one buyer sending another's key makes a
 * purchase of its own: it can neither read the other's order nor squat the key.
 */
export function requestKeyOf(userId: string, idempotencyKey: string): string {
  return `k:${userId}:${idempotencyKey}`;
}
