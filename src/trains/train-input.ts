// A train and a trip as a client sends them (POST /api/trains, a purchase,
// an availability query): every field checked, unknown ones refused by name,
// stations named as they were created.
import { spikeError } from '../errors/errors';
import { SEAT_CHOICES, type SeatChoice, type SeatQuota, type TrainLayout, type TrainSpec } from '../ledger';
import { checkKnownFields } from '../http/known-fields';
import { checkWindow, DEFAULT_HOLD_SECONDS, integer, name } from '../http/sale-input';
import { parseTime } from '../http/time-input';
import { checkId, invalid } from '../http/validate';

export const TRAIN_FIELDS = ['id', 'name', 'stations', 'seats', 'perUserLimit', 'holdSeconds', 'opensAt', 'closesAt', 'seatChoice', 'quotas'] as const;
export const QUOTA_FIELDS = ['firstSeat', 'seats', 'minSegments', 'releaseAt'] as const;
export const MAX_QUOTAS = 8;
export const TRIP_FIELDS = ['userId', 'from', 'to'] as const;

/** A refused trip names its full segments as bits of a double: 49 segments stay exact below 2^53. */
export const MAX_STATIONS = 50;
export const MAX_SEATS = 100_000;

function stations(value: unknown): string[] {
  const allowed = `an array of 2-${MAX_STATIONS} distinct station names, each 1-64 characters of A-Z a-z 0-9 _ -`;
  if (!Array.isArray(value) || value.length < 2 || value.length > MAX_STATIONS) throw invalid('stations', allowed);
  for (const station of value) if (typeof station !== 'string' || !/^[A-Za-z0-9_-]{1,64}$/.test(station)) throw invalid('stations', allowed);
  if (new Set(value).size !== value.length) throw invalid('stations', allowed);
  return value as string[];
}

function seats(value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > MAX_SEATS) throw invalid('seats', `an integer from 1 to ${MAX_SEATS}`);
  return value;
}

function seatChoice(value: unknown): SeatChoice {
  if (value === undefined) return 'best-fit';
  if (typeof value !== 'string' || !SEAT_CHOICES.includes(value as SeatChoice)) throw invalid('seatChoice', SEAT_CHOICES.map((c) => `"${c}"`).join(' or '));
  return value as SeatChoice;
}

/**
 * Quotas: up to MAX_QUOTAS seat ranges that only trips of at least
 * minSegments segments may buy until releaseAt. Each range lies within the
 * train's seats; minSegments is 2 to the train's segments (1 would close nothing).
 */
function quotas(value: unknown, seatCount: number, segments: number): SeatQuota[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || value.length > MAX_QUOTAS) throw invalid('quotas', `an array of at most ${MAX_QUOTAS} quotas {firstSeat, seats, minSegments, releaseAt}`);
  return value.map((raw, i) => {
    const field = `quotas[${i}]`;
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw invalid(field, 'an object {firstSeat, seats, minSegments, releaseAt}');
    const q = raw as Record<string, unknown>;
    checkKnownFields(q, QUOTA_FIELDS);
    const whole = (name: string, v: unknown, min: number, max: number) => {
      if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw invalid(`${field}.${name}`, `an integer from ${min} to ${max}`);
      return v;
    };
    const firstSeat = whole('firstSeat', q.firstSeat, 0, seatCount - 1);
    const seats = whole('seats', q.seats, 1, seatCount - firstSeat);
    const minSegments = whole('minSegments', q.minSegments, 2, Math.max(2, segments));
    if (q.releaseAt === undefined) throw invalid(`${field}.releaseAt`, 'given: the time its seats join the general pool');
    const releaseAt = parseTime(`${field}.releaseAt`, q.releaseAt);
    if (releaseAt === null) throw invalid(`${field}.releaseAt`, 'a time, not null: the time its seats join the general pool');
    return { firstSeat, seats, minSegments, releaseAt };
  });
}

export function parseTrainSpec(body: Record<string, unknown>, now = Date.now()): TrainSpec {
  checkKnownFields(body, TRAIN_FIELDS);
  const id = checkId('id', body.id);
  const opensAt = body.opensAt === undefined ? null : parseTime('opensAt', body.opensAt);
  const closesAt = body.closesAt === undefined ? null : parseTime('closesAt', body.closesAt);
  checkWindow(opensAt, closesAt, now);
  const stationList = stations(body.stations);
  const seatCount = seats(body.seats);
  const quotaList = quotas(body.quotas, seatCount, stationList.length - 1);
  return {
    id,
    name: body.name === undefined ? id : name(body.name),
    stations: stationList,
    seats: seatCount,
    ...(quotaList.length > 0 ? { quotas: quotaList } : {}),
    perUserLimit: body.perUserLimit === undefined ? 1 : integer('perUserLimit', body.perUserLimit),
    holdSeconds: body.holdSeconds === undefined ? DEFAULT_HOLD_SECONDS : integer('holdSeconds', body.holdSeconds),
    opensAt,
    closesAt,
    seatChoice: seatChoice(body.seatChoice),
  };
}

/** Station names -> indexes; anything that is not two of the train's stations, from before to, is a bad route. */
export function parseRoute(trainId: string, layout: Pick<TrainLayout, 'stations'>, from: unknown, to: unknown): { from: number; to: number } {
  const fromIndex = typeof from === 'string' ? layout.stations.indexOf(from) : -1;
  const toIndex = typeof to === 'string' ? layout.stations.indexOf(to) : -1;
  if (fromIndex < 0 || toIndex < 0 || fromIndex >= toIndex) throw spikeError('BAD_ROUTE', { saleId: trainId });
  return { from: fromIndex, to: toIndex };
}

/** from and to are required strings before they are stations. */
export function checkStationField(field: 'from' | 'to', value: unknown): string {
  if (typeof value !== 'string' || value === '') throw invalid(field, 'a station name of the train');
  return value;
}
