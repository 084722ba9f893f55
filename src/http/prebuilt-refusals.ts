// Refusals a worker sends without I/O, their bodies built once per sale and
// rebuilt only when the sale's times (or its next hold release) change: on
// sale day most requests get one of these, so they must cost no allocation
// beyond the reply.
import type { QuickRefusal, StockKeeper } from '../inventory/stock-keeper';
import type { ReserveOutcome, Sale } from '../ledger';
import { refusalFor, secondsUntil } from './outcome-answers';

export interface PrebuiltAnswer {
  readonly status: number;
  readonly body: string;
  /** The time a Retry-After counts down to (opensAt, the next hold release); 0 for none. */
  readonly retryAt: number;
}

interface Cached {
  /** What the bodies were built from; a sale changed by an operator (or a new release time) rebuilds them. */
  readonly key: string;
  readonly answers: Partial<Record<QuickRefusal, PrebuiltAnswer>>;
}

function build(sale: Sale, kind: QuickRefusal, nextReleaseAt: number): PrebuiltAnswer {
  const outcome: ReserveOutcome =
    kind === 'sold_out' ? { kind, total: sale.total, nextReleaseAt } : kind === 'not_open' ? { kind, opensAt: sale.opensAt ?? 0 } : { kind, closesAt: sale.closesAt ?? 0 };
  const error = refusalFor('reserve', outcome, { saleId: sale.id });
  if (!error) throw new Error(`${kind} is not a refusal in the outcome table`);
  const retryAt = kind === 'not_open' ? (sale.opensAt ?? 0) : kind === 'sold_out' ? nextReleaseAt : 0;
  return { status: error.status, body: JSON.stringify(error.toJSON()), retryAt };
}

export class PrebuiltRefusals {
  private readonly cache = new Map<string, Cached>();

  constructor(private readonly keeper: StockKeeper) {}

  /** The prebuilt answer for this buyer, or undefined when the request must go through a purchase. */
  for(saleId: string, now: number): PrebuiltAnswer | undefined {
    const kind = this.keeper.quickRefusal(saleId, undefined, now);
    if (!kind) return undefined;
    const sale = this.keeper.peekSale(saleId)!;
    const nextReleaseAt = this.keeper.nextReleaseAt(saleId, now);
    const key = `${sale.opensAt}|${sale.closesAt}|${nextReleaseAt}`;
    let cached = this.cache.get(saleId);
    if (!cached || cached.key !== key) this.cache.set(saleId, (cached = { key, answers: {} }));
    return (cached.answers[kind] ??= build(sale, kind, nextReleaseAt));
  }

  /** The Retry-After header's value for an answer, or undefined when it has none. */
  static retryAfter(answer: PrebuiltAnswer, now: number): string | undefined {
    return answer.retryAt > 0 ? String(secondsUntil(answer.retryAt, now)) : undefined;
  }
}
