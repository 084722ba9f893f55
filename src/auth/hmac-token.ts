// BUYER_AUTH=hmac tokens: base64url(JSON {sub, exp}) "." base64url(HMAC-SHA256
// of the first part, keyed with BUYER_AUTH_SECRET). A site's login signs them;
// spike only checks them, in constant time, with no I/O.
import { createHmac, timingSafeEqual } from 'node:crypto';

export interface BuyerClaims {
  /** The buyer id. */
  readonly sub: string;
  /** Expiry, epoch seconds (as in JWT). */
  readonly exp: number;
}

/** Why a token was refused, in words a client developer can act on. */
export class TokenRefusal extends Error {
  /** Set when the token's only fault is its age: epoch ms of its exp. */
  constructor(message: string, readonly expiredAt?: number) {
    super(message);
    this.name = 'TokenRefusal';
  }
}

function sign(secret: string, payloadPart: string): string {
  return createHmac('sha256', secret).update(payloadPart).digest('base64url');
}

/** What a site's login does (tests use it too). */
export function signBuyerToken(secret: string, claims: BuyerClaims): string {
  const payloadPart = Buffer.from(JSON.stringify(claims)).toString('base64url');
  return `${payloadPart}.${sign(secret, payloadPart)}`;
}

/** The claims of a token whose signature verifies; throws TokenRefusal otherwise. Expiry is checked by the caller. */
export function verifyHmacToken(secret: string, token: string): { sub: unknown; exp: unknown } {
  const parts = token.split('.');
  if (parts.length !== 2 || parts[0] === '' || parts[1] === '') throw new TokenRefusal('the buyer token must be base64url(payload).signature');
  const [payloadPart, signature] = parts as [string, string];
  const expected = Buffer.from(sign(secret, payloadPart));
  const given = Buffer.from(signature);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new TokenRefusal('the buyer token signature does not verify');
  let claims: unknown;
  try {
    claims = JSON.parse(Buffer.from(payloadPart, 'base64url').toString('utf8'));
  } catch {
    throw new TokenRefusal('the buyer token payload is not JSON');
  }
  if (typeof claims !== 'object' || claims === null) throw new TokenRefusal('the buyer token payload is not a JSON object');
  return claims as { sub: unknown; exp: unknown };
}
