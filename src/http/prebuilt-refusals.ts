// Refusals a worker sends without I/O, their bodies built once per sale: on
// sale day most requests get one of these, so they must cost no allocation
// beyond the reply.
import type { QuickRefusal, StockKeeper } from '../inventory/stock-keeper';
import type { Sale } from '../ledger';
import { answerFor } from './outcome-answers';

export interface PrebuiltAnswer {
  readonly status: number;
  readonly body: string;
}

function build(sale: Sale, kind: QuickRefusal): PrebuiltAnswer {
  const outcome = kind === 'sold_out' ? ({ kind, total: sale.total } as const) : ({ kind, opensAt: sale.opensAt ?? 0 } as const);
  const answer = answerFor('reserve', outcome, { saleId: sale.id });
  if (!('error' in answer)) throw new Error(`${kind} is not a refusal in the outcome table`);
  return { status: answer.error.status, body: JSON.stringify(answer.error.toJSON()) };
}

export class PrebuiltRefusals {
  private readonly cache = new Map<string, Partial<Record<QuickRefusal, PrebuiltAnswer>>>();

  constructor(private readonly keeper: StockKeeper) {}

  /** The prebuilt answer for this buyer, or undefined when the request must go through a purchase. */
  for(saleId: string, now: number): PrebuiltAnswer | undefined {
    const kind = this.keeper.quickRefusal(saleId, undefined, now);
    if (!kind) return undefined;
    let bySale = this.cache.get(saleId);
    if (!bySale) this.cache.set(saleId, (bySale = {}));
    return (bySale[kind] ??= build(this.keeper.peekSale(saleId)!, kind));
  }
}
