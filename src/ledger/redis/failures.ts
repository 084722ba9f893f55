// Which Redis failures mean "the ledger is away" (503, retry with the key)
// and which are bugs. A reply error from a running script is a bug, unless
// Redis says it cannot serve right now (loading, failing over, read-only).
import { ReplyError } from 'ioredis';
import { LedgerUnavailableError } from '../../errors/errors';

/**
 * Reply errors that mean "not now" rather than "wrong": the node is loading,
 * failing over or a replica, or the slot moved under a pipeline (which ioredis
 * does not follow for writes); the retry with the same key goes to the right node.
 */
const TRANSIENT_REPLY = /^(LOADING|BUSY|TRYAGAIN|CLUSTERDOWN|MASTERDOWN|READONLY|NOREPLICAS|MOVED|ASK)\b/;

export function isLedgerUnavailable(error: unknown): boolean {
  if (error instanceof ReplyError) return TRANSIENT_REPLY.test((error as Error).message);
  // Everything else ioredis raises is about the connection: closed, reset, timed out, not writeable.
  return true;
}

/** Runs one Redis call; an outage becomes LedgerUnavailableError (503), a bug stays what it is. */
export async function callRedis<T>(url: string, command: () => Promise<T>): Promise<T> {
  try {
    return await command();
  } catch (error) {
    if (!isLedgerUnavailable(error)) throw error;
    throw new LedgerUnavailableError(`the ledger at ${url} did not answer: ${(error as Error).message ?? String(error)}`, error);
  }
}
