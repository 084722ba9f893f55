// A worker's memory of the tickets its gates have scanned, so that a re-scan
// costs neither an Ed25519 verification nor, once the ledger has said the
// ticket was used, a ledger call; the other workers' uses are learned too
// (checkin-sharing.ts). Bounded (least recently scanned first out).
import type { KeyObject } from 'node:crypto';
import { payloadOfVerified, verifyTicket, type TicketPayload } from './ticket-codec';

/** The ledger's record of a ticket's one admission. */
export interface TicketUse {
  readonly at: number;
  readonly gate: string;
}

export interface ScannedTicket {
  readonly payload: TicketPayload;
  /**
   * When and where the ledger said the ticket was admitted, once it has said
   * so to this worker. An admission never moves, so this is the ledger's
   * answer for every later scan while the ticket's sale is in the ledger.
   */
  use: TicketUse | undefined;
  /** The 409 already_used body for `use`, built on the first refusal and sent as is after that. */
  refusal: string | undefined;
}

export class CheckinMemory {
  private readonly tickets = new Map<string, ScannedTicket>();

  /** capacity 0 remembers nothing: every scan is verified and goes to the ledger. */
  constructor(
    private readonly publicKey: KeyObject,
    readonly capacity: number,
    private readonly verify: (ticket: unknown, publicKey: KeyObject) => TicketPayload = verifyTicket,
  ) {}

  get size(): number {
    return this.tickets.size;
  }

  /**
   * The scanned ticket, its signature verified once per ticket string: the
   * same bytes verify the same way every time, so a remembered string needs no
   * second look. Throws TicketInvalidError as verifyTicket does; a ticket that
   * does not verify is never remembered.
   */
  scan(ticket: unknown): ScannedTicket {
    if (typeof ticket === 'string') {
      const known = this.tickets.get(ticket);
      if (known) {
        // Least recently scanned goes first: a Map iterates in insertion order.
        this.tickets.delete(ticket);
        this.tickets.set(ticket, known);
        return known;
      }
    }
    const scanned: ScannedTicket = { payload: this.verify(ticket, this.publicKey), use: undefined, refusal: undefined };
    if (this.capacity > 0) this.remember(ticket as string, scanned);
    return scanned;
  }

  /**
   * A use the ledger told another worker of (src/tickets/checkin-sharing.ts),
   * of a ticket string that worker verified: remembered as if scanned here.
   */
  learn(ticket: string, use: TicketUse): void {
    if (this.capacity === 0) return;
    const known = this.tickets.get(ticket);
    if (known) {
      known.use ??= use;
      return;
    }
    this.remember(ticket, { payload: payloadOfVerified(ticket), use, refusal: undefined });
  }

  /** Keeps a ticket as the most recently scanned, the least recent out past capacity (a Map iterates in insertion order). */
  private remember(ticket: string, scanned: ScannedTicket): void {
    this.tickets.set(ticket, scanned);
    if (this.tickets.size > this.capacity) this.tickets.delete(this.tickets.keys().next().value!);
  }

  /** Forgets the ticket (its sale left the ledger, whose answer for it has changed). */
  forget(ticket: string): void {
    this.tickets.delete(ticket);
  }
}
