// What a worker's ticket routes need: its renderer, the public key, and the
// gates' token. Here rather than beside the routes, so the route context can
// name it without importing the routes that import the context.
import type { KeyObject } from 'node:crypto';
import type { TicketRenderer } from './ticket-renderer';

/** What the ticket routes need from the worker: its renderer, the public key, and the gates' token. */
export interface TicketDesk {
  readonly renderer: TicketRenderer;
  readonly publicKey: KeyObject;
  readonly publicKeyPem: string;
  readonly gateToken: string | undefined;
}
