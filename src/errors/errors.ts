// One error class for everything a client can be told, each with a stable
// code, an HTTP status and its message template kept next to the code (after
// fastify's createError): throw sites pass values, never prose. The README's
// error table is checked against ERRORS, both ways.

export interface ErrorSpec {
  readonly status: number;
  /** Short machine code used in the HTTP body, e.g. "sold_out". */
  readonly code: string;
  /** When this is returned, for the README. */
  readonly when: string;
  /** The message, with {name} placeholders the throw site fills in. */
  readonly message: string;
}

export const ERRORS = {
  SOLD_OUT: { status: 409, code: 'sold_out', when: 'every ticket of the sale is taken', message: 'sale "{saleId}" is sold out' },
  SOLD_OUT_HOLDS_PENDING: {
    status: 409,
    code: 'sold_out',
    when: 'every ticket is taken but some are only held for payment; the body\'s nextReleaseAt says when the next hold runs out',
    message: 'sale "{saleId}" is sold out for now: some tickets are only held for payment and go back on sale if unpaid; the next hold runs out at {nextReleaseAt}',
  },
  TOTAL_BELOW_SOLD: {
    status: 409,
    code: 'total_below_sold',
    when: 'PATCH /api/sales/:id with a total below the tickets already sold (held or paid)',
    message: '{sold} ticket(s) of sale "{saleId}" are already sold (held or paid); total may shrink only down to that',
  },
  ALREADY_OPEN: {
    status: 409,
    code: 'already_open',
    when: 'PATCH /api/sales/:id changing opensAt of a sale that has opened',
    message: 'sale "{saleId}" opened at {opensAt}; its opensAt can no longer change (close it with POST /api/sales/{saleId}/close)',
  },
  LIMIT_IN_USE: {
    status: 409,
    code: 'limit_in_use',
    when: 'PATCH /api/sales/:id lowering perUserLimit once tickets are sold',
    message: 'tickets of sale "{saleId}" are already sold under perUserLimit {perUserLimit}; it may grow but not shrink now',
  },
  INVALID_WINDOW: {
    status: 409,
    code: 'invalid_window',
    when: "PATCH /api/sales/:id that would leave closesAt at or before opensAt (the sale's current value for the one not sent)",
    message: 'closesAt ({closesAt}) must be after opensAt ({opensAt})',
  },
  SALE_HAS_ORDERS: {
    status: 409,
    code: 'sale_has_orders',
    when: 'DELETE /api/sales/:id of a sale that has orders; close it instead',
    message: 'sale "{saleId}" has {orders} order(s) and cannot be deleted; close it with POST /api/sales/{saleId}/close',
  },
  LIMIT_REACHED: {
    status: 409,
    code: 'limit_reached',
    when: "the buyer already holds the sale's perUserLimit tickets",
    message: 'buyer "{userId}" already holds {perUserLimit} ticket(s) of sale "{saleId}", the limit',
  },
  TOO_MANY_CANCELLATIONS: {
    status: 429,
    code: 'too_many_cancellations',
    when: "the buyer has already cancelled the sale's maxCancelsPerBuyer orders (default 3); the order stays held until paid or expired",
    message: 'buyer "{userId}" has already cancelled {maxCancelsPerBuyer} order(s) of sale "{saleId}", its maxCancelsPerBuyer; order {orderId} stays held until it is paid or its hold runs out',
  },
  SALE_EXISTS: { status: 409, code: 'sale_exists', when: 'POST /api/sales with an id that is already used', message: 'a sale with id "{saleId}" already exists' },
  IDEMPOTENCY_KEY_REUSED: {
    status: 422,
    code: 'idempotency_key_reused',
    when: 'an Idempotency-Key is sent again for a different buyer',
    message: 'this Idempotency-Key was already used by another buyer; send a new key for a new purchase',
  },
  EXPIRED: {
    status: 409,
    code: 'expired',
    when: 'paying or cancelling an order whose hold ran out; its ticket went back on sale',
    message: 'order {orderId} expired at {expiredAt} unpaid; its ticket went back on sale',
  },
  ORDER_CANCELLED: { status: 409, code: 'cancelled', when: 'paying an order that was cancelled', message: 'order {orderId} was cancelled; buy again' },
  ALREADY_PAID: { status: 409, code: 'already_paid', when: 'cancelling an order that is paid', message: 'order {orderId} is paid and cannot be cancelled here' },
  NOT_ORDER_OWNER: {
    status: 403,
    code: 'not_order_owner',
    when: "paying or cancelling another buyer's order without the admin token",
    message: "this order belongs to another buyer; send the buyer's own userId or the admin token",
  },
  NOT_OPEN: { status: 403, code: 'not_open', when: 'the sale has an opensAt in the future', message: 'the sale opens at {opensAt}' },
  CLOSED: { status: 403, code: 'closed', when: 'the sale has a closesAt in the past', message: 'the sale closed at {closesAt}' },
  UNAUTHORIZED: {
    status: 401,
    code: 'unauthorized',
    when: 'an admin route without the right Authorization: Bearer token',
    message: '{what} needs the header Authorization: Bearer <ADMIN_TOKEN>',
  },
  BUYER_UNAUTHORIZED: {
    status: 401,
    code: 'buyer_unauthorized',
    when: "BUYER_AUTH is on and the buyer's token is missing, forged or malformed, or names another buyer than the request does",
    message: '{reason}',
  },
  BUYER_TOKEN_EXPIRED: {
    status: 401,
    code: 'buyer_token_expired',
    when: "BUYER_AUTH is on and the buyer's token is past its exp; the site's login issues a fresh one",
    message: 'the buyer token expired at {expiredAt}; log in again for a fresh one',
  },
  GATE_UNAUTHORIZED: {
    status: 401,
    code: 'gate_unauthorized',
    when: 'POST /api/checkins without Authorization: Bearer <GATE_TOKEN> (or the admin token)',
    message: 'checking in a ticket needs the header Authorization: Bearer <GATE_TOKEN> (or the admin token)',
  },
  ORDER_NOT_PAID: {
    status: 409,
    code: 'order_not_paid',
    when: "asking for the ticket of an order that is not paid; a ticket exists only for a paid order",
    message: 'order {orderId} is {state}; its ticket exists once it is paid',
  },
  TICKET_INVALID: {
    status: 400,
    code: 'ticket_invalid',
    when: "a check-in's ticket is malformed or its signature does not verify with this server's key",
    message: 'the ticket is not valid: {reason}',
  },
  TICKET_ALREADY_USED: {
    status: 409,
    code: 'already_used',
    when: 'a check-in of a ticket that was already admitted; the answer says when and at which gate',
    message: 'ticket {ticketId} was already used at {usedAt} at gate "{gate}"',
  },
  TICKET_REVOKED: {
    status: 409,
    code: 'ticket_revoked',
    when: 'a check-in of a well-signed ticket whose order is no longer paid (cancelled, expired) or no longer exists',
    message: 'ticket {ticketId} is revoked: {reason}',
  },
  TRIP_SOLD_OUT: {
    status: 409,
    code: 'sold_out',
    when: 'no seat of the train is free on every segment of the trip; the body names from and to',
    message: 'train "{saleId}" has no seat free from {from} to {to}',
  },
  TRIP_SOLD_OUT_HOLDS_PENDING: {
    status: 409,
    code: 'sold_out',
    when: 'no seat is free for the trip but some seats are only held for payment; the body names from, to and nextReleaseAt',
    message: 'train "{saleId}" has no seat free from {from} to {to} for now: some seats are only held for payment; the next hold runs out at {nextReleaseAt}',
  },
  BAD_ROUTE: {
    status: 400,
    code: 'bad_route',
    when: 'a train purchase or availability whose from and to are not two of the train\'s stations, from before to',
    message: 'from and to must be two stations of train "{saleId}", from before to',
  },
  TRAIN_NOT_FOUND: { status: 404, code: 'train_not_found', when: 'no train has this id', message: 'no train has id "{saleId}"' },
  SALE_NOT_FOUND: { status: 404, code: 'sale_not_found', when: 'no sale has this id', message: 'no sale has id "{saleId}"' },
  ORDER_NOT_FOUND: { status: 404, code: 'order_not_found', when: 'no order has this id', message: 'no order has id "{orderId}"' },
  ROUTE_NOT_FOUND: { status: 404, code: 'route_not_found', when: 'no route matches the path', message: 'no route for {method} {url}' },
  METHOD_NOT_ALLOWED: {
    status: 405,
    code: 'method_not_allowed',
    when: 'the path exists but not with this method; the Allow header lists the methods it takes',
    message: '{url} takes {allow}, not {method}',
  },
  INVALID_JSON: { status: 400, code: 'invalid_json', when: 'the body is not a JSON object', message: '{reason}' },
  INVALID_FIELD: {
    status: 400,
    code: 'invalid_field',
    when: 'a field is missing, of the wrong type or out of range; the message names it',
    message: '{field} must be {allowed}',
  },
  UNKNOWN_FIELD: {
    status: 400,
    code: 'invalid_field',
    when: 'the body has a field the route does not take; the message names it',
    message: 'unknown field "{field}"; this body takes {known}',
  },
  UNKNOWN_FIELD_NEAR: {
    status: 400,
    code: 'invalid_field',
    when: 'the body has a field the route does not take, close to one it does; the message suggests it',
    message: 'unknown field "{field}": did you mean {suggestion}? This body takes {known}',
  },
  NOTHING_TO_CHANGE: { status: 400, code: 'invalid_field', when: 'PATCH /api/sales/:id with no field to change', message: 'send at least one of {fields}' },
  BODY_MISSING: {
    status: 400,
    code: 'body_missing',
    when: 'a route that needs a JSON body got none',
    message: 'the body is empty; send a JSON object such as {example}',
  },
  UNSUPPORTED_MEDIA_TYPE: {
    status: 415,
    code: 'unsupported_media_type',
    when: 'a body sent with a content-type other than application/json',
    message: 'content-type must be application/json, got "{contentType}"',
  },
  BODY_TOO_LARGE: { status: 413, code: 'body_too_large', when: 'the body is over 4 KiB', message: 'the body must be at most {maxBytes} bytes' },
  LEDGER_UNAVAILABLE: {
    status: 503,
    code: 'ledger_unavailable',
    when: 'the ledger (Redis or the embedded primary) did not answer in LEDGER_TIMEOUT_MS; the reservation may or may not have been made, so retry with the Idempotency-Key the answer names',
    message: '{reason}',
  },
  PASS_REQUIRED: {
    status: 403,
    code: 'pass_required',
    when: 'buying in a queue sale without a pass; join the line (POST /api/sales/:id/queue) and buy once admitted',
    message: 'sale "{saleId}" sells through its waiting room: join at POST /api/sales/{saleId}/queue and send the pass you get when admitted in the spike-pass header',
  },
  PASS_INVALID: {
    status: 403,
    code: 'pass_invalid',
    when: 'a pass with a bad signature, or for another buyer or sale',
    message: 'this pass is not valid for buyer "{userId}" in sale "{saleId}"',
  },
  PASS_EXPIRED: { status: 403, code: 'pass_expired', when: "the pass's passSeconds ran out before the purchase", message: 'this pass for sale "{saleId}" has expired' },
  PASS_USED: { status: 403, code: 'pass_used', when: 'the pass already bought a ticket; one pass buys once', message: 'this pass for sale "{saleId}" was already used' },
  NOT_QUEUE_SALE: {
    status: 409,
    code: 'not_queue_sale',
    when: 'joining the line of a sale whose admission mode is open',
    message: 'sale "{saleId}" has no waiting room; buy directly at POST /api/sales/{saleId}/purchases',
  },
  QUEUE_TICKET_INVALID: {
    status: 400,
    code: 'queue_ticket_invalid',
    when: "a queue ticket that this server did not sign, or for another sale",
    message: 'this queue ticket is not valid for sale "{saleId}"; join again with the same userId to get yours back',
  },
  POW_REQUIRED: {
    status: 403,
    code: 'pow_required',
    when: 'joining a queue sale without a proof of work; get a challenge at GET /api/sales/:id/queue/challenge',
    message: 'joining sale "{saleId}" needs a proof of work: GET /api/sales/{saleId}/queue/challenge, then send challenge and nonce',
  },
  POW_INVALID: {
    status: 403,
    code: 'pow_invalid',
    when: "a challenge this server did not sign, for another sale, or a nonce whose hash lacks the challenge's leading zero bits",
    message: 'the proof of work does not check: {reason}',
  },
  POW_EXPIRED: { status: 403, code: 'pow_expired', when: 'the proof-of-work challenge expired; get a new one', message: 'the proof-of-work challenge expired at {expiredAt}; get a new one' },
  POW_USED: { status: 403, code: 'pow_used', when: 'a proof-of-work challenge sent a second time for a new place in line', message: 'this proof-of-work challenge was already used; get a new one' },
  RATE_LIMITED: {
    status: 429,
    code: 'rate_limited',
    when: "joins and purchases of queue sales from one IP above RATE_LIMIT_PER_SECOND; retry after the retry-after header's seconds",
    message: 'too many requests from this address; retry in {retryAfter} s',
  },
  TICKETS_BUSY: {
    status: 503,
    code: 'tickets_busy',
    when: "a ticket asked for while TICKET_RENDER_QUEUE renders already wait in this worker (a burst of ticket requests beside a purchase flood, which the render threads yield to); retry after the retry-after header's seconds",
    message: 'tickets are being drawn for {waiting} other requests; retry in {retryAfter} s',
  },
  NO_WORKER: { status: 503, code: 'no_worker', when: 'the primary has no ready worker to hand the connection to', message: 'no worker is ready to serve; retry shortly' },
  BAD_REQUEST: {
    status: 400,
    code: 'bad_request',
    when: 'the HTTP framing is malformed: two different Content-Lengths, Content-Length with Transfer-Encoding, a broken chunked body, HTTP/1.1 without Host',
    message: '{reason}',
  },
  HEADERS_TOO_LARGE: { status: 431, code: 'headers_too_large', when: 'the request head is over 16 KiB', message: '{reason}' },
  HTTP_VERSION_NOT_SUPPORTED: { status: 505, code: 'http_version_not_supported', when: 'a request in an HTTP version other than 1.0 and 1.1', message: '{reason}' },
  TOO_MANY_CONNECTIONS: {
    status: 503,
    code: 'too_many_connections',
    when: 'MAX_CONNECTIONS are open and every one is waiting for an answer, so no silent one could be closed to make room',
    message: 'the server holds as many connections as it may (MAX_CONNECTIONS) and none is idle; retry shortly',
  },
  SHUTTING_DOWN: { status: 503, code: 'shutting_down', when: 'the server is draining for a restart', message: 'the server is shutting down; retry on another instance' },
  INTERNAL: { status: 500, code: 'internal', when: 'a bug; the server log has the details', message: 'internal error; the server log has the details' },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorName = keyof typeof ERRORS;

/** The {placeholder} names of a message template, as a union of string literals. */
type Placeholders<Template extends string> = Template extends `${string}{${infer Name}}${infer Rest}` ? Name | Placeholders<Rest> : never;

/** The values a given error's message needs; none for a fixed message. */
export type ErrorValues<N extends ErrorName> = Record<Placeholders<(typeof ERRORS)[N]['message']>, string | number>;

function fill(template: string, values: Record<string, string | number>): string {
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => (name in values ? String(values[name]) : whole));
}

export class SpikeError extends Error {
  readonly status: number;
  readonly code: string;
  /** Extra response headers, e.g. the Idempotency-Key to retry a 503 with, or Retry-After. */
  headers: Record<string, string> | undefined;
  /** Extra fields of the error object a client can act on, e.g. nextReleaseAt. */
  details: Record<string, string | number> | undefined;

  constructor(readonly errorName: ErrorName, message: string) {
    super(message);
    this.name = 'SpikeError';
    this.status = ERRORS[errorName].status;
    this.code = ERRORS[errorName].code;
  }

  toJSON(): { error: { code: string; message: string } } {
    return { error: { code: this.code, message: this.message, ...this.details } };
  }

  /** Adds response headers; returns this, for chaining at the throw site. */
  withHeaders(headers: Record<string, string>): this {
    this.headers = { ...this.headers, ...headers };
    return this;
  }
}

/** The one way to make a client-facing error: its name and the values its message template names. */
export function spikeError<N extends ErrorName>(name: N, ...values: keyof ErrorValues<N> extends never ? [] : [ErrorValues<N>]): SpikeError {
  return new SpikeError(name, fill(ERRORS[name].message, (values[0] ?? {}) as Record<string, string | number>));
}

/** Thrown by a ledger that cannot be reached in time; maps to 503 ledger_unavailable. */
export class LedgerUnavailableError extends SpikeError {
  constructor(reason: string, override readonly cause?: unknown) {
    super('LEDGER_UNAVAILABLE', fill(ERRORS.LEDGER_UNAVAILABLE.message, { reason }));
  }

  /**
   * A reservation's script may have run and only its reply been lost: the
   * buyer retries with this key, which replays it safely. A new error for
   * this buyer, leaving this one as it was: one outage can fail many buyers
   * at once (a batch of reservations rejected with one error), each with a key of their own.
   */
  retryWith(key: string): LedgerUnavailableError {
    const own = new LedgerUnavailableError('', this.cause);
    own.message = `${this.message}; retry with the header Idempotency-Key: ${key}`;
    own.stack = this.stack;
    own.details = this.details;
    return own.withHeaders({ ...this.headers, 'idempotency-key': key });
  }
}

/** ISO 8601 for the times error messages name. */
export function isoTime(ms: number): string {
  return new Date(ms).toISOString();
}

/**
 * The same, for table-driven callers (the outcome table) that hold the name
 * as data; a placeholder left unfilled shows as {name}, which a unit test
 * over every outcome rules out.
 */
export function spikeErrorFrom(name: ErrorName, values: Readonly<Record<string, string | number>>): SpikeError {
  return new SpikeError(name, fill(ERRORS[name].message, values));
}
