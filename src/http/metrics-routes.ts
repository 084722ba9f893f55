// GET /metrics: the whole cluster's Prometheus metrics, for the admin token
// or METRICS_TOKEN (a token that lets Prometheus read but not create sales).
import type { TemplatedApp } from 'uWebSockets.js';
import { spikeError } from '../errors/errors';
import { isAdmin } from './handler';
import type { RouteContext } from './route-context';

export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

export function registerMetricsRoutes(app: TemplatedApp, ctx: RouteContext): void {
  app.get('/metrics', ctx.handle(async (exchange, req) => {
    const authorization = req.getHeader('authorization');
    const allowed = isAdmin(authorization, ctx.adminToken) || (ctx.metricsToken !== undefined && isAdmin(authorization, ctx.metricsToken));
    if (!allowed) throw spikeError('UNAUTHORIZED', { what: ctx.metricsToken ? 'reading metrics (METRICS_TOKEN works too)' : 'reading metrics' });
    const text = await ctx.clusterMetrics!();
    exchange.sendText(200, text, PROMETHEUS_CONTENT_TYPE);
  }));
}
