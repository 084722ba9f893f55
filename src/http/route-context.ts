// What every route module gets: the ledger, the stock keeper, settings, and
// `handle`, the wrapper each route runs in.
import type { HttpRequest, HttpResponse } from 'uWebSockets.js';
import type { WorkerAdmission } from '../admission/worker-admission';
import type { AdmissionConfig } from '../config/config';
import type { BuyerAuth } from '../auth/buyer-auth';
import type { StockKeeper } from '../inventory/stock-keeper';
import type { TrainKeeper } from '../trains/train-keeper';
import type { DashboardFeed } from '../dashboard/dashboard-feed';
import type { Ledger } from '../ledger';
import type { TicketDesk } from '../tickets';
import type { WorkerMetrics } from '../metrics';
import type { Exchange } from './respond';
import type { RouteTable } from './route-table';

export interface Tracker {
  begin(): () => void;
  /** Counts a request answered synchronously, never in flight. */
  count(): void;
  readonly draining: boolean;
}

export type RouteHandler = (exchange: Exchange, req: HttpRequest) => Promise<void> | void;

export interface RouteOptions {
  readonly ledger: Ledger;
  readonly keeper: StockKeeper;
  /** Trains' gates and availability cache (src/trains); absent where a caller serves sales only. */
  readonly trains?: TrainKeeper;
  readonly adminToken: string;
  /** Who the buyer is: the userId a request names (BUYER_AUTH=none), or a signed token's. */
  readonly buyerAuth: BuyerAuth;
  readonly defaultSaleId: string;
  readonly maxBodyBytes: number;
  readonly workerSlot: number;
  /** Asks the primary for the balancer's per-worker figures. */
  readonly clusterStats: () => Promise<unknown>;
  /** Signing, rendering and checking tickets. */
  readonly tickets: TicketDesk;
  /** Counts every request and tracks in-flight ones for graceful shutdown. */
  readonly track: Tracker;
  /** The waiting room: joins, places, passes (src/admission). */
  readonly admission: WorkerAdmission;
  readonly admissionDefaults: AdmissionConfig;
  /** Take the client address from X-Forwarded-For (TRUST_PROXY). */
  readonly trustProxy: boolean;
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
  /** Every path and method served, for the 405 answers. */
  readonly routes: RouteTable;
  /** Wraps a route; `route` names it for the request metrics when it is not registered under its own pattern. */
  readonly handle: (run: RouteHandler, route?: string) => (res: HttpResponse, req: HttpRequest) => void;
}
