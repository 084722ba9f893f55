// What a watcher of the live line (/ws/sales/:id) may send and is told, the
// same whichever server holds its connection: uWS (QueueSocket) or, behind
// BALANCER=handoff, the worker's Node side (NodeWatchServer).

/** Sales one connection may watch at once. */
export const MAX_SUBSCRIPTIONS = 4;
/** A watcher this far behind (bytes not yet taken by its socket) is skipped until it catches up; the next push supersedes the missed one. */
export const MAX_BACKPRESSURE = 16 * 1024;
/** A sale id as the routes take it. */
export const SALE_ID = /^[A-Za-z0-9_-]{1,64}$/;
/** The answer to an upgrade whose sale id is malformed (400). */
export const BAD_SALE_ID = 'sale id must be 1-64 characters of A-Z a-z 0-9 _ -';
/** The answer to a message that is not {"subscribe":"<sale id>"}. */
export const SUBSCRIBE_USAGE = JSON.stringify({ type: 'error', code: 'invalid_field', message: 'send {"subscribe":"<sale id>"}' });
/** The answer to a subscription past MAX_SUBSCRIPTIONS. */
export const TOO_MANY_SUBSCRIPTIONS = JSON.stringify({ type: 'error', code: 'too_many_subscriptions', message: `one connection watches at most ${MAX_SUBSCRIPTIONS} sales` });

/** The sale a {"subscribe":"<sale id>"} message names, or null for anything else. */
export function subscribeTarget(text: string): string | null {
  let saleId: unknown;
  try {
    saleId = (JSON.parse(text) as { subscribe?: unknown } | null)?.subscribe;
  } catch {
    return null;
  }
  return typeof saleId === 'string' && SALE_ID.test(saleId) ? saleId : null;
}
