// Health, cluster figures, and the answer for every route that does not exist.
import type { TemplatedApp } from 'uWebSockets.js';
import { SpikeError, spikeError } from '../errors/errors';
import { requireAdmin } from './handler';
import type { RouteContext } from './route-context';

export function registerSystemRoutes(app: TemplatedApp, ctx: RouteContext): void {
  const { handle } = ctx;

  app.get('/healthz', handle(async (exchange) => {
    try {
      await ctx.ledger.ping();
      exchange.sendJson(200, { status: 'ok', worker: ctx.workerSlot, ledger: ctx.ledger.description });
    } catch (error) {
      const envelope = error instanceof SpikeError ? error.toJSON() : { error: { code: 'ledger_unavailable', message: String(error) } };
      exchange.sendJson(503, { status: 'unavailable', worker: ctx.workerSlot, ...envelope });
    }
  }));

  app.get('/api/cluster', handle(async (exchange, req) => {
    requireAdmin(req.getHeader('authorization'), ctx.adminToken, 'cluster figures');
    exchange.sendJson(200, await ctx.clusterStats());
  }));

  app.any('/*', handle((_exchange, req) => {
    const method = req.getMethod().toUpperCase();
    const url = req.getUrl();
    const allow = ctx.routes.allowed(url);
    if (allow.length === 0) throw spikeError('ROUTE_NOT_FOUND', { method, url });
    throw spikeError('METHOD_NOT_ALLOWED', { method, url: url.slice(0, 200), allow: allow.join(', ') }).withHeaders({ allow: allow.join(', ') });
  }));
}
