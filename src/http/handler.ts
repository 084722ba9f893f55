// The wrapper every route goes through: one Exchange per request, draining
// answered with 503, every thrown error turned into the error envelope; plus
// the admin check.
import { timingSafeEqual } from 'node:crypto';
import type { HttpRequest, HttpResponse } from 'uWebSockets.js';
import { SpikeError } from '../errors/errors';
import { Exchange } from './respond';

export interface Tracker {
  begin(): () => void;
  /** Counts a request answered synchronously, never in flight. */
  count(): void;
  readonly draining: boolean;
}

export type RouteHandler = (exchange: Exchange, req: HttpRequest) => Promise<void> | void;

export function makeHandler(track: Tracker, workerSlot: number) {
  const slot = String(workerSlot);
  return (run: RouteHandler) => (res: HttpResponse, req: HttpRequest) => {
    const exchange = new Exchange(res, slot, track.begin());
    if (track.draining) {
      exchange.sendJson(503, new SpikeError('SHUTTING_DOWN', 'the server is shutting down; retry on another instance').toJSON(), { connection: 'close' });
      return;
    }
    try {
      const pending = run(exchange, req);
      if (pending) pending.catch((error: unknown) => exchange.sendError(error));
    } catch (error) {
      exchange.sendError(error);
    }
  };
}

export function isAdmin(authorization: string, token: string): boolean {
  const expected = Buffer.from(`Bearer ${token}`);
  const given = Buffer.from(authorization);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

export function requireAdmin(authorization: string, token: string, what: string): void {
  if (!isAdmin(authorization, token)) throw new SpikeError('UNAUTHORIZED', `${what} needs the header Authorization: Bearer <ADMIN_TOKEN>`);
}

export function requireJsonContentType(contentType: string): void {
  if (contentType !== '' && !/^application\/(?:[\w.+-]+\+)?json\b/i.test(contentType)) {
    throw new SpikeError('UNSUPPORTED_MEDIA_TYPE', `content-type must be application/json, got "${contentType}"`);
  }
}
