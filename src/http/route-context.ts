// What every route module gets: the ledger, the stock keeper, settings, and
// `handle`, the wrapper each route runs in.
import type { HttpRequest, HttpResponse } from 'uWebSockets.js';
import type { StockKeeper } from '../inventory/stock-keeper';
import type { Ledger } from '../ledger';
import type { TicketDesk } from './ticket-routes';
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
  /** Signing, rendering and checking tickets. */
  readonly tickets: TicketDesk;
  /** Counts every request and tracks in-flight ones for graceful shutdown. */
  readonly track: Tracker;
}

export interface RouteContext extends RouteOptions {
  readonly handle: (run: RouteHandler) => (res: HttpResponse, req: HttpRequest) => void;
}
