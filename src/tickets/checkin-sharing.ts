// Tells the other workers, through the primary, each use the ledger reported
// to this worker, and teaches this worker's memory theirs: a gate's re-scan
// lands on any worker (the balancer spreads connections, not tickets), and
// without this each worker would verify and ask the ledger once more.
import type { CheckinsSeenMessage } from '../ipc/messages';
import type { CheckinMemory, TicketUse } from './checkin-memory';

/** Uses sent in one message at most; more wait for the next. */
const BATCH = 500;

export class CheckinSharing {
  private outbox: Array<readonly [string, number, string]> = [];
  private scheduled = false;

  /** `send` reaches the primary, which forwards to every other worker; `delayMs` gathers uses into one message. */
  constructor(private readonly memory: CheckinMemory, private readonly send: (message: CheckinsSeenMessage) => void, private readonly delayMs = 5) {}

  /** The ledger told this worker the ticket was used (admitted now, or already). */
  tell(ticket: string, use: TicketUse): void {
    if (this.memory.capacity === 0) return;
    this.outbox.push([ticket, use.at, use.gate]);
    if (this.scheduled) return;
    this.scheduled = true;
    setTimeout(() => this.flush(), this.delayMs).unref();
  }

  /** Another worker's uses, forwarded by the primary. */
  learn(message: CheckinsSeenMessage): void {
    for (const [ticket, at, gate] of message.uses) this.memory.learn(ticket, { at, gate });
  }

  private flush(): void {
    this.scheduled = false;
    while (this.outbox.length > 0) {
      const uses = this.outbox.slice(0, BATCH);
      this.outbox = this.outbox.slice(BATCH);
      this.send({ spike: 'checkins-seen', uses });
    }
  }
}
