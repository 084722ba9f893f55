// The tickets room's one entry: the signed ticket format, the signing key,
// the per-worker renderer (piscina), the worker's memory of scanned tickets
// and the primary's issuer.
export { signTicket, verifyTicket, payloadOfVerified, ticketPayload, ticketIdOf, TicketInvalidError, ed25519PublicKey, type TicketPayload } from './ticket-codec';
export { resolveSigningKey, readSigningKey, type SigningKey } from './signing-key';
export { TicketRenderer } from './ticket-renderer';
export type { TicketFormat, RenderedTicket } from './ticket-render';
export { TicketIssuer } from './ticket-issuer';
export type { TicketDesk } from './ticket-desk';
export { CheckinMemory, type ScannedTicket, type TicketUse } from './checkin-memory';
export { CheckinSharing } from './checkin-sharing';
