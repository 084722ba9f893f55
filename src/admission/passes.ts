// Queue tickets and passes: opaque signed tokens. A ticket names a buyer's
// entry in a sale's line; a pass names sale, buyer, admitted place (its id:
// one pass per place) and expiry. Checking either costs one HMAC, no I/O.
import { spikeError } from '../errors/errors';
import type { PassClaim, QueueEntry } from '../ledger';
import { TokenSigner } from './signed-token';

export class AdmissionTokens {
  readonly tickets: TokenSigner;
  readonly passes: TokenSigner;
  readonly challenges: TokenSigner;

  constructor(secret: string) {
    this.tickets = new TokenSigner(secret, 'queue-ticket');
    this.passes = new TokenSigner(secret, 'pass');
    this.challenges = new TokenSigner(secret, 'pow-challenge');
  }

  ticket(saleId: string, userId: string, entry: QueueEntry): string {
    return this.tickets.sign([saleId, userId, entry.pre ? 1 : 0, entry.number]);
  }

  openTicket(saleId: string, ticket: string): { userId: string; entry: QueueEntry } {
    const fields = this.tickets.open(ticket);
    if (!fields || fields.length !== 4 || fields[0] !== saleId) throw spikeError('QUEUE_TICKET_INVALID', { saleId });
    return { userId: fields[1]!, entry: { pre: fields[2] === '1', number: Number(fields[3]) } };
  }

  pass(saleId: string, userId: string, claim: PassClaim): string {
    return this.passes.sign([saleId, userId, claim.place, claim.expiresAt]);
  }

  /** The pass's claim for this buyer and sale; pass_invalid or pass_expired otherwise. */
  openPass(saleId: string, userId: string, pass: string, now: number): PassClaim {
    const fields = this.passes.open(pass);
    if (!fields || fields.length !== 4 || fields[0] !== saleId || fields[1] !== userId) throw spikeError('PASS_INVALID', { saleId, userId });
    const claim = { place: Number(fields[2]), expiresAt: Number(fields[3]) };
    if (now >= claim.expiresAt) throw spikeError('PASS_EXPIRED', { saleId });
    return claim;
  }
}
