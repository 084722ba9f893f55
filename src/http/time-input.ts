// Times a client sends: epoch milliseconds or ISO 8601 with a timezone, and
// nothing that could be misread. Epoch seconds (1900000000 opened a sale in
// 1970) and zone-less ISO times (whose zone? the server's?) are refused.
import { spikeError } from '../errors/errors';

/** Below this an epoch number is seconds, not milliseconds: 10^11 ms is 1973, 10^11 s is the year 5138. */
export const MIN_EPOCH_MS = 1e11;
/** The largest time a JavaScript Date holds. */
const MAX_EPOCH_MS = 8.64e15;

/** Date and time, optional seconds and fraction, and a zone: Z or ±hh:mm. */
const ISO_WITH_ZONE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2})$/i;
const ISO_WITHOUT_ZONE = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?)?$/i;

const ALLOWED = 'epoch milliseconds (e.g. 1900000000000) or an ISO 8601 date-time with a timezone (e.g. "2030-03-07T09:00:00Z" or "2030-03-07T10:00:00+01:00")';

function invalid(field: string, why: string) {
  return spikeError('INVALID_FIELD', { field, allowed: `${ALLOWED}; ${why}` });
}

/** Epoch ms from a time field's JSON value; null stays null (no bound). Throws 400 invalid_field saying what to send. */
export function parseTime(field: string, value: unknown): number | null {
  if (value === null) return null;
  if (typeof value === 'number') {
    if (!Number.isInteger(value) || value < 0) throw invalid(field, `got ${value}`);
    if (value < MIN_EPOCH_MS) throw invalid(field, `${value} looks like epoch seconds (it would be ${new Date(value).toISOString()}); send milliseconds, e.g. ${value * 1000}, or ISO 8601`);
    if (value > MAX_EPOCH_MS) throw invalid(field, `got ${value}`);
    return value;
  }
  if (typeof value === 'string') {
    if (ISO_WITHOUT_ZONE.test(value)) throw invalid(field, `"${value}" has no timezone; add Z for UTC or an offset such as +01:00`);
    const ms = ISO_WITH_ZONE.test(value) ? Date.parse(value) : NaN;
    if (!Number.isFinite(ms)) throw invalid(field, `got ${JSON.stringify(value.slice(0, 64))}`);
    return ms;
  }
  throw invalid(field, `got ${JSON.stringify(value)}`);
}
