// The HTTP API. Each handler reads everything it needs from the uWS request
// before its first await (uWS frees the request object then), and answers
// through an Exchange, which corks and respects client aborts.
import type { TemplatedApp } from 'uWebSockets.js';
import { labellingApp } from '../metrics';
import { registerDashboardRoutes } from '../dashboard';
import { makeHandler } from './handler';
import { registerMetricsRoutes } from './metrics-routes';
import { registerOrderRoutes } from './order-routes';
import type { RouteContext, RouteOptions } from './route-context';
import { registerSaleRoutes } from './sale-routes';
import { registerSystemRoutes } from './system-routes';

export type { RouteOptions } from './route-context';

export function registerRoutes(uwsApp: TemplatedApp, options: RouteOptions): void {
  const ctx: RouteContext = { ...options, handle: makeHandler(options.track, options.workerSlot, options.metrics?.http) };
  // With metrics on, every route's requests are counted under its pattern.
  const app = options.metrics ? labellingApp(uwsApp) : uwsApp;
  registerSaleRoutes(app, ctx);
  registerOrderRoutes(app, ctx);
  if (options.metrics && options.clusterMetrics) registerMetricsRoutes(app, ctx);
  if (options.metrics && options.dashboardFeed) registerDashboardRoutes(app, ctx, options.dashboardFeed);
  // Last: it holds the catch-all.
  registerSystemRoutes(app, ctx);
}
