// The HTTP API. Each handler reads everything it needs from the uWS request
// before its first await (uWS frees the request object then), and answers
// through an Exchange, which corks and respects client aborts.
import type { TemplatedApp } from 'uWebSockets.js';
import type { Ledger } from '../ledger/ledger';
import type { StockKeeper } from '../inventory/stock-keeper';
import { labellingApp, type WorkerMetrics } from '../metrics';
import { registerDashboardRoutes, type DashboardFeed } from '../dashboard';
import { makeHandler, type RouteHandler, type Tracker } from './handler';
import { registerMetricsRoutes } from './metrics-routes';
import { registerOrderRoutes } from './order-routes';
import { registerSaleRoutes } from './sale-routes';
import { registerSystemRoutes } from './system-routes';

export interface RouteOptions {
  readonly ledger: Ledger;
  readonly keeper: StockKeeper;
  readonly adminToken: string;
  readonly defaultSaleId: string;
  readonly maxBodyBytes: number;
  readonly workerSlot: number;
  /** Asks the primary for the balancer's per-worker figures. */
  readonly clusterStats: () => Promise<unknown>;
  /** Counts every request and tracks in-flight ones for graceful shutdown. */
  readonly track: Tracker;
  /** Absent with METRICS=off: no counting on the request path, no /metrics, no dashboard. */
  readonly metrics?: WorkerMetrics;
  /** The whole cluster's metrics in Prometheus text format, from the primary. */
  readonly clusterMetrics?: () => Promise<string>;
  /** May read /metrics besides the admin token (METRICS_TOKEN). */
  readonly metricsToken?: string;
  /** The figures the dashboard's WebSocket pushes, from the primary. */
  readonly dashboardFeed?: DashboardFeed;
}

export interface RouteContext extends RouteOptions {
  readonly handle: ReturnType<typeof makeHandler>;
}

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
