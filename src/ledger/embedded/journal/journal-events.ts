// The typed events the embedded ledger journals, one per state change, and
// their compact on-disk form. A new command adds an event here, a codec
// entry, and a case in the ledger's applyEvent. Tags are only ever added, and
// fields only ever appended, so every older journal still decodes.
import type { QueueAdmission, SaleChanges, SeatChoice, SeatQuota, SeatTrip, TrainLayout } from '../../types';

export interface SaleCreated {
  readonly type: 'sale_created';
  readonly id: string;
  readonly name: string;
  readonly total: number;
  readonly perUserLimit: number;
  /** 0 makes every order final (paid) at once. Journals from before holds existed lack it: 0. */
  readonly holdSeconds: number;
  readonly opensAt: number | null;
  readonly closesAt: number | null;
  readonly createdAt: number;
  /** A queue sale's waiting room; absent (null on disk) for open sales and older journals. */
  readonly admission?: QueueAdmission;
  /** Journals from before it existed lack it: false. */
  readonly anonymous?: boolean;
  /** Journals from before it existed lack it: DEFAULT_MAX_CANCELS_PER_BUYER applies. */
  readonly maxCancelsPerBuyer?: number;
  /** A train's stations and seats; absent for a sale of one pool and older journals. */
  readonly train?: TrainLayout;
}

/**
 * A new order. Its state and expiresAt follow from the sale's holdSeconds
 * (fixed at creation), so the event does not repeat them.
 */
export interface TicketReserved {
  readonly type: 'ticket_reserved';
  readonly saleId: string;
  readonly userId: string;
  readonly requestKey: string;
  readonly orderId: string;
  readonly createdAt: number;
  /** Queue sales: the pass this order spent (its admitted place). */
  readonly passPlace?: number;
  /** Train orders: the trip and the seat the reservation chose (replay must not choose again). */
  readonly trip?: SeatTrip;
}

/** A buyer took a place in a queue sale's line. */
export interface QueueJoined {
  readonly type: 'queue_joined';
  readonly saleId: string;
  readonly userId: string;
  readonly pre: boolean;
  readonly number: number;
  readonly at: number;
  /** The proof-of-work challenge spent, remembered until it expires. */
  readonly challengeId?: string;
  readonly challengeExpiresAt?: number;
}

/** The queue tick moved a queue sale's line: the serving counter, its clock, the draw. */
export interface QueueAdvanced {
  readonly type: 'queue_advanced';
  readonly saleId: string;
  readonly serving: number;
  readonly lastAt: number;
  readonly expiredBelow: number;
  readonly drawn: boolean;
  readonly at: number;
}

/** reserved -> paid, reserved -> cancelled, reserved -> expired. The order id names the sale. */
export interface OrderPaid {
  readonly type: 'order_paid';
  readonly orderId: string;
  readonly at: number;
}

export interface OrderCancelled {
  readonly type: 'order_cancelled';
  readonly orderId: string;
  readonly at: number;
  /** The buyer cancelled it themself (not an admin): it counts towards the sale's maxCancelsPerBuyer. */
  readonly byBuyer?: boolean;
}

export interface OrderExpired {
  readonly type: 'order_expired';
  readonly orderId: string;
  readonly at: number;
}

export type OrderTransition = OrderPaid | OrderCancelled | OrderExpired;

/** The issuer recorded a paid order's ticket as issued. (Its being due is implied by the event that paid the order.) */
export interface TicketIssued {
  readonly type: 'ticket_issued';
  readonly orderId: string;
  readonly at: number;
}

/** A paid order's ticket was admitted at a gate. */
export interface CheckedIn {
  readonly type: 'checked_in';
  readonly orderId: string;
  readonly gate: string;
  readonly at: number;
}

/** PATCH /api/sales/:id: the fields it set (times in epoch ms, null for no bound). */
export interface SaleUpdated {
  readonly type: 'sale_updated';
  readonly saleId: string;
  readonly changes: SaleChanges;
  readonly at: number;
}

/** POST /api/sales/:id/close: closesAt becomes `at`. */
export interface SaleClosed {
  readonly type: 'sale_closed';
  readonly saleId: string;
  readonly at: number;
}

/** DELETE /api/sales/:id of a sale with no order; the id may be used again after it. */
export interface SaleDeleted {
  readonly type: 'sale_deleted';
  readonly saleId: string;
  readonly at: number;
}

/** The retention sweeper archived a closed sale and removed it with its orders; the id may be used again after it. */
export interface SaleRetired {
  readonly type: 'sale_retired';
  readonly saleId: string;
  readonly at: number;
}

export type SaleChange = SaleUpdated | SaleClosed | SaleDeleted | SaleRetired;
export type JournalEvent = SaleCreated | TicketReserved | OrderTransition | SaleChange | TicketIssued | CheckedIn | QueueJoined | QueueAdvanced;

/**
 * Each event is stored as a JSON array led by a one-letter tag: about half the
 * bytes of an object with field names, and faster to parse at replay.
 */
const TAGS = {
  sale_created: 'S',
  ticket_reserved: 'R',
  order_paid: 'P',
  order_cancelled: 'C',
  order_expired: 'E',
  queue_joined: 'J',
  queue_advanced: 'A',
  ticket_issued: 'I',
  checked_in: 'K',
  sale_updated: 'U',
  sale_closed: 'X',
  sale_deleted: 'D',
  sale_retired: 'T',
} as const satisfies Record<JournalEvent['type'], string>;

/** A sale line's optional fields, in their places: admission (null when none) before maxCancelsPerBuyer. */
/** The optional fields after `anonymous`, in the order they were added: admission, maxCancelsPerBuyer, train; nulls at the end left out. */
function createdTail(event: SaleCreated): unknown[] {
  const tail: unknown[] = [event.admission ?? null, event.maxCancelsPerBuyer ?? null, event.train ?? null];
  while (tail.length > 0 && tail[tail.length - 1] === null) tail.pop();
  return tail;
}

export function encodeEvent(event: JournalEvent): string {
  switch (event.type) {
    case 'sale_created':
      // Fields added later go last, so that a journal written before them still decodes.
      return JSON.stringify([TAGS.sale_created, event.id, event.name, event.total, event.perUserLimit, event.opensAt, event.closesAt, event.createdAt, event.holdSeconds, event.anonymous ? 1 : 0, ...createdTail(event)]);
    case 'ticket_reserved':
      return JSON.stringify([TAGS.ticket_reserved, event.saleId, event.userId, event.requestKey, event.orderId, event.createdAt, ...(event.passPlace !== undefined || event.trip ? [event.passPlace ?? null] : []), ...(event.trip ? [[event.trip.from, event.trip.to, event.trip.seat]] : [])]);
    case 'queue_joined':
      return JSON.stringify([TAGS.queue_joined, event.saleId, event.userId, event.pre ? 1 : 0, event.number, event.at, ...(event.challengeId !== undefined ? [event.challengeId, event.challengeExpiresAt] : [])]);
    case 'queue_advanced':
      return JSON.stringify([TAGS.queue_advanced, event.saleId, event.serving, event.lastAt, event.expiredBelow, event.drawn ? 1 : 0, event.at]);
    case 'order_cancelled':
      return JSON.stringify([TAGS.order_cancelled, event.orderId, event.at, ...(event.byBuyer ? [1] : [])]);
    case 'order_paid':
    case 'order_expired':
    case 'ticket_issued':
      return JSON.stringify([TAGS[event.type], event.orderId, event.at]);
    case 'checked_in':
      return JSON.stringify([TAGS.checked_in, event.orderId, event.at, event.gate]);
    case 'sale_updated':
      return JSON.stringify([TAGS.sale_updated, event.saleId, event.changes, event.at]);
    case 'sale_closed':
    case 'sale_deleted':
    case 'sale_retired':
      return JSON.stringify([TAGS[event.type], event.saleId, event.at]);
  }
}

export class EventDecodeError extends Error {}

const str = (value: unknown): string => {
  if (typeof value !== 'string') throw new EventDecodeError(`expected a string, got ${JSON.stringify(value)}`);
  return value;
};
const num = (value: unknown): number => {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new EventDecodeError(`expected a number, got ${JSON.stringify(value)}`);
  return value;
};
function admissionOf(value: unknown): QueueAdmission {
  if (typeof value !== 'object' || value === null) throw new EventDecodeError(`expected an admission object, got ${JSON.stringify(value)}`);
  const a = value as Record<string, unknown>;
  return {
    mode: 'queue',
    admitPerSecond: num(a.admitPerSecond),
    overAdmit: num(a.overAdmit),
    passSeconds: num(a.passSeconds),
    difficulty: num(a.difficulty),
    maxDifficulty: num(a.maxDifficulty),
    shuffleKey: str(a.shuffleKey),
  };
}
function trainOf(value: unknown): TrainLayout {
  if (typeof value !== 'object' || value === null) throw new EventDecodeError(`expected a train layout, got ${JSON.stringify(value)}`);
  const t = value as Record<string, unknown>;
  if (!Array.isArray(t.stations)) throw new EventDecodeError(`expected the train's stations, got ${JSON.stringify(t.stations)}`);
  const seatChoice = str(t.seatChoice);
  if (seatChoice !== 'best-fit' && seatChoice !== 'first-fit') throw new EventDecodeError(`unknown seat choice ${JSON.stringify(seatChoice)}`);
  const quotas = t.quotas === undefined ? undefined : Array.isArray(t.quotas) ? t.quotas.map(quotaOf) : (() => {
    throw new EventDecodeError(`expected the train's quotas, got ${JSON.stringify(t.quotas)}`);
  })();
  return { stations: t.stations.map(str), seats: num(t.seats), seatChoice: seatChoice as SeatChoice, ...(quotas ? { quotas } : {}) };
}
function quotaOf(value: unknown): SeatQuota {
  if (typeof value !== 'object' || value === null) throw new EventDecodeError(`expected a quota, got ${JSON.stringify(value)}`);
  const q = value as Record<string, unknown>;
  return { firstSeat: num(q.firstSeat), seats: num(q.seats), minSegments: num(q.minSegments), releaseAt: num(q.releaseAt) };
}
function tripOf(value: unknown): SeatTrip {
  if (!Array.isArray(value) || value.length !== 3) throw new EventDecodeError(`expected a trip [from, to, seat], got ${JSON.stringify(value)}`);
  return { from: num(value[0]), to: num(value[1]), seat: num(value[2]) };
}
const numOrNull = (value: unknown): number | null => (value === null ? null : num(value));

/** A SaleUpdated's changes: only the known fields, each of its type. */
function changesOf(value: unknown): SaleChanges {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new EventDecodeError(`expected an object of sale changes, got ${JSON.stringify(value)}`);
  const raw = value as Record<string, unknown>;
  const changes: Record<string, unknown> = {};
  for (const [field, v] of Object.entries(raw)) {
    if (field === 'name') changes.name = str(v);
    else if (field === 'total' || field === 'perUserLimit' || field === 'holdSeconds' || field === 'maxCancelsPerBuyer') changes[field] = num(v);
    else if (field === 'opensAt' || field === 'closesAt') changes[field] = numOrNull(v);
    else throw new EventDecodeError(`unknown sale field ${JSON.stringify(field)}`);
  }
  return changes as SaleChanges;
}

export function decodeEvent(text: string): JournalEvent {
  let fields: unknown;
  try {
    fields = JSON.parse(text);
  } catch (error) {
    throw new EventDecodeError(`not JSON: ${(error as Error).message}`);
  }
  if (!Array.isArray(fields)) throw new EventDecodeError('not an event array');
  switch (fields[0]) {
    case TAGS.sale_created:
      return {
        type: 'sale_created',
        id: str(fields[1]),
        name: str(fields[2]),
        total: num(fields[3]),
        perUserLimit: num(fields[4]),
        opensAt: numOrNull(fields[5]),
        closesAt: numOrNull(fields[6]),
        createdAt: num(fields[7]),
        holdSeconds: fields.length > 8 ? num(fields[8]) : 0,
        anonymous: fields.length > 9 ? num(fields[9]) === 1 : false,
        ...(fields.length > 10 && fields[10] !== null ? { admission: admissionOf(fields[10]) } : {}),
        ...(fields.length > 11 && fields[11] !== null ? { maxCancelsPerBuyer: num(fields[11]) } : {}),
        ...(fields.length > 12 && fields[12] !== null ? { train: trainOf(fields[12]) } : {}),
      };
    case TAGS.ticket_reserved:
      return {
        type: 'ticket_reserved',
        saleId: str(fields[1]),
        userId: str(fields[2]),
        requestKey: str(fields[3]),
        orderId: str(fields[4]),
        createdAt: num(fields[5]),
        ...(fields.length > 6 && fields[6] !== null ? { passPlace: num(fields[6]) } : {}),
        ...(fields.length > 7 ? { trip: tripOf(fields[7]) } : {}),
      };
    case TAGS.queue_joined:
      return {
        type: 'queue_joined',
        saleId: str(fields[1]),
        userId: str(fields[2]),
        pre: num(fields[3]) === 1,
        number: num(fields[4]),
        at: num(fields[5]),
        ...(fields.length > 6 ? { challengeId: str(fields[6]), challengeExpiresAt: num(fields[7]) } : {}),
      };
    case TAGS.queue_advanced:
      return { type: 'queue_advanced', saleId: str(fields[1]), serving: num(fields[2]), lastAt: num(fields[3]), expiredBelow: num(fields[4]), drawn: num(fields[5]) === 1, at: num(fields[6]) };
    case TAGS.order_paid:
      return { type: 'order_paid', orderId: str(fields[1]), at: num(fields[2]) };
    case TAGS.order_cancelled:
      return { type: 'order_cancelled', orderId: str(fields[1]), at: num(fields[2]), ...(fields.length > 3 && fields[3] === 1 ? { byBuyer: true } : {}) };
    case TAGS.order_expired:
      return { type: 'order_expired', orderId: str(fields[1]), at: num(fields[2]) };
    case TAGS.ticket_issued:
      return { type: 'ticket_issued', orderId: str(fields[1]), at: num(fields[2]) };
    case TAGS.checked_in:
      return { type: 'checked_in', orderId: str(fields[1]), at: num(fields[2]), gate: str(fields[3]) };
    case TAGS.sale_updated:
      return { type: 'sale_updated', saleId: str(fields[1]), changes: changesOf(fields[2]), at: num(fields[3]) };
    case TAGS.sale_closed:
      return { type: 'sale_closed', saleId: str(fields[1]), at: num(fields[2]) };
    case TAGS.sale_deleted:
      return { type: 'sale_deleted', saleId: str(fields[1]), at: num(fields[2]) };
    case TAGS.sale_retired:
      return { type: 'sale_retired', saleId: str(fields[1]), at: num(fields[2]) };
    default:
      throw new EventDecodeError(`unknown event tag ${JSON.stringify(fields[0])}`);
  }
}
