// The HTTP API. Each handler reads everything it needs from the uWS request
// before its first await (uWS frees the request object then), and answers
// through an Exchange, which corks and respects client aborts.
import type { TemplatedApp } from 'uWebSockets.js';
import { registerBuyerPage, registerQueueRoutes } from '../admission';
import { makeHandler } from './handler';
import { registerOrderRoutes } from './order-routes';
import type { RouteContext, RouteOptions } from './route-context';
import { registerSaleRoutes } from './sale-routes';
import { registerSystemRoutes } from './system-routes';

export type { RouteOptions } from './route-context';

export function registerRoutes(app: TemplatedApp, options: RouteOptions): void {
  const ctx: RouteContext = { ...options, handle: makeHandler(options.track, options.workerSlot) };
  registerSaleRoutes(app, ctx);
  registerOrderRoutes(app, ctx);
  registerQueueRoutes(app, ctx);
  registerBuyerPage(app);
  // Last: it holds the catch-all.
  registerSystemRoutes(app, ctx);
}
