// The one table of what each ledger command can answer. Every outcome has one
// name, declared here once: the Lua scripts return it as their first reply
// element, the embedded ledger's decisions return it as `kind`, and the HTTP
// layer maps it to an answer or to a SpikeError from this same table. The
// outcome types below are derived from the table, so adding an outcome means
// one entry here, one in the script, one in the embedded decision.
import type { ErrorName } from '../errors/errors';
import type { Order, Sale } from './types';

/** The payload fields an outcome may carry, and their types. */
interface FieldTypes {
  readonly order: Order;
  readonly sale: Sale;
  readonly sold: number;
  /** Orders a sale has (any state); a sale with any cannot be deleted. */
  readonly orders: number;
  /** When the earliest pending hold expires, epoch ms; 0 when no hold is pending. */
  readonly nextReleaseAt: number;
  readonly total: number;
  readonly perUserLimit: number;
  /** The sale's cap on a buyer's own cancellations. */
  readonly maxCancelsPerBuyer: number;
  readonly opensAt: number;
  readonly closesAt: number;
  /** 1 for the pre-queue, 0 behind it. */
  readonly pre: number;
  readonly number: number;
  /** When a ticket was checked in (admitted now, or used before). */
  readonly at: number;
  /** The gate that admitted the ticket. */
  readonly gate: string;
  /** A trip's stations, by index. */
  readonly from: number;
  readonly to: number;
  /** Seats still free for the whole trip after this reservation. */
  readonly available: number;
  /**
   * A trip's segments that have no seat free at all, as bits (bit i: segment
   * from + i). On a refusal, 0 means every segment has a free seat but no one
   * seat is free on all of them: a refusal by fragmentation. On a
   * reservation that took the trip's last seat, the segments it filled.
   */
  readonly full: number;
}
export type OutcomeField = keyof FieldTypes;

interface OutcomeSpec {
  /** The reply's payload, in the order the Lua script returns it after the outcome name. */
  readonly fields: readonly OutcomeField[];
  /** A success answers with this HTTP status; a refusal names its error instead. */
  readonly status?: number;
  /** The request repeated one that already succeeded: same answer, marked as a replay. */
  readonly replayed?: true;
  readonly error?: ErrorName;
  /** Answered by the worker from a signature alone, before any ledger call; no script returns it. */
  readonly byWorker?: true;
  /** The error instead of `error` when the outcome's nextReleaseAt is set (held tickets may come back). */
  readonly errorWhileHeld?: ErrorName;
}

export const OUTCOMES = {
  reserve: {
    // nextReleaseAt: set when this sold the last ticket (as sold_out's), so the worker that sold it can say when to look again.
    reserved: { fields: ['order', 'sold', 'total', 'nextReleaseAt'], status: 201 },
    replayed: { fields: ['order'], status: 201, replayed: true },
    sold_out: { fields: ['total', 'nextReleaseAt'], error: 'SOLD_OUT', errorWhileHeld: 'SOLD_OUT_HOLDS_PENDING' },
    limit_reached: { fields: ['perUserLimit'], error: 'LIMIT_REACHED' },
    key_reused: { fields: [], error: 'IDEMPOTENCY_KEY_REUSED' },
    not_found: { fields: [], error: 'SALE_NOT_FOUND' },
    not_open: { fields: ['opensAt'], error: 'NOT_OPEN' },
    closed: { fields: ['closesAt'], error: 'CLOSED' },
    // A queue sale's pass: checked for signature by the worker (pass_invalid),
    // for presence, expiry and single use by the ledger, atomically with the reservation.
    pass_required: { fields: [], error: 'PASS_REQUIRED' },
    pass_invalid: { fields: [], error: 'PASS_INVALID', byWorker: true },
    pass_expired: { fields: [], error: 'PASS_EXPIRED' },
    pass_used: { fields: [], error: 'PASS_USED' },
  },
  // A train's trip: a sale's checks, then a seat free on every segment of it.
  reserveTrip: {
    reserved: { fields: ['order', 'available', 'full'], status: 201 },
    replayed: { fields: ['order'], status: 201, replayed: true },
    bad_route: { fields: [], error: 'BAD_ROUTE' },
    sold_out: { fields: ['from', 'to', 'nextReleaseAt', 'full'], error: 'TRIP_SOLD_OUT', errorWhileHeld: 'TRIP_SOLD_OUT_HOLDS_PENDING' },
    limit_reached: { fields: ['perUserLimit'], error: 'LIMIT_REACHED' },
    key_reused: { fields: [], error: 'IDEMPOTENCY_KEY_REUSED' },
    not_found: { fields: [], error: 'TRAIN_NOT_FOUND' },
    not_open: { fields: ['opensAt'], error: 'NOT_OPEN' },
    closed: { fields: ['closesAt'], error: 'CLOSED' },
  },
  join: {
    joined: { fields: ['pre', 'number'], status: 201 },
    rejoined: { fields: ['pre', 'number'], status: 200, replayed: true },
    not_found: { fields: [], error: 'SALE_NOT_FOUND' },
    not_queue: { fields: [], error: 'NOT_QUEUE_SALE' },
    closed: { fields: ['closesAt'], error: 'CLOSED' },
    challenge_used: { fields: [], error: 'POW_USED' },
  },
  pay: {
    paid: { fields: ['order'], status: 200 },
    already_paid: { fields: ['order'], status: 200, replayed: true },
    expired: { fields: ['order'], error: 'EXPIRED' },
    cancelled: { fields: ['order'], error: 'ORDER_CANCELLED' },
    forbidden: { fields: [], error: 'NOT_ORDER_OWNER' },
    not_found: { fields: [], error: 'ORDER_NOT_FOUND' },
  },
  cancel: {
    cancelled: { fields: ['order'], status: 200 },
    already_cancelled: { fields: ['order'], status: 200, replayed: true },
    paid: { fields: ['order'], error: 'ALREADY_PAID' },
    expired: { fields: ['order'], error: 'EXPIRED' },
    /** The buyer has cancelled the sale's maxCancelsPerBuyer orders already; the order stays held. */
    too_many_cancellations: { fields: ['order', 'maxCancelsPerBuyer'], error: 'TOO_MANY_CANCELLATIONS' },
    forbidden: { fields: [], error: 'NOT_ORDER_OWNER' },
    not_found: { fields: [], error: 'ORDER_NOT_FOUND' },
  },
  checkIn: {
    admitted: { fields: ['order', 'at', 'gate'], status: 200 },
    already_used: { fields: ['order', 'at', 'gate'], error: 'TICKET_ALREADY_USED' },
    /** The order is no longer paid (cancelled, expired): its ticket admits no one. */
    revoked: { fields: ['order'], error: 'TICKET_REVOKED' },
    /** A well-signed ticket whose order the ledger does not hold for that buyer (its sale was deleted, or another deployment's key). */
    unknown: { fields: [], error: 'TICKET_REVOKED' },
  },
  updateSale: {
    updated: { fields: ['sale'], status: 200 },
    not_found: { fields: [], error: 'SALE_NOT_FOUND' },
    total_below_sold: { fields: ['sold'], error: 'TOTAL_BELOW_SOLD' },
    already_open: { fields: ['opensAt'], error: 'ALREADY_OPEN' },
    limit_in_use: { fields: ['perUserLimit'], error: 'LIMIT_IN_USE' },
    bad_window: { fields: ['opensAt', 'closesAt'], error: 'INVALID_WINDOW' },
  },
  closeSale: {
    closed: { fields: ['sale'], status: 200 },
    already_closed: { fields: ['sale'], status: 200, replayed: true },
    not_found: { fields: [], error: 'SALE_NOT_FOUND' },
  },
  deleteSale: {
    deleted: { fields: [], status: 200 },
    has_orders: { fields: ['orders'], error: 'SALE_HAS_ORDERS' },
    not_found: { fields: [], error: 'SALE_NOT_FOUND' },
  },
  /** The retention sweeper's (src/retention/), not a route's: the statuses say what each would be over HTTP. */
  retireSale: {
    retired: { fields: ['orders'], status: 200 },
    /** Something happened to the sale after its archive was read: the next sweep archives it again. */
    changed: { fields: [], status: 409 },
    not_due: { fields: [], status: 409 },
    not_found: { fields: [], error: 'SALE_NOT_FOUND' },
  },
} as const satisfies Record<string, Record<string, OutcomeSpec>>;

export type Command = keyof typeof OUTCOMES;
type Table<C extends Command> = (typeof OUTCOMES)[C];

/** `{kind, ...fields}` for each outcome of the command, as a discriminated union. */
export type OutcomeOf<C extends Command> = {
  [K in keyof Table<C>]: { readonly kind: K } & { readonly [F in Table<C>[K] extends { fields: readonly (infer F extends OutcomeField)[] } ? F : never]: FieldTypes[F] };
}[keyof Table<C>];

export type ReserveOutcome = OutcomeOf<'reserve'>;
export type ReserveTripOutcome = OutcomeOf<'reserveTrip'>;
export type PayOutcome = OutcomeOf<'pay'>;
export type CancelOutcome = OutcomeOf<'cancel'>;
export type JoinOutcome = OutcomeOf<'join'>;
export type CheckInOutcome = OutcomeOf<'checkIn'>;
export type UpdateSaleOutcome = OutcomeOf<'updateSale'>;
export type CloseSaleOutcome = OutcomeOf<'closeSale'>;
export type DeleteSaleOutcome = OutcomeOf<'deleteSale'>;
export type RetireSaleOutcome = OutcomeOf<'retireSale'>;

export function outcomeSpec(command: Command, kind: string): OutcomeSpec | undefined {
  return Object.hasOwn(OUTCOMES[command], kind) ? (OUTCOMES[command] as Record<string, OutcomeSpec>)[kind] : undefined;
}

/**
 * Turns a Lua reply `{name, field1, field2, ...}` into its outcome object, by
 * the table; an unknown name is a bug in a script, never a client's fault.
 */
export function decodeReply<C extends Command>(command: C, reply: readonly unknown[]): OutcomeOf<C> {
  const kind = String(reply[0]);
  const spec = outcomeSpec(command, kind);
  if (!spec) throw new Error(`the ${command} script answered an outcome the table does not name: ${JSON.stringify(reply[0])}`);
  const outcome: Record<string, unknown> = { kind };
  spec.fields.forEach((field, i) => {
    const raw = reply[i + 1];
    // Orders and sales come as JSON (see includes/orders.lua and includes/sales.lua), a gate as its id; every other field is a number.
    outcome[field] = field === 'order' || field === 'sale' ? JSON.parse(String(raw)) : field === 'gate' ? String(raw) : Number(raw);
  });
  return outcome as OutcomeOf<C>;
}
