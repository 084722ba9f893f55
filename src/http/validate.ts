// Turning untrusted input into typed values; every failure names the field
// and says what would be accepted.
import { SpikeError } from '../errors/errors';
import type { SaleSpec } from '../inventory/ledger';

const ID = /^[A-Za-z0-9_-]{1,64}$/;
const MAX_TOTAL = 1_000_000_000;

export function checkId(field: string, value: unknown): string {
  if (typeof value !== 'string' || !ID.test(value)) {
    throw new SpikeError('INVALID_FIELD', `${field} must be 1-64 characters of A-Z a-z 0-9 _ -`);
  }
  return value;
}

/** True for a missing ?user= (an anonymous buyer) or a well-formed one. */
export function isValidBuyer(user: string | undefined): boolean {
  return user === undefined || user === '' || ID.test(user);
}

export function checkIdempotencyKey(value: string): string | undefined {
  if (value === '') return undefined;
  if (!/^[\x21-\x7e]{1,128}$/.test(value)) {
    throw new SpikeError('INVALID_FIELD', 'Idempotency-Key must be 1-128 printable ASCII characters without spaces');
  }
  return value;
}

function integerField(body: Record<string, unknown>, field: string, min: number, max: number, fallback?: number): number {
  const value = body[field];
  if (value === undefined && fallback !== undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new SpikeError('INVALID_FIELD', `${field} must be an integer from ${min} to ${max}`);
  }
  return value;
}

/** Accepts an ISO 8601 string or epoch milliseconds; absent or null means no bound. */
function timeField(body: Record<string, unknown>, field: string): number | null {
  const value = body[field];
  if (value === undefined || value === null) return null;
  const ms = typeof value === 'number' ? value : typeof value === 'string' ? Date.parse(value) : NaN;
  if (!Number.isInteger(ms) || ms < 0 || ms > 8.64e15) {
    throw new SpikeError('INVALID_FIELD', `${field} must be an ISO 8601 date-time string or epoch milliseconds`);
  }
  return ms;
}

export function parseSaleSpec(body: Record<string, unknown>): SaleSpec {
  const id = checkId('id', body.id);
  const name = body.name === undefined ? id : body.name;
  if (typeof name !== 'string' || name.length < 1 || name.length > 200) {
    throw new SpikeError('INVALID_FIELD', 'name must be a string of 1-200 characters');
  }
  const total = integerField(body, 'total', 0, MAX_TOTAL);
  const perUserLimit = integerField(body, 'perUserLimit', 1, 1000, 1);
  const opensAt = timeField(body, 'opensAt');
  const closesAt = timeField(body, 'closesAt');
  if (opensAt !== null && closesAt !== null && closesAt <= opensAt) {
    throw new SpikeError('INVALID_FIELD', 'closesAt must be later than opensAt');
  }
  return { id, name, total, perUserLimit, opensAt, closesAt };
}
