// What a worker's ticket routes need: its renderer, the public key, and the
// gates' token. Here rather than beside the routes, so the route context can
// name it without importing the routes that import the context.
import type { KeyObject } from 'node:crypto';
import type { CheckinMemory } from './checkin-memory';
import type { CheckinSharing } from './checkin-sharing';
import type { TicketRenderer } from './ticket-renderer';

/** What the ticket routes need from the worker: its renderer, the public key, the gates' token and what the gates scanned. */
export interface TicketDesk {
  readonly renderer: TicketRenderer;
  readonly publicKey: KeyObject;
  readonly publicKeyPem: string;
  readonly gateToken: string | undefined;
  /** Tickets this worker's gates scanned: verified once, and answered from here once the ledger said they were used. */
  readonly checkins: CheckinMemory;
  /** Tells the other workers the uses the ledger reports here. */
  readonly sharing: CheckinSharing;
}
