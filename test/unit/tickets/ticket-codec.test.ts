// The ticket format on its own: signing is deterministic, every flipped bit
// and every other key fails verification, malformed strings are refused with
// a reason, and the QR code decodes back to the ticket.
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { describe, it } from 'node:test';
import { signTicket, ticketPayload, TicketInvalidError, verifyTicket } from '../../../src/tickets';
import { renderTicket } from '../../../src/tickets/ticket-render';
import { decodeQrPng } from '../../helpers/tickets';

const { privateKey, publicKey } = generateKeyPairSync('ed25519');
const order = { orderId: 'G1234.k3Jd93hfS0a', saleId: 'G1234', userId: 'alice', updatedAt: 1_800_000_123_456 };
const sale = { name: 'Train G1234 Beijing → Shanghai, second class, the evening one', opensAt: 1_800_000_000_000, closesAt: null };
const payload = ticketPayload(order, sale);

describe('the signed ticket', () => {
  it('carries the order, buyer, paid time and the sale for display, and signs the same every time', () => {
    assert.deepEqual(payload, { ticketId: 'T-G1234.k3Jd93hfS0a', orderId: order.orderId, saleId: 'G1234', userId: 'alice', issuedAt: order.updatedAt, saleName: [...sale.name].slice(0, 40).join(''), opensAt: sale.opensAt, closesAt: null });
    const ticket = signTicket(payload, privateKey);
    assert.equal(signTicket(payload, privateKey), ticket, 'Ed25519 and a fixed payload: deterministic');
    assert.match(ticket, /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{86}$/);
    assert.ok(ticket.length < 300, `${ticket.length} characters`);
    assert.deepEqual(verifyTicket(ticket, publicKey), payload);
  });

  it('fails verification for every flipped bit of the payload and for another key', () => {
    const ticket = signTicket(payload, privateKey);
    const [body, signature] = ticket.split('.') as [string, string];
    const bytes = Buffer.from(body, 'base64url');
    for (let bit = 0; bit < bytes.length * 8; bit++) {
      const flipped = Buffer.from(bytes);
      flipped[bit >> 3]! ^= 1 << (bit & 7);
      assert.throws(() => verifyTicket(`${flipped.toString('base64url')}.${signature}`, publicKey), TicketInvalidError, `bit ${bit}`);
    }
    const other = generateKeyPairSync('ed25519');
    assert.throws(() => verifyTicket(signTicket(payload, other.privateKey), publicKey), /does not verify/);
  });

  for (const [label, ticket, reason] of [
    ['not a string', 42, /string/],
    ['empty', '', /string/],
    ['one part', 'abc', /<payload>\.<signature>/],
    ['three parts', 'a.b.c', /<payload>\.<signature>/],
    ['not base64url', 'a+b.c/d', /base64url/],
    ['a short signature', 'abcd.abcd', /64 bytes/],
    ['too long', 'a'.repeat(3000), /2048/],
  ] as const) {
    it(`refuses a ticket that is ${label}`, () => {
      assert.throws(() => verifyTicket(ticket, publicKey), (error: unknown) => error instanceof TicketInvalidError && reason.test(error.message));
    });
  }

  it('draws a QR code that decodes back to the ticket', async () => {
    const rendered = await renderTicket({ payload, format: 'png' }, privateKey);
    assert.equal(decodeQrPng(Buffer.from(rendered.image as Uint8Array)), rendered.ticket);
    const svg = await renderTicket({ payload, format: 'svg' }, privateKey);
    assert.match(String(svg.image), /^<svg/);
    assert.equal(svg.ticket, rendered.ticket);
  });
});
