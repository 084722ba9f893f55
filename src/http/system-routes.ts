// Health, cluster figures, and the answer for every route that does not exist.
import type { TemplatedApp } from 'uWebSockets.js';
import { SpikeError } from '../errors/errors';
import { requireAdmin } from './handler';
import type { RouteContext } from './routes';

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
    throw new SpikeError('ROUTE_NOT_FOUND', `no route for ${req.getMethod().toUpperCase()} ${req.getUrl()}`);
  }));
}
