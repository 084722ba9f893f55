// One error class for everything a client can be told, each with a stable
// code and HTTP status. The README's error table is checked against ERRORS.

export interface ErrorSpec {
  readonly status: number;
  /** Short machine code used in the HTTP body, e.g. "sold_out". */
  readonly code: string;
  /** When this is returned, for the README. */
  readonly when: string;
}

export const ERRORS = {
  SOLD_OUT: { status: 409, code: 'sold_out', when: 'every ticket of the sale is taken' },
  LIMIT_REACHED: { status: 409, code: 'limit_reached', when: "the buyer already holds the sale's perUserLimit tickets" },
  SALE_EXISTS: { status: 409, code: 'sale_exists', when: 'POST /api/sales with an id that is already used' },
  IDEMPOTENCY_KEY_REUSED: { status: 422, code: 'idempotency_key_reused', when: 'an Idempotency-Key is sent again for a different buyer' },
  EXPIRED: { status: 409, code: 'expired', when: "paying or cancelling an order whose hold ran out; its ticket went back on sale" },
  ORDER_CANCELLED: { status: 409, code: 'cancelled', when: 'paying an order that was cancelled' },
  ALREADY_PAID: { status: 409, code: 'already_paid', when: 'cancelling an order that is paid' },
  NOT_ORDER_OWNER: { status: 403, code: 'not_order_owner', when: "paying or cancelling another buyer's order without the admin token" },
  NOT_OPEN: { status: 403, code: 'not_open', when: 'the sale has an opensAt in the future' },
  CLOSED: { status: 403, code: 'closed', when: 'the sale has a closesAt in the past' },
  UNAUTHORIZED: { status: 401, code: 'unauthorized', when: 'an admin route without the right Authorization: Bearer token' },
  SALE_NOT_FOUND: { status: 404, code: 'sale_not_found', when: 'no sale has this id' },
  ORDER_NOT_FOUND: { status: 404, code: 'order_not_found', when: 'no order has this id' },
  ROUTE_NOT_FOUND: { status: 404, code: 'route_not_found', when: 'no route matches the method and path' },
  INVALID_JSON: { status: 400, code: 'invalid_json', when: 'the body is not a JSON object' },
  INVALID_FIELD: { status: 400, code: 'invalid_field', when: 'a field is missing, of the wrong type or out of range; the message names it' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, code: 'unsupported_media_type', when: 'a body sent with a content-type other than application/json' },
  BODY_TOO_LARGE: { status: 413, code: 'body_too_large', when: 'the body is over 4 KiB' },
  LEDGER_UNAVAILABLE: { status: 503, code: 'ledger_unavailable', when: 'the ledger (Redis or the embedded primary) did not answer in LEDGER_TIMEOUT_MS; the reservation may or may not have been made, so retry with the Idempotency-Key the answer names' },
  NO_WORKER: { status: 503, code: 'no_worker', when: 'the primary has no ready worker to hand the connection to' },
  BAD_REQUEST: { status: 400, code: 'bad_request', when: 'the HTTP framing is malformed: two different Content-Lengths, Content-Length with Transfer-Encoding, a broken chunked body, HTTP/1.1 without Host' },
  HEADERS_TOO_LARGE: { status: 431, code: 'headers_too_large', when: 'the request head is over 16 KiB' },
  HTTP_VERSION_NOT_SUPPORTED: { status: 505, code: 'http_version_not_supported', when: 'a request in an HTTP version other than 1.0 and 1.1' },
  TOO_MANY_CONNECTIONS: { status: 503, code: 'too_many_connections', when: 'MAX_CONNECTIONS are open and every one is waiting for an answer, so no silent one could be closed to make room' },
  SHUTTING_DOWN: { status: 503, code: 'shutting_down', when: 'the server is draining for a restart' },
  INTERNAL: { status: 500, code: 'internal', when: 'a bug; the server log has the details' },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorName = keyof typeof ERRORS;

export class SpikeError extends Error {
  readonly status: number;
  readonly code: string;
  /** Extra response headers, e.g. the Idempotency-Key to retry a 503 with. */
  headers: Record<string, string> | undefined;

  constructor(name: ErrorName, message: string) {
    super(message);
    this.name = 'SpikeError';
    this.status = ERRORS[name].status;
    this.code = ERRORS[name].code;
  }

  toJSON(): { error: { code: string; message: string } } {
    return { error: { code: this.code, message: this.message } };
  }
}

/** Thrown by a ledger that cannot be reached in time; maps to 503 ledger_unavailable. */
export class LedgerUnavailableError extends SpikeError {
  constructor(message: string, override readonly cause?: unknown) {
    super('LEDGER_UNAVAILABLE', message);
  }
}
