// The HTTP API. Each handler reads everything it needs from the uWS request
// before its first await (uWS frees the request object then), and answers
// through an Exchange, which corks and respects client aborts.
import type { TemplatedApp } from 'uWebSockets.js';
import { makeHandler } from './handler';
import { registerOrderRoutes } from './order-routes';
import type { RouteContext, RouteOptions } from './route-context';
import { recordRoutes, RouteTable } from './route-table';
import { registerSaleRoutes } from './sale-routes';
import { registerSystemRoutes } from './system-routes';

export type { RouteOptions } from './route-context';

export function registerRoutes(app: TemplatedApp, options: RouteOptions): void {
  const routes = new RouteTable();
  const ctx: RouteContext = { ...options, handle: makeHandler(options.track, options.workerSlot), routes };
  const recorded = recordRoutes(app, routes);
  registerSaleRoutes(recorded, ctx);
  registerOrderRoutes(recorded, ctx);
  // Last: it holds the catch-all, which answers 405 for a known path from the table.
  registerSystemRoutes(recorded, ctx);
}
