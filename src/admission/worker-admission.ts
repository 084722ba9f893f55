// The waiting room as a worker serves it: joining (rate limit, proof of work,
// one ledger round trip), a buyer's place from the broadcast line figures (no
// I/O), passes for admitted places, and the pass check on a purchase (one HMAC).
import { spikeError } from '../errors/errors';
import { answerFor } from '../http/outcome-answers';
import { queueSoldOut, saleWindow, type Ledger, type PassClaim, type QueueEntry, type QueueStatus, type Sale } from '../ledger';
import { AdmissionTokens } from './passes';
import { checkSolution, difficultyFor, issueChallenge, type Challenge } from './proof-of-work';
import { QueueBoard, type PlaceView } from './queue-board';
import { RateLimiter } from './rate-limiter';

export interface AdmissionSettings {
  readonly secret: string;
  readonly rateLimitPerSecond: number;
  readonly rateLimitBurst: number;
  readonly challengeTtlMs: number;
}

/** What a buyer is told about their place: their entry's view, the ticket, and the pass once admitted. */
export interface TicketAnswer extends PlaceView {
  readonly saleId: string;
  readonly userId: string;
  readonly ticket: string;
  /** Number in the pre-queue (the draw's input, for checking the published shuffle), or null behind it. */
  readonly preQueueNumber: number | null;
  readonly pass: string | null;
}

export class WorkerAdmission {
  readonly board = new QueueBoard();
  readonly tokens: AdmissionTokens;
  readonly limiter: RateLimiter;

  constructor(private readonly ledger: Ledger, private readonly settings: AdmissionSettings) {
    if (settings.secret.length < 16) throw new Error('a worker needs ADMISSION_SECRET (at least 16 characters), which the primary hands it');
    this.tokens = new AdmissionTokens(settings.secret);
    this.limiter = new RateLimiter(settings.rateLimitPerSecond, settings.rateLimitBurst);
  }

  challenge(sale: Sale, now: number): Challenge {
    const admission = requireQueue(sale);
    const difficulty = difficultyFor(admission.difficulty, admission.maxDifficulty, this.board.rates(sale.id, now).joins);
    return issueChallenge(this.tokens.challenges, sale.id, difficulty, this.settings.challengeTtlMs, now);
  }

  async join(sale: Sale, userId: string, body: Record<string, unknown>, address: string, now: number): Promise<{ status: number; answer: TicketAnswer }> {
    const admission = requireQueue(sale);
    this.limiter.take(address, now);
    const solved = admission.difficulty > 0 ? checkSolution(this.tokens.challenges, sale.id, body.challenge, body.nonce, now) : undefined;
    const outcome = await this.ledger.joinQueue({ saleId: sale.id, userId, now, ...(solved ? { challengeId: solved.id, challengeExpiresAt: solved.expiresAt } : {}) });
    const answer = answerFor('join', outcome, { saleId: sale.id, userId });
    if ('error' in answer) throw answer.error;
    const { pre, number } = outcome as { pre: number; number: number };
    return { status: answer.status, answer: this.ticketAnswer(sale, userId, { pre: pre === 1, number }, Date.now()) };
  }

  /** The buyer's place now, from the ticket alone. */
  lookup(sale: Sale, ticket: string, now: number): TicketAnswer {
    requireQueue(sale);
    const { userId, entry } = this.tokens.openTicket(sale.id, ticket);
    return this.ticketAnswer(sale, userId, entry, now);
  }

  /**
   * The pass check of a purchase in a queue sale (one HMAC, no I/O): the
   * claim the ledger spends with the reservation, or the refusal. Open sales
   * pass through untouched.
   */
  checkPurchase(sale: Sale, userId: string, pass: string, address: string, now: number): PassClaim | undefined {
    if (!sale.admission) return undefined;
    this.limiter.take(address, now);
    if (pass === '') throw spikeError('PASS_REQUIRED', { saleId: sale.id });
    return this.tokens.openPass(sale.id, userId, pass, now);
  }

  /** The line's figures as pushed to the sale's watchers. */
  statusMessage(sale: Sale, status: QueueStatus, now: number) {
    const remaining = Math.max(0, status.total - status.sold);
    return {
      type: 'status',
      saleId: status.saleId,
      status: lineStatus(sale, status, now),
      serving: status.serving,
      preQueue: status.pre,
      inLine: status.pre + status.post,
      drawn: status.drawn,
      total: status.total,
      remaining,
      held: status.sold - status.paid,
      admitRate: Math.round(this.board.rates(status.saleId, now).admitted * 10) / 10,
      opensAt: sale.opensAt === null ? null : new Date(sale.opensAt).toISOString(),
      at: status.at,
    };
  }

  private ticketAnswer(sale: Sale, userId: string, entry: QueueEntry, now: number): TicketAnswer {
    const admission = sale.admission!;
    const status = this.board.status(sale.id);
    const view = status ? this.board.view(admission, status, entry, now) : UNKNOWN_YET;
    const pass = view.state === 'admitted' && view.place !== null ? this.tokens.pass(sale.id, userId, { place: view.place - 1, expiresAt: view.passExpiresAt! }) : null;
    return { saleId: sale.id, userId, ticket: this.tokens.ticket(sale.id, userId, entry), preQueueNumber: entry.pre ? entry.number : null, ...view, pass };
  }
}

function requireQueue(sale: Sale) {
  if (!sale.admission) throw spikeError('NOT_QUEUE_SALE', { saleId: sale.id });
  return sale.admission;
}

/** Before this worker hears its first tick for the sale (its first tenth of a second): in line, place not known yet. */
const UNKNOWN_YET: PlaceView = { state: 'waiting', place: null, ahead: null, estimatedWaitSeconds: null, passExpiresAt: null, serving: 0, admitRate: 0 };

/** The sale's state for its watchers: sold out only when no hold could come back. */
export function lineStatus(sale: Sale, status: QueueStatus, now: number): 'scheduled' | 'open' | 'sold_out' | 'closed' {
  const window = saleWindow(sale, now);
  if (window !== 'open') return window === 'closed' ? 'closed' : 'scheduled';
  return queueSoldOut(status) ? 'sold_out' : 'open';
}
