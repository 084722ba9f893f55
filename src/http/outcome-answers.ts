// A ledger outcome as an HTTP answer, by the one outcome table
// (src/ledger/outcomes.ts): a success's status and whether it replays an
// earlier request, or the SpikeError a refusal names, with its message filled
// from the outcome and the request, and the headers and fields a client can
// act on (Retry-After, nextReleaseAt).
import { isoTime, spikeErrorFrom, type SpikeError } from '../errors/errors';
import { outcomeSpec, type Command, type Order, type OutcomeOf } from '../ledger';
import type { Exchange } from './respond';
import { orderToJson } from './views';
import { ticketIdOf } from '../tickets';

/** What the request named, for the messages: the sale, the buyer, the order. */
export interface OutcomeContext {
  readonly saleId?: string;
  readonly userId?: string;
  readonly orderId?: string;
  readonly ticketId?: string;
  /** A trip's stations by name (a train's refusals otherwise show their indexes). */
  readonly from?: string;
  readonly to?: string;
}

export type Answer = { readonly status: number; readonly order: Order; readonly replayed: boolean } | { readonly error: SpikeError };

/** Whole seconds from now until `at`, at least 1: the Retry-After a client should wait. */
export function secondsUntil(at: number, now: number): number {
  return Math.max(1, Math.ceil((at - now) / 1000));
}

/** The SpikeError a refusal names, or undefined for a success. */
export function refusalFor<C extends Command>(command: C, outcome: OutcomeOf<C>, context: OutcomeContext, now = Date.now()): SpikeError | undefined {
  const spec = outcomeSpec(command, outcome.kind as string)!;
  if (spec.error === undefined) return undefined;
  const fields = outcome as Record<string, unknown> & { order?: Order };
  const values: Record<string, string | number> = { ...context };
  const order = fields.order;
  if (order) {
    values.orderId = order.orderId;
    values.saleId ??= order.saleId;
    values.userId ??= order.userId;
    values.expiredAt = isoTime(order.expiresAt ?? order.updatedAt);
  }
  for (const count of ['perUserLimit', 'maxCancelsPerBuyer', 'sold', 'orders'] as const) if (typeof fields[count] === 'number') values[count] = fields[count];
  for (const station of ['from', 'to'] as const) if (typeof fields[station] === 'number') values[station] ??= fields[station];
  for (const time of ['opensAt', 'closesAt'] as const) if (typeof fields[time] === 'number') values[time] = isoTime(fields[time]);
  // A check-in refused: when and where the ticket was used, or why it no longer admits.
  if (typeof fields.at === 'number') values.usedAt = isoTime(fields.at);
  if (typeof fields.gate === 'string') values.gate = fields.gate;
  if (command === 'checkIn') {
    values.reason = order ? `its order is ${order.state}` : 'its order no longer exists';
    if (values.orderId !== undefined) values.ticketId ??= ticketIdOf(String(values.orderId));
  }
  const nextReleaseAt = typeof fields.nextReleaseAt === 'number' && fields.nextReleaseAt > 0 ? fields.nextReleaseAt : null;
  if (nextReleaseAt !== null) values.nextReleaseAt = isoTime(nextReleaseAt);
  const error = spikeErrorFrom(nextReleaseAt !== null && spec.errorWhileHeld ? spec.errorWhileHeld : spec.error, values);
  if (nextReleaseAt !== null) {
    // Polite clients come back when a held ticket may return, not before.
    error.details = { nextReleaseAt: isoTime(nextReleaseAt) };
    error.withHeaders({ 'retry-after': String(secondsUntil(nextReleaseAt, now)) });
  }
  if (spec.error === 'NOT_OPEN' && typeof fields.opensAt === 'number') error.withHeaders({ 'retry-after': String(secondsUntil(fields.opensAt, now)) });
  return error;
}

export function answerFor<C extends Command>(command: C, outcome: OutcomeOf<C>, context: OutcomeContext): Answer {
  const error = refusalFor(command, outcome, context);
  if (error) return { error };
  const spec = outcomeSpec(command, outcome.kind as string)!;
  return { status: spec.status!, order: (outcome as { order?: Order }).order!, replayed: spec.replayed === true };
}

/** Sends a success as the order (marked when it replays an earlier request); throws a refusal for the handler to send. */
export function sendAnswer(exchange: Exchange, answer: Answer): void {
  if ('error' in answer) throw answer.error;
  exchange.sendJson(answer.status, orderToJson(answer.order), answer.replayed ? { 'idempotent-replayed': 'true' } : undefined);
}
