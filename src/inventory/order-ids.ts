// The ids a purchase carries into the ledger: the order id it would create,
// and the request key that names the attempt across retries.
import { randomBytes } from 'node:crypto';

/** Order ids carry their sale id so an order can be found on its sale's shard. */
export function newOrderId(saleId: string): string {
  return `${saleId}.${randomBytes(9).toString('base64url')}`;
}

/** A key for a buyer who sent none, so that a 503 can hand it back and a retry with it never reserves twice. */
export function newRetryKey(): string {
  return `auto-${randomBytes(12).toString('base64url')}`;
}

/**
 * The ledger's name for an attempt: the Idempotency-Key (the client's or one
 * made for it) scoped to its buyer, so one buyer sending another's key makes a
 * purchase of its own: it can neither read the other's order nor squat the key.
 */
export function requestKeyOf(userId: string, idempotencyKey: string): string {
  return `k:${userId}:${idempotencyKey}`;
}
