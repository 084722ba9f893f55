// Opaque signed tokens: a payload the server wrote, base64url, a dot, and its
// HMAC-SHA256 under the server's ADMISSION_SECRET. Checked in constant time,
// so a forger learns nothing from how fast a wrong signature is refused.
import { createHmac, timingSafeEqual } from 'node:crypto';

export class TokenSigner {
  private readonly key: Buffer;

  constructor(secret: string, purpose: string) {
    // One key per purpose, so a queue ticket can never pass for a pass or a challenge.
    this.key = createHmac('sha256', secret).update(`spike:${purpose}`).digest();
  }

  sign(fields: readonly (string | number)[]): string {
    const body = Buffer.from(fields.join('|')).toString('base64url');
    return `${body}.${this.mac(body).toString('base64url')}`;
  }

  /** The fields of a token this signer made, or null for anything else. */
  open(token: string): string[] | null {
    const dot = token.indexOf('.');
    if (dot <= 0 || token.length > 1024) return null;
    const body = token.slice(0, dot);
    const given = Buffer.from(token.slice(dot + 1), 'base64url');
    const expected = this.mac(body);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
    return Buffer.from(body, 'base64url').toString().split('|');
  }

  private mac(body: string): Buffer {
    return createHmac('sha256', this.key).update(body).digest();
  }
}
