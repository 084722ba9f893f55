// A ledger outcome as an HTTP answer, by the one outcome table
// (src/ledger/outcomes.ts): a success's status and whether it replays an
// earlier request, or the SpikeError a refusal names, with its message filled
// from the outcome and the request.
import { isoTime, spikeErrorFrom, type SpikeError } from '../errors/errors';
import { outcomeSpec, type Command, type Order, type OutcomeOf } from '../ledger';
import type { Exchange } from './respond';
import { orderToJson } from './views';

/** What the request named, for the messages: the sale, the buyer, the order. */
export interface OutcomeContext {
  readonly saleId?: string;
  readonly userId?: string;
  readonly orderId?: string;
  readonly ticketId?: string;
}

export type Answer = { readonly status: number; readonly order: Order; readonly replayed: boolean } | { readonly error: SpikeError };

export function answerFor<C extends Command>(command: C, outcome: OutcomeOf<C>, context: OutcomeContext): Answer {
  const spec = outcomeSpec(command, outcome.kind as string)!;
  const fields = outcome as Record<string, unknown> & { order?: Order };
  if (spec.error === undefined) return { status: spec.status!, order: fields.order!, replayed: spec.replayed === true };
  const values: Record<string, string | number> = { ...context };
  const order = fields.order;
  if (order) {
    values.orderId = order.orderId;
    values.expiredAt = isoTime(order.expiresAt ?? order.updatedAt);
  }
  if (typeof fields.perUserLimit === 'number') values.perUserLimit = fields.perUserLimit;
  if (typeof fields.opensAt === 'number') values.opensAt = isoTime(fields.opensAt);
  if (typeof fields.closesAt === 'number') values.closesAt = isoTime(fields.closesAt);
  // A check-in refused: when and where the ticket was used, or why it no longer admits.
  if (typeof fields.at === 'number') values.usedAt = isoTime(fields.at);
  if (typeof fields.gate === 'string') values.gate = fields.gate;
  values.reason = order ? `its order is ${order.state}` : 'its order no longer exists';
  return { error: spikeErrorFrom(spec.error, values) };
}

/** Sends a success as the order (marked when it replays an earlier request); throws a refusal for the handler to send. */
export function sendAnswer(exchange: Exchange, answer: Answer): void {
  if ('error' in answer) throw answer.error;
  exchange.sendJson(answer.status, orderToJson(answer.order), answer.replayed ? { 'idempotent-replayed': 'true' } : undefined);
}
