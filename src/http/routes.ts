// The HTTP API. Each handler reads everything it needs from the uWS request
// before its first await (uWS frees the request object then), and answers
// through an Exchange, which corks and respects client aborts.
import type { TemplatedApp } from 'uWebSockets.js';
import type { BuyerAuth } from '../auth/buyer-auth';
import type { Ledger } from '../ledger/ledger';
import type { StockKeeper } from '../inventory/stock-keeper';
import { makeHandler, type RouteHandler, type Tracker } from './handler';
import { registerOrderRoutes } from './order-routes';
import { registerSaleRoutes } from './sale-routes';
import { registerSystemRoutes } from './system-routes';

export interface RouteOptions {
  readonly ledger: Ledger;
  readonly keeper: StockKeeper;
  readonly adminToken: string;
  /** Who the buyer is: the userId a request names (BUYER_AUTH=none), or a signed token's. */
  readonly buyerAuth: BuyerAuth;
  readonly defaultSaleId: string;
  readonly maxBodyBytes: number;
  readonly workerSlot: number;
  /** Asks the primary for the balancer's per-worker figures. */
  readonly clusterStats: () => Promise<unknown>;
  /** Counts every request and tracks in-flight ones for graceful shutdown. */
  readonly track: Tracker;
}

export interface RouteContext extends RouteOptions {
  readonly handle: (run: RouteHandler) => ReturnType<ReturnType<typeof makeHandler>>;
}

export function registerRoutes(app: TemplatedApp, options: RouteOptions): void {
  const ctx: RouteContext = { ...options, handle: makeHandler(options.track, options.workerSlot) };
  registerSaleRoutes(app, ctx);
  registerOrderRoutes(app, ctx);
  // Last: it holds the catch-all.
  registerSystemRoutes(app, ctx);
}
