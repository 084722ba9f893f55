// A sale's settings as a client sends them, to create one (POST /api/sales)
// or change one (PATCH /api/sales/:id): every field checked, unknown ones
// refused by name, times that cannot be misread.
import { spikeError } from '../errors/errors';
import type { SaleChanges, SaleSpec } from '../ledger';
import { DEFAULT_MAX_CANCELS_PER_BUYER } from '../ledger';
import { checkKnownFields } from './known-fields';
import { parseTime } from './time-input';
import { checkId, invalid } from './validate';

const MAX_TOTAL = 1_000_000_000;
/** A buyer has 15 minutes to pay unless the sale says otherwise. */
export const DEFAULT_HOLD_SECONDS = 900;

export const SALE_FIELDS = ['id', 'name', 'total', 'perUserLimit', 'holdSeconds', 'opensAt', 'closesAt', 'anonymous', 'admission', 'maxCancelsPerBuyer'] as const;
/** Everything but the id, which names the sale in the path. */
export const SALE_CHANGE_FIELDS = ['name', 'total', 'perUserLimit', 'holdSeconds', 'opensAt', 'closesAt', 'maxCancelsPerBuyer'] as const;

const RANGES = { total: [0, MAX_TOTAL], perUserLimit: [1, 1000], holdSeconds: [0, 86_400], maxCancelsPerBuyer: [0, 1000] } as const;

export function integer(field: keyof typeof RANGES, value: unknown): number {
  const [min, max] = RANGES[field];
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) throw invalid(field, `an integer from ${min} to ${max}`);
  return value;
}

export function name(value: unknown): string {
  if (typeof value !== 'string' || value.length < 1 || value.length > 200) throw invalid('name', 'a string of 1-200 characters');
  return value;
}

/** closesAt after opensAt, and (for a time being set now) not already past: such a sale could never sell. */
export function checkWindow(opensAt: number | null, closesAt: number | null, now: number): void {
  if (closesAt === null) return;
  if (opensAt !== null && closesAt <= opensAt) throw invalid('closesAt', `later than opensAt (${new Date(opensAt).toISOString()})`);
  if (closesAt <= now) throw invalid('closesAt', `in the future (it is ${new Date(now).toISOString()} now); to close a sale now, POST /api/sales/:id/close`);
}

/** Sale ids that start so are spike's own, its warm-ups' (src/worker/warm-up.ts, src/front/front-warm-up.ts): creation refuses them. */
export const RESERVED_SALE_PREFIX = 'spike-warmup';

export function parseSaleSpec(body: Record<string, unknown>, now = Date.now()): SaleSpec {
  checkKnownFields(body, SALE_FIELDS);
  const id = checkId('id', body.id);
  if (id.startsWith(RESERVED_SALE_PREFIX)) throw invalid('id', `an id that does not start with "${RESERVED_SALE_PREFIX}" (kept for spike's own warm-up)`);
  const opensAt = body.opensAt === undefined ? null : parseTime('opensAt', body.opensAt);
  const closesAt = body.closesAt === undefined ? null : parseTime('closesAt', body.closesAt);
  checkWindow(opensAt, closesAt, now);
  return {
    id,
    name: body.name === undefined ? id : name(body.name),
    total: integer('total', body.total),
    perUserLimit: body.perUserLimit === undefined ? 1 : integer('perUserLimit', body.perUserLimit),
    holdSeconds: body.holdSeconds === undefined ? DEFAULT_HOLD_SECONDS : integer('holdSeconds', body.holdSeconds),
    opensAt,
    closesAt,
    anonymous: anonymous(body.anonymous),
    maxCancelsPerBuyer: body.maxCancelsPerBuyer === undefined ? DEFAULT_MAX_CANCELS_PER_BUYER : integer('maxCancelsPerBuyer', body.maxCancelsPerBuyer),
  };
}

/** GET /buy/ticket without ?user sells to a new buyer per request only on a sale that says so. */
function anonymous(value: unknown): boolean {
  if (value === undefined) return false;
  if (typeof value !== 'boolean') throw invalid('anonymous', 'true or false');
  return value;
}

/**
 * The fields a PATCH sets; at least one. A closesAt sent must be in the future
 * (closing now is POST .../close). Rules that depend on the sale (total not
 * below sold, opensAt not yet passed, the window with the value not sent)
 * are the ledger's, checked atomically there.
 */
export function parseSaleChanges(body: Record<string, unknown>, now = Date.now()): SaleChanges {
  checkKnownFields(body, SALE_CHANGE_FIELDS);
  const changes: { -readonly [K in keyof SaleChanges]: SaleChanges[K] } = {};
  if (body.name !== undefined) changes.name = name(body.name);
  for (const field of ['total', 'perUserLimit', 'holdSeconds', 'maxCancelsPerBuyer'] as const) if (body[field] !== undefined) changes[field] = integer(field, body[field]);
  if (body.opensAt !== undefined) changes.opensAt = parseTime('opensAt', body.opensAt);
  if (body.closesAt !== undefined) changes.closesAt = parseTime('closesAt', body.closesAt);
  if (Object.keys(changes).length === 0) throw spikeError('NOTHING_TO_CHANGE', { fields: SALE_CHANGE_FIELDS.join(', ') });
  checkWindow(changes.opensAt ?? null, changes.closesAt ?? null, now);
  return changes;
}
