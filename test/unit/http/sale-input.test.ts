// The parsers of what clients send, table-driven and with no server: unknown
// fields named (with the field meant), times that cannot be misread, windows
// that make sense, and an empty body told what to send.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SpikeError } from '../../../src/errors/errors';
import { closestField } from '../../../src/http/known-fields';
import { parseJsonObject } from '../../../src/http/read-body';
import { RouteTable } from '../../../src/http/route-table';
import { parseSaleChanges, parseSaleSpec, SALE_FIELDS } from '../../../src/http/sale-input';
import { parseTime } from '../../../src/http/time-input';

const NOW = Date.parse('2030-01-01T00:00:00Z');

function refusal(run: () => unknown): SpikeError {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof SpikeError, `expected a SpikeError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected a refusal, got none');
}

describe('unknown fields', () => {
  const cases: Array<[string, string | undefined]> = [
    ['opensat', 'opensAt'],
    ['OPENSAT', 'opensAt'],
    ['opensAT', 'opensAt'],
    ['closeAt', 'closesAt'],
    ['perUserLimt', 'perUserLimit'],
    ['totl', 'total'],
    ['holdSecs', undefined],
    ['x', undefined],
    ['price', undefined],
    ['ID', 'id'],
  ];
  for (const [field, meant] of cases) {
    it(`${field} -> ${meant ?? 'no suggestion'}`, () => {
      assert.equal(closestField(field, SALE_FIELDS), meant);
      const error = refusal(() => parseSaleSpec({ id: 'G1', total: 5, [field]: 1 }, NOW));
      assert.equal(error.code, 'invalid_field');
      assert.equal(error.status, 400);
      assert.match(error.message, new RegExp(`unknown field "${field}"`));
      if (meant) assert.match(error.message, new RegExp(`did you mean ${meant}\\?`));
      else assert.doesNotMatch(error.message, /did you mean/);
    });
  }

  it('every body the API takes refuses them: purchases, pay and cancel take only userId', () => {
    const error = refusal(() => parseJsonObject(Buffer.from('{"userId":"a","userid":"b"}'), '{"userId":"alice"}', ['userId']));
    assert.match(error.message, /unknown field "userid": did you mean userId\?/);
    assert.deepEqual(parseJsonObject(Buffer.from('{"userId":"a"}'), '{"userId":"alice"}', ['userId']), { userId: 'a' });
  });

  it('PATCH takes the sale fields but not the id', () => {
    assert.match(refusal(() => parseSaleChanges({ id: 'G2' }, NOW)).message, /unknown field "id"/);
    assert.match(refusal(() => parseSaleChanges({ totl: 5 }, NOW)).message, /did you mean total\?/);
  });
});

describe('times', () => {
  const accepted: Array<[unknown, number | null]> = [
    [1_900_000_000_000, 1_900_000_000_000],
    [100_000_000_000, 100_000_000_000],
    ['2030-03-07T09:00:00Z', Date.parse('2030-03-07T09:00:00Z')],
    ['2030-03-07T09:00Z', Date.parse('2030-03-07T09:00:00Z')],
    ['2030-03-07T10:00:00.250+01:00', Date.parse('2030-03-07T09:00:00.250Z')],
    ['2030-03-07t09:00:00z', Date.parse('2030-03-07T09:00:00Z')],
    [null, null],
  ];
  for (const [value, ms] of accepted) it(`accepts ${JSON.stringify(value)}`, () => assert.equal(parseTime('opensAt', value), ms));

  const refused: Array<[unknown, RegExp]> = [
    [1_900_000_000, /looks like epoch seconds .* send milliseconds, e\.g\. 1900000000000, or ISO 8601/],
    [0, /looks like epoch seconds/],
    [99_999_999_999, /looks like epoch seconds/],
    ['2030-03-07T09:00:00', /has no timezone; add Z/],
    ['2030-03-07 09:00', /has no timezone/],
    ['2030-03-07', /has no timezone/],
    ['March 7, 2030', /ISO 8601/],
    ['1900000000000', /ISO 8601/],
    ['2030-13-45T99:00:00Z', /ISO 8601/],
    [1.5e12 + 0.5, /epoch milliseconds/],
    [-5, /epoch milliseconds/],
    [true, /epoch milliseconds/],
  ];
  for (const [value, message] of refused) {
    it(`refuses ${JSON.stringify(value)}`, () => {
      const error = refusal(() => parseTime('opensAt', value));
      assert.equal(error.code, 'invalid_field');
      assert.match(error.message, /^opensAt must be /);
      assert.match(error.message, message);
    });
  }
});

describe('sale windows', () => {
  const base = { id: 'G1', total: 5 };
  it('closesAt must be after opensAt', () => {
    assert.match(refusal(() => parseSaleSpec({ ...base, opensAt: NOW + 2000, closesAt: NOW + 1000 }, NOW)).message, /closesAt must be later than opensAt/);
    assert.match(refusal(() => parseSaleSpec({ ...base, opensAt: NOW + 2000, closesAt: NOW + 2000 }, NOW)).message, /closesAt must be later than opensAt/);
  });
  it('a closesAt already past at creation is refused', () => {
    assert.match(refusal(() => parseSaleSpec({ ...base, closesAt: NOW - 1 }, NOW)).message, /closesAt must be in the future/);
    assert.equal(parseSaleSpec({ ...base, closesAt: NOW + 1 }, NOW).closesAt, NOW + 1);
  });
  it('a PATCH sets only what it names, and at least one field', () => {
    assert.deepEqual(parseSaleChanges({ total: 600, closesAt: null }, NOW), { total: 600, closesAt: null });
    assert.equal(refusal(() => parseSaleChanges({}, NOW)).code, 'invalid_field');
    assert.match(refusal(() => parseSaleChanges({ closesAt: '2020-01-01T00:00:00Z' }, NOW)).message, /POST \/api\/sales\/:id\/close/);
    assert.match(refusal(() => parseSaleChanges({ total: -1 }, NOW)).message, /total must be an integer from 0/);
  });
});

describe('empty bodies', () => {
  for (const body of ['', '   ', '\n']) {
    it(`${JSON.stringify(body)} is told what to send`, () => {
      const error = refusal(() => parseJsonObject(Buffer.from(body)));
      assert.equal(error.code, 'body_missing');
      assert.equal(error.status, 400);
      assert.match(error.message, /send a JSON object such as \{"userId":"alice"\}/);
    });
  }
});

describe('route table', () => {
  const table = new RouteTable();
  for (const [method, pattern] of [['POST', '/api/sales'], ['GET', '/api/sales'], ['GET', '/api/sales/:id'], ['PATCH', '/api/sales/:id'], ['DELETE', '/api/sales/:id'], ['POST', '/api/sales/:id/close']]) table.add(method!, pattern!);
  const cases: Array<[string, string[]]> = [
    ['/api/sales', ['GET', 'POST']],
    ['/api/sales/G1', ['GET', 'PATCH', 'DELETE']],
    ['/api/sales/G1/close', ['POST']],
    ['/api/sales//close', []],
    ['/api/nope', []],
  ];
  for (const [url, allow] of cases) it(`${url} allows ${allow.join(', ') || 'nothing'}`, () => assert.deepEqual(table.allowed(url), allow));
});
