// Every refusal in the outcome table becomes a filled message, and the ones a
// client can wait out say how long: Retry-After on not_open and on a sold-out
// sale whose held tickets may return (with nextReleaseAt in the body); a
// check-in's already_used is one body whether the ledger or the worker's memory says it.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isoTime } from '../../../src/errors/errors';
import { answerFor, refusalFor } from '../../../src/http/outcome-answers';
import { alreadyUsedBody } from '../../../src/http/ticket-routes';
import { OUTCOMES, type Command, type Order } from '../../../src/ledger';

const NOW = Date.parse('2030-01-01T00:00:00Z');
const order: Order = { orderId: 'G1.abc', saleId: 'G1', userId: 'alice', state: 'expired', createdAt: NOW, expiresAt: NOW + 1, updatedAt: NOW + 2 };
const sale = { id: 'G1', name: 'G1', total: 5, sold: 0, paid: 0, perUserLimit: 1, holdSeconds: 0, opensAt: null, closesAt: null, createdAt: NOW };
const sample = { order, sale, sold: 3, total: 5, orders: 2, perUserLimit: 1, maxCancelsPerBuyer: 3, opensAt: NOW + 1000, closesAt: NOW + 2000, nextReleaseAt: 0, at: NOW + 3000, gate: 'north-1', from: 1, to: 3, full: 0 };

describe('refusals from the outcome table', () => {
  for (const command of Object.keys(OUTCOMES) as Command[]) {
    for (const [kind, spec] of Object.entries(OUTCOMES[command])) {
      if (!('error' in spec)) continue;
      it(`${command} ${kind} fills every placeholder`, () => {
        const outcome = Object.fromEntries([['kind', kind], ...spec.fields.map((f: keyof typeof sample) => [f, sample[f]])]);
        const error = refusalFor(command, outcome as never, { saleId: 'G1', userId: 'alice', orderId: 'G1.abc' }, NOW)!;
        assert.ok(error, 'a refusal');
        assert.doesNotMatch(error.message, /\{\w+\}/, error.message);
      });
    }
  }
});

describe('answers a client can act on', () => {
  it('not_open says in Retry-After how many seconds until opensAt (rounded up)', () => {
    const error = refusalFor('reserve', { kind: 'not_open', opensAt: NOW + 90_500 }, { saleId: 'G1' }, NOW)!;
    assert.equal(error.headers?.['retry-after'], '91');
    assert.equal(refusalFor('reserve', { kind: 'not_open', opensAt: NOW - 5 }, { saleId: 'G1' }, NOW)!.headers?.['retry-after'], '1', 'never 0');
  });

  it('sold_out with holds pending says so, with nextReleaseAt and Retry-After', () => {
    const error = refusalFor('reserve', { kind: 'sold_out', total: 5, nextReleaseAt: NOW + 30_000 }, { saleId: 'G1' }, NOW)!;
    assert.equal(error.code, 'sold_out');
    assert.match(error.message, /held for payment/);
    assert.deepEqual(error.toJSON().error, { code: 'sold_out', message: error.message, nextReleaseAt: '2030-01-01T00:00:30.000Z' });
    assert.equal(error.headers?.['retry-after'], '30');
  });

  it('sold_out with no hold pending is final: no nextReleaseAt, no Retry-After', () => {
    const error = refusalFor('reserve', { kind: 'sold_out', total: 5, nextReleaseAt: 0 }, { saleId: 'G1' }, NOW)!;
    assert.deepEqual(error.toJSON(), { error: { code: 'sold_out', message: 'sale "G1" is sold out' } });
    assert.equal(error.headers, undefined);
  });
});

describe("a check-in's already_used answer", () => {
  it('is the same body whether the ledger just said so or the worker remembers it', () => {
    const payload = { ticketId: 'T-G1.abc', orderId: 'G1.abc', saleId: 'G1', userId: 'alice', issuedAt: NOW, saleName: 'G1', opensAt: null, closesAt: null };
    const paid: Order = { ...order, state: 'paid' };
    // As the route built it from the ledger's outcome before the worker remembered uses.
    const answer = answerFor('checkIn', { kind: 'already_used', order: paid, at: NOW + 3000, gate: 'north-1' }, { ticketId: payload.ticketId, orderId: payload.orderId });
    assert.ok('error' in answer);
    const fromLedger = { ...answer.error.toJSON(), admitted: false, ticketId: payload.ticketId, orderId: payload.orderId, usedAt: isoTime(NOW + 3000), gate: 'north-1' };
    assert.equal(JSON.stringify(alreadyUsedBody(payload, { at: NOW + 3000, gate: 'north-1' })), JSON.stringify(fromLedger));
    assert.match(fromLedger.error.message, /T-G1\.abc was already used at 2030-01-01T00:00:03\.000Z at gate "north-1"/);
  });
});
