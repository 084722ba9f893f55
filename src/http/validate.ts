// Turning untrusted input into typed values; every failure names the field
// and says what would be accepted.
import { spikeError } from '../errors/errors';
import type { OrderState, SaleSpec } from '../ledger';

const ORDER_STATES: readonly OrderState[] = ['reserved', 'paid', 'expired', 'cancelled'];

const ID = /^[A-Za-z0-9_-]{1,64}$/;
const MAX_TOTAL = 1_000_000_000;
/** A buyer has 15 minutes to pay unless the sale says otherwise. */
const DEFAULT_HOLD_SECONDS = 900;

function invalid(field: string, allowed: string) {
  return spikeError('INVALID_FIELD', { field, allowed });
}

export function checkId(field: string, value: unknown): string {
  if (typeof value !== 'string' || !ID.test(value)) {
    throw invalid(field, '1-64 characters of A-Z a-z 0-9 _ -');
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
    throw invalid('Idempotency-Key', '1-128 printable ASCII characters without spaces');
  }
  return value;
}

function integerField(body: Record<string, unknown>, field: string, min: number, max: number, fallback?: number): number {
  const value = body[field];
  if (value === undefined && fallback !== undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw invalid(field, `an integer from ${min} to ${max}`);
  }
  return value;
}

/** Accepts an ISO 8601 string or epoch milliseconds; absent or null means no bound. */
function timeField(body: Record<string, unknown>, field: string): number | null {
  const value = body[field];
  if (value === undefined || value === null) return null;
  const ms = typeof value === 'number' ? value : typeof value === 'string' ? Date.parse(value) : NaN;
  if (!Number.isInteger(ms) || ms < 0 || ms > 8.64e15) {
    throw invalid(field, 'an ISO 8601 date-time string or epoch milliseconds');
  }
  return ms;
}

export function parseSaleSpec(body: Record<string, unknown>): SaleSpec {
  const id = checkId('id', body.id);
  const name = body.name === undefined ? id : body.name;
  if (typeof name !== 'string' || name.length < 1 || name.length > 200) {
    throw invalid('name', 'a string of 1-200 characters');
  }
  const total = integerField(body, 'total', 0, MAX_TOTAL);
  const perUserLimit = integerField(body, 'perUserLimit', 1, 1000, 1);
  const holdSeconds = integerField(body, 'holdSeconds', 0, 86_400, DEFAULT_HOLD_SECONDS);
  const opensAt = timeField(body, 'opensAt');
  const closesAt = timeField(body, 'closesAt');
  if (opensAt !== null && closesAt !== null && closesAt <= opensAt) {
    throw invalid('closesAt', 'later than opensAt');
  }
  return { id, name, total, perUserLimit, holdSeconds, opensAt, closesAt };
}

/** Order ids are "<saleId>.<random>". */
export function checkOrderId(value: string): string {
  if (!/^[A-Za-z0-9_-]{1,64}\.[A-Za-z0-9_-]{1,32}$/.test(value)) {
    throw spikeError('ORDER_NOT_FOUND', { orderId: value.slice(0, 100) });
  }
  return value;
}

export function checkOrderState(value: string): OrderState | undefined {
  if (value === '') return undefined;
  if (!(ORDER_STATES as readonly string[]).includes(value)) {
    throw invalid('state', `one of ${ORDER_STATES.join(', ')}`);
  }
  return value as OrderState;
}

/** A cursor or feed position handed out by an earlier page. */
export function checkPosition(field: string, value: string): string | null {
  if (value === '') return null;
  if (!/^[0-9-]{1,40}$/.test(value)) throw invalid(field, 'the value an earlier page returned');
  return value;
}

export function checkLimit(value: string, fallback: number, max: number): number {
  if (value === '') return fallback;
  if (!/^\d{1,7}$/.test(value) || Number(value) < 1 || Number(value) > max) {
    throw invalid('limit', `an integer from 1 to ${max}`);
  }
  return Number(value);
}
