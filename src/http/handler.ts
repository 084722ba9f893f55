// The wrapper every route goes through: one Exchange per request, draining
// answered with 503, every thrown error turned into the error envelope; plus
// the admin and content-type checks.
import { timingSafeEqual } from 'node:crypto';
import type { HttpRequest, HttpResponse } from 'uWebSockets.js';
import { spikeError } from '../errors/errors';
import { Exchange } from './respond';
import type { RouteHandler, Tracker } from './route-context';

export function makeHandler(track: Tracker, workerSlot: number) {
  const slot = String(workerSlot);
  return (run: RouteHandler) => (res: HttpResponse, req: HttpRequest) => {
    const exchange = new Exchange(res, slot, track.begin());
    if (track.draining) {
      exchange.sendJson(503, spikeError('SHUTTING_DOWN').toJSON(), { connection: 'close' });
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
  if (!isAdmin(authorization, token)) throw spikeError('UNAUTHORIZED', { what });
}

export function requireJsonContentType(contentType: string): void {
  if (contentType !== '' && !/^application\/(?:[\w.+-]+\+)?json\b/i.test(contentType)) {
    throw spikeError('UNSUPPORTED_MEDIA_TYPE', { contentType });
  }
}
