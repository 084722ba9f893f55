// What every route module gets: the ledger, the stock keeper, settings, and
// `handle`, the wrapper each route runs in.
import type { HttpRequest, HttpResponse } from 'uWebSockets.js';
import type { WorkerAdmission } from '../admission/worker-admission';
import type { AdmissionConfig } from '../config/config';
import type { StockKeeper } from '../inventory/stock-keeper';
import type { Ledger } from '../ledger';
import type { Exchange } from './respond';

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
  readonly adminToken: string;
  readonly defaultSaleId: string;
  readonly maxBodyBytes: number;
  readonly workerSlot: number;
  /** Asks the primary for the balancer's per-worker figures. */
  readonly clusterStats: () => Promise<unknown>;
  /** Counts every request and tracks in-flight ones for graceful shutdown. */
  readonly track: Tracker;
  /** The waiting room: joins, places, passes (src/admission). */
  readonly admission: WorkerAdmission;
  readonly admissionDefaults: AdmissionConfig;
  /** Take the client address from X-Forwarded-For (TRUST_PROXY). */
  readonly trustProxy: boolean;
}

export interface RouteContext extends RouteOptions {
  readonly handle: (run: RouteHandler) => (res: HttpResponse, req: HttpRequest) => void;
}
