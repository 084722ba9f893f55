// Writing answers on a uWS response: JSON bodies, the error envelope, and
// corking, which uWS needs for any write made after an await.
import type { HttpResponse } from 'uWebSockets.js';
import { processLogger } from '../logging';
import { SpikeError, spikeError } from '../errors/errors';

const STATUS_TEXT: Record<number, string> = {
  200: '200 OK',
  201: '201 Created',
  400: '400 Bad Request',
  401: '401 Unauthorized',
  403: '403 Forbidden',
  404: '404 Not Found',
  405: '405 Method Not Allowed',
  409: '409 Conflict',
  413: '413 Payload Too Large',
  415: '415 Unsupported Media Type',
  422: '422 Unprocessable Entity',
  429: '429 Too Many Requests',
  500: '500 Internal Server Error',
  503: '503 Service Unavailable',
};

/**
 * Answers with a body built in advance, synchronously inside the route
 * handler (so uWS corks it by itself and no abort handler is needed). The
 * cheapest answer there is: used for buyers turned away without I/O.
 */
export function sendPrebuilt(res: HttpResponse, status: number, body: string, workerSlot: string, retryAfter?: string): void {
  res.writeStatus(STATUS_TEXT[status] ?? String(status)).writeHeader('content-type', 'application/json').writeHeader('x-spike-worker', workerSlot);
  if (retryAfter !== undefined) res.writeHeader('retry-after', retryAfter);
  res.end(body);
}

/**
 * One request/response pair. It remembers whether the client went away (uWS
 * forbids touching an aborted response) and tells its owner once it is
 * settled, which graceful shutdown uses to wait for in-flight requests.
 */
export class Exchange {
  /** The client went away; uWS forbids touching the response, and no ledger call should start for it. */
  aborted = false;
  /** The status answered, for the request metrics; 0 while unanswered or when the client went away. */
  status = 0;
  private settled = false;

  constructor(readonly res: HttpResponse, private readonly workerSlot: string, private readonly onSettled?: () => void) {
    res.onAborted(() => {
      this.aborted = true;
      this.settle();
    });
  }

  sendJson(status: number, body: unknown, headers?: Record<string, string>): void {
    if (this.settled) return;
    this.sendJsonText(status, JSON.stringify(body), headers);
  }

  /** A JSON body already serialized (an answer kept to be sent again). */
  sendJsonText(status: number, payload: string, headers?: Record<string, string>): void {
    if (this.settled) return;
    this.status = status;
    this.res.cork(() => {
      this.res.writeStatus(STATUS_TEXT[status] ?? String(status));
      this.res.writeHeader('content-type', 'application/json');
      // Which worker answered: for tests, the bench's split, and debugging a box.
      this.res.writeHeader('x-spike-worker', this.workerSlot);
      if (headers) for (const name in headers) this.res.writeHeader(name, headers[name]!);
      // Every 503 and 429 says when to come back; a second is the shortest wait worth making.
      if ((status === 503 || status === 429) && !headers?.['retry-after']) this.res.writeHeader('retry-after', '1');
      this.res.end(payload);
    });
    this.settle();
  }

  /** A non-JSON body (the Prometheus text format, the dashboard's files). */
  sendText(status: number, body: string | Uint8Array, contentType: string, headers?: Record<string, string>): void {
    if (this.settled) return;
    this.status = status;
    this.res.cork(() => {
      this.res.writeStatus(STATUS_TEXT[status] ?? String(status));
      this.res.writeHeader('content-type', contentType);
      if (headers) for (const name in headers) this.res.writeHeader(name, headers[name]!);
      this.res.end(body);
    });
    this.settle();
  }

  sendError(error: unknown): void {
    if (error instanceof SpikeError) {
      this.sendJson(error.status, error.toJSON(), error.headers);
      return;
    }
    processLogger().error({ err: error }, 'unexpected error while serving a request');
    this.sendJson(500, spikeError('INTERNAL').toJSON());
  }

  private settle(): void {
    if (this.settled) return;
    this.settled = true;
    this.onSettled?.();
  }
}
