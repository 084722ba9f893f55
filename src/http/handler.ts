// The wrapper every route goes through: one Exchange per request, draining
// answered with 503, every thrown error turned into the error envelope; plus
// the admin and content-type checks.
import { timingSafeEqual } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { HttpRequest, HttpResponse } from 'uWebSockets.js';
import { spikeError } from '../errors/errors';
import { routeLabelSetter, type HttpTally, type RouteTally } from '../metrics';
import { Exchange } from './respond';
import type { RouteHandler, Tracker } from './route-context';

/**
 * Wraps a route. With an HttpTally, each answer is counted under the route's
 * pattern: given here, or set when the route is registered (labellingApp).
 */
export function makeHandler(track: Tracker, workerSlot: number, http?: HttpTally) {
  const slot = String(workerSlot);
  return (run: RouteHandler, route?: string) => {
    let tally: RouteTally | undefined = http && route ? http.route(route) : undefined;
    const handler = (res: HttpResponse, req: HttpRequest) => {
      const exchange = tally ? timedExchange(res, slot, track.begin(), tally) : new Exchange(res, slot, track.begin());
      serve(exchange, req, run, track);
    };
    return http ? routeLabelSetter(handler, (pattern) => (tally = http.route(pattern))) : handler;
  };
}

function timedExchange(res: HttpResponse, slot: string, done: () => void, tally: RouteTally): Exchange {
  const started = performance.now();
  const exchange: Exchange = new Exchange(res, slot, () => {
    done();
    tally.answered(exchange.status, (performance.now() - started) / 1000);
  });
  return exchange;
}

function serve(exchange: Exchange, req: HttpRequest, run: RouteHandler, track: Tracker): void {
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
