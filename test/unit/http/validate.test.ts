// The request parsers, table-driven: every bad value gets the error code and
// a message naming the field; every good one comes back typed.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SpikeError } from '../../../src/errors/errors';
import { parseSaleSpec } from '../../../src/http/sale-input';
import { checkId, checkIdempotencyKey, checkLimit, checkOrderId, checkOrderState, checkCursor, checkPosition, isValidBuyer } from '../../../src/http/validate';

function refused(run: () => unknown, code: string, message: RegExp): void {
  assert.throws(run, (error: unknown) => {
    assert.ok(error instanceof SpikeError, `expected a SpikeError, got ${String(error)}`);
    assert.equal(error.code, code);
    assert.match(error.message, message);
    assert.doesNotMatch(error.message, /\{\w+\}/, 'no unfilled placeholder');
    return true;
  });
}

describe('checkId', () => {
  const good = ['a', 'alice', 'A-Z_0-9', 'x'.repeat(64)];
  const bad: unknown[] = ['', 'x'.repeat(65), 'al ice', 'a"b', 'ümlaut', 42, null, undefined, {}, ['a']];
  for (const value of good) it(`accepts ${JSON.stringify(value)}`, () => assert.equal(checkId('userId', value), value));
  for (const value of bad) it(`refuses ${JSON.stringify(value)}`, () => refused(() => checkId('userId', value), 'invalid_field', /^userId must be 1-64 characters of A-Z a-z 0-9 _ -$/));
});

describe('isValidBuyer (the ?user= of /buy/ticket)', () => {
  const cases: Array<[string | undefined, boolean]> = [[undefined, true], ['', true], ['bob', true], ['b o b', false], ['x'.repeat(65), false]];
  for (const [value, expected] of cases) it(`${JSON.stringify(value)} -> ${expected}`, () => assert.equal(isValidBuyer(value), expected));
});

describe('checkIdempotencyKey', () => {
  it('an absent header is no key', () => assert.equal(checkIdempotencyKey(''), undefined));
  for (const value of ['k', 'alice-G1234-1', '!~', 'k'.repeat(128)]) it(`accepts ${value.slice(0, 20)}`, () => assert.equal(checkIdempotencyKey(value), value));
  for (const value of ['k'.repeat(129), 'with space', 'tab\there', 'é']) {
    it(`refuses ${JSON.stringify(value.slice(0, 20))}`, () => refused(() => checkIdempotencyKey(value), 'invalid_field', /^Idempotency-Key must be 1-128 printable ASCII/));
  }
});

describe('parseSaleSpec', () => {
  it('fills the defaults', () => {
    assert.deepEqual(parseSaleSpec({ id: 'g1', total: 10 }), { id: 'g1', name: 'g1', total: 10, perUserLimit: 1, holdSeconds: 900, opensAt: null, closesAt: null, anonymous: false, maxCancelsPerBuyer: 3 });
    assert.equal(parseSaleSpec({ id: 'g1', total: 10, maxCancelsPerBuyer: 0 }).maxCancelsPerBuyer, 0);
  });
  it('reads times as ISO 8601 or epoch ms', () => {
    const spec = parseSaleSpec({ id: 'g1', total: 1, opensAt: '2030-01-01T00:00:00Z', closesAt: Date.UTC(2030, 0, 2) });
    assert.equal(spec.opensAt, Date.UTC(2030, 0, 1));
    assert.equal(spec.closesAt, Date.UTC(2030, 0, 2));
  });
  const bad: Array<[string, Record<string, unknown>, RegExp]> = [
    ['a missing id', { total: 1 }, /^id must be/],
    ["an id in spike's own warm-up prefix", { id: 'spike-warmup-front', total: 1 }, /^id must be an id that does not start with "spike-warmup"/],
    ['an id with a space', { id: 'bad id', total: 1 }, /^id must be/],
    ['a negative total', { id: 'g', total: -1 }, /^total must be an integer from 0 to/],
    ['a fractional total', { id: 'g', total: 1.5 }, /^total must be an integer/],
    ['a total as a string', { id: 'g', total: '10' }, /^total must be an integer/],
    ['a missing total', { id: 'g' }, /^total must be an integer/],
    ['perUserLimit 0', { id: 'g', total: 1, perUserLimit: 0 }, /^perUserLimit must be an integer from 1 to 1000/],
    ['holdSeconds past a day', { id: 'g', total: 1, holdSeconds: 86_401 }, /^holdSeconds must be an integer from 0 to 86400/],
    ['a negative maxCancelsPerBuyer', { id: 'g', total: 1, maxCancelsPerBuyer: -1 }, /^maxCancelsPerBuyer must be an integer from 0 to 1000/],
    ['maxCancelsPerBuyer as a string', { id: 'g', total: 1, maxCancelsPerBuyer: '3' }, /^maxCancelsPerBuyer must be an integer/],
    ['an empty name', { id: 'g', total: 1, name: '' }, /^name must be a string of 1-200 characters/],
    ['a name that is not a string', { id: 'g', total: 1, name: 7 }, /^name must be/],
    ['a time that is no time', { id: 'g', total: 1, opensAt: 'tomorrow' }, /^opensAt must be epoch milliseconds .* or an ISO 8601 date-time with a timezone/],
    ['a negative epoch', { id: 'g', total: 1, closesAt: -5 }, /^closesAt must be/],
    ['a window that ends before it starts', { id: 'g', total: 1, opensAt: '2030-01-02T00:00:00Z', closesAt: '2030-01-01T00:00:00Z' }, /^closesAt must be later than opensAt/],
  ];
  for (const [what, body, message] of bad) it(`refuses ${what}`, () => refused(() => parseSaleSpec(body), 'invalid_field', message));
});

describe('checkOrderId', () => {
  it('accepts <saleId>.<random>', () => assert.equal(checkOrderId('G1234.abc_DEF-1'), 'G1234.abc_DEF-1'));
  for (const value of ['garbage', '.x', 'G1.', 'G 1.x', `G1.${'x'.repeat(33)}`]) {
    it(`answers ${JSON.stringify(value)} as an unknown order`, () => refused(() => checkOrderId(value), 'order_not_found', /^no order has id/));
  }
});

describe('checkOrderState, checkPosition, checkLimit', () => {
  it('state: empty is any, a known state passes, anything else is named', () => {
    assert.equal(checkOrderState(''), undefined);
    assert.equal(checkOrderState('paid'), 'paid');
    refused(() => checkOrderState('lost'), 'invalid_field', /^state must be one of reserved, paid, expired, cancelled$/);
  });
  const positions: Array<[string, boolean]> = [
    ['', true], ['0', true], ['1700000000000-0', true], ['18446744073709551615-18446744073709551615', true],
    ['-', false], ['1-', false], ['-1', false], ['1-2-3', false], ['abc', false], ['18446744073709551616', false], ['1-18446744073709551616', false], ['99999999999999999999999', false], ['1.5', false],
  ];
  for (const [value, ok] of positions) {
    it(`feed position ${JSON.stringify(value)} ${ok ? 'passes' : 'is named'}`, () => {
      if (ok) assert.equal(checkPosition('after', value), value === '' ? null : value);
      else refused(() => checkPosition('after', value), 'invalid_field', /^after must be the "last" an earlier page returned/);
    });
  }
  const cursors: Array<[string, boolean]> = [['', true], ['0', true], ['18446744073709551615', true], ['18446744073709551616', false], ['99999999999999999999999', false], ['-', false], ['1-0', false], [' 1', false]];
  for (const [value, ok] of cursors) {
    it(`order cursor ${JSON.stringify(value)} ${ok ? 'passes' : 'is named'}`, () => {
      if (ok) assert.equal(checkCursor('cursor', value), value === '' ? null : value);
      else refused(() => checkCursor('cursor', value), 'invalid_field', /^cursor must be the cursor an earlier page returned/);
    });
  }
  const limits: Array<[string, number | null]> = [['', 100], ['1', 1], ['1000', 1000], ['0', null], ['1001', null], ['-1', null], ['1e3', null], ['x', null]];
  for (const [value, expected] of limits) {
    it(`limit ${JSON.stringify(value)}`, () => {
      if (expected === null) refused(() => checkLimit(value, 100, 1000), 'invalid_field', /^limit must be an integer from 1 to 1000$/);
      else assert.equal(checkLimit(value, 100, 1000), expected);
    });
  }
});
