// Turning untrusted input into typed values; every failure names the field
// and says what would be accepted.
import { spikeError } from '../errors/errors';
import type { OrderState } from '../ledger';

const ORDER_STATES: readonly OrderState[] = ['reserved', 'paid', 'expired', 'cancelled'];

const ID = /^[A-Za-z0-9_-]{1,64}$/;

export function invalid(field: string, allowed: string) {
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

/** The largest cursor or stream id part Redis takes (an unsigned 64-bit integer); past it HSCAN and XRANGE fail. */
const MAX_U64 = 18446744073709551615n;

function isU64(digits: string): boolean {
  return /^\d{1,20}$/.test(digits) && BigInt(digits) <= MAX_U64;
}

/** An order page's cursor, as an earlier page returned it: a decimal count up to 2^64 - 1. */
export function checkCursor(field: string, value: string): string | null {
  if (value === '') return null;
  if (!isU64(value)) throw invalid(field, 'the cursor an earlier page returned (digits only, at most 18446744073709551615)');
  return value;
}

/** A feed position an earlier page returned: a count, or a Redis stream id <ms>-<seq>, each part up to 2^64 - 1. */
export function checkPosition(field: string, value: string): string | null {
  if (value === '') return null;
  const parts = value.split('-');
  if (parts.length > 2 || !parts.every(isU64)) throw invalid(field, 'the "last" an earlier page returned (digits, or <digits>-<digits>; each part at most 18446744073709551615)');
  return value;
}

/** A sale listing's cursor: an opaque token an earlier page returned. */
export function checkSaleCursor(value: string): string | null {
  if (value === '') return null;
  if (!ID.test(value)) throw invalid('cursor', 'the value an earlier page returned');
  return value;
}

export function checkLimit(value: string, fallback: number, max: number): number {
  if (value === '') return fallback;
  if (!/^\d{1,7}$/.test(value) || Number(value) < 1 || Number(value) > max) {
    throw invalid('limit', `an integer from 1 to ${max}`);
  }
  return Number(value);
}
