// The HTTP API. Each handler reads everything it needs from the uWS request
// before its first await (uWS frees the request object then), and answers
// through an Exchange, which corks and respects client aborts.
import type { TemplatedApp } from 'uWebSockets.js';
import { registerBuyerPage, registerQueueRoutes } from '../admission';
import { labellingApp } from '../metrics';
import { registerDashboardRoutes } from '../dashboard';
import { makeHandler } from './handler';
import { registerMetricsRoutes } from './metrics-routes';
import { registerOrderRoutes } from './order-routes';
import type { RouteContext, RouteOptions } from './route-context';
import { recordRoutes, RouteTable } from './route-table';
import { registerSaleRoutes } from './sale-routes';
import { registerSystemRoutes } from './system-routes';
import { registerTicketRoutes } from './ticket-routes';
import { registerTrainRoutes } from '../trains';

export type { RouteOptions } from './route-context';
export type { RouteTable } from './route-table';

/** Registers every route on the app; the table that recorded them can find a request's handler too. */
export function registerRoutes(uwsApp: TemplatedApp, options: RouteOptions): RouteTable {
  const routes = new RouteTable();
  const ctx: RouteContext = { ...options, handle: makeHandler(options.track, options.workerSlot, options.metrics?.http), routes };
  // With metrics on, every route's requests are counted under its pattern; every pattern is recorded for the 405 answers.
  const app = recordRoutes(options.metrics ? labellingApp(uwsApp) : uwsApp, routes);
  registerSaleRoutes(app, ctx);
  registerOrderRoutes(app, ctx);
  if (options.trains) registerTrainRoutes(app, ctx, options.trains);
  registerQueueRoutes(app, ctx);
  registerBuyerPage(app);
  registerTicketRoutes(app, ctx);
  if (options.metrics && options.clusterMetrics) registerMetricsRoutes(app, ctx);
  if (options.metrics && options.dashboardFeed) registerDashboardRoutes(app, ctx, options.dashboardFeed);
  // Last: it holds the catch-all, which answers 405 for a known path from the table.
  registerSystemRoutes(app, ctx);
  return routes;
}
