// A ticket as a gate sees it: the payload, its compact signed encoding
// ("<payload>.<signature>", both base64url) and Ed25519 signing and
// verification with node:crypto. Pure and dependency-free, so the server,
// the render threads and the offline gate script share this one file.
import { createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';

export interface TicketPayload {
  /** "T-" + the order id: one order, one ticket. */
  readonly ticketId: string;
  readonly orderId: string;
  readonly saleId: string;
  readonly userId: string;
  /** When the order was paid (epoch ms): fixed, so re-rendering gives the same ticket. */
  readonly issuedAt: number;
  /** The sale's name, for display, shortened to SALE_NAME_MAX characters. */
  readonly saleName: string;
  readonly opensAt: number | null;
  readonly closesAt: number | null;
}

/** The wire format's version, the encoded array's first element. */
const VERSION = 1;
/** Keeps a ticket within a QR code a phone shows and a gate reads easily (a sale name may be 200 characters). */
export const SALE_NAME_MAX = 40;
const ED25519_SIGNATURE_BYTES = 64;
const BASE64URL = /^[A-Za-z0-9_-]+$/;

/** Why a ticket string was refused; the gate shows it. */
export class TicketInvalidError extends Error {}

export function ticketIdOf(orderId: string): string {
  return `T-${orderId}`;
}

/** The payload of a paid order's ticket. */
export function ticketPayload(order: { orderId: string; saleId: string; userId: string; updatedAt: number }, sale: { name: string; opensAt: number | null; closesAt: number | null }): TicketPayload {
  return {
    ticketId: ticketIdOf(order.orderId),
    orderId: order.orderId,
    saleId: order.saleId,
    userId: order.userId,
    issuedAt: order.updatedAt,
    saleName: [...sale.name].slice(0, SALE_NAME_MAX).join(''),
    opensAt: sale.opensAt,
    closesAt: sale.closesAt,
  };
}

/**
 * The signed bytes: a JSON array, not an object, to keep the QR code small;
 * the ticket and sale ids are derived from the order id ("<saleId>.<random>")
 * and not repeated.
 */
function payloadBytes(payload: TicketPayload): Buffer {
  return Buffer.from(JSON.stringify([VERSION, payload.orderId, payload.userId, payload.issuedAt, payload.saleName, payload.opensAt, payload.closesAt]));
}

export function signTicket(payload: TicketPayload, privateKey: KeyObject): string {
  const bytes = payloadBytes(payload);
  // Ed25519 signs deterministically: the same payload and key always give the same ticket.
  return `${bytes.toString('base64url')}.${sign(null, bytes, privateKey).toString('base64url')}`;
}

/** The payload of a ticket whose signature verifies with the public key; throws TicketInvalidError otherwise. */
export function verifyTicket(ticket: unknown, publicKey: KeyObject): TicketPayload {
  if (typeof ticket !== 'string' || ticket.length === 0 || ticket.length > 2048) throw new TicketInvalidError('the ticket must be a string of 1-2048 characters');
  const parts = ticket.split('.');
  if (parts.length !== 2 || !BASE64URL.test(parts[0]!) || !BASE64URL.test(parts[1]!)) throw new TicketInvalidError('expected <payload>.<signature>, both base64url');
  const bytes = Buffer.from(parts[0]!, 'base64url');
  const signature = Buffer.from(parts[1]!, 'base64url');
  if (signature.length !== ED25519_SIGNATURE_BYTES) throw new TicketInvalidError(`the signature must be ${ED25519_SIGNATURE_BYTES} bytes, got ${signature.length}`);
  if (!verify(null, bytes, publicKey, signature)) throw new TicketInvalidError("the signature does not verify with this server's key");
  return decodePayload(bytes);
}

/**
 * The payload of a ticket string whose signature another process of this
 * server has already verified (a worker's check-in memory, shared); never for
 * a string from a client.
 */
export function payloadOfVerified(ticket: string): TicketPayload {
  return decodePayload(Buffer.from(ticket.slice(0, ticket.indexOf('.')), 'base64url'));
}

function decodePayload(bytes: Buffer): TicketPayload {
  let fields: unknown;
  try {
    fields = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new TicketInvalidError('the payload is not JSON');
  }
  if (!Array.isArray(fields) || fields[0] !== VERSION) throw new TicketInvalidError(`the payload is not a version ${VERSION} ticket`);
  const [, orderId, userId, issuedAt, saleName, opensAt, closesAt] = fields as unknown[];
  const timeOrNull = (value: unknown) => value === null || Number.isSafeInteger(value);
  const dot = typeof orderId === 'string' ? orderId.indexOf('.') : -1;
  if (typeof orderId !== 'string' || dot <= 0 || typeof userId !== 'string' || !Number.isSafeInteger(issuedAt) || typeof saleName !== 'string' || !timeOrNull(opensAt) || !timeOrNull(closesAt)) {
    throw new TicketInvalidError('the payload lacks a field or has one of the wrong type');
  }
  return {
    ticketId: ticketIdOf(orderId),
    orderId,
    saleId: orderId.slice(0, dot),
    userId,
    issuedAt: issuedAt as number,
    saleName,
    opensAt: opensAt as number | null,
    closesAt: closesAt as number | null,
  };
}

/** An Ed25519 private key from PEM; throws a message saying what is wrong. */
export function ed25519PrivateKey(pem: string): KeyObject {
  const key = createPrivateKey(pem);
  if (key.asymmetricKeyType !== 'ed25519') throw new Error(`the ticket signing key must be an Ed25519 private key, got ${key.asymmetricKeyType ?? 'a symmetric key'}`);
  return key;
}

/** An Ed25519 public key from PEM (or the public half of a private key's PEM). */
export function ed25519PublicKey(pem: string): KeyObject {
  const key = createPublicKey(pem);
  if (key.asymmetricKeyType !== 'ed25519') throw new Error(`expected an Ed25519 public key, got ${key.asymmetricKeyType}`);
  return key;
}
