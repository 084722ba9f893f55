// A worker's warm-up before it takes its first client (WARMUP_REQUESTS).
//
// Why: V8 runs new code in its interpreter and optimizes what turns out hot
// only after it has watched it run. A flash sale is over in seconds, and its
// first seconds are when a fresh server is slowest: the seed's own test
// (`ab -n 10000 -c 100 /buy/ticket` on a server just started) sold at about
// half the speed of the same server a minute later, the workers' compiler
// threads busy through it. So before a handoff worker says it is ready, it
// sells a scratch sale to itself through the very code a buyer's connection
// takes: a TCP connection per request (HTTP/1.0, as ab sends), the lean
// client socket and the relay, the in-process routes, the stock keeper, the
// reservation batcher and the Redis script.
//
// What it never touches: the sales buyers see. The scratch sale lives in its
// own Redis key prefix (`<REDIS_PREFIX>-warmup-<pid>`), in route, keeper and
// ledger objects of its own (the same classes, so the compiled code is
// shared), is never announced, counted in metrics or shown on the
// dashboard, and is retired (every key removed) before the worker serves.
// A warm-up that fails is logged and the worker serves anyway: it only
// costs speed.
import net from 'node:net';
import type { Ledger, SaleSpec } from '../ledger';
import { LeanClientSocket, type TcpHandle } from '../front/client-socket';
import { HttpRelay, type RelayContext } from '../front/http-relay';
import { InProcessServer } from '../front/in-process-upstream';
import { listenRaw } from '../front/raw-accept';
import { exchangeMany } from '../front/loopback-client';
import type { RouteTable } from '../http/route-table';
import { RESERVED_SALE_PREFIX } from '../http/sale-input';

/** In a Redis prefix of its own; the reserved prefix keeps it apart from any sale an operator makes. */
export const WARMUP_SALE_ID = RESERVED_SALE_PREFIX;
/** The scratch ledger's watcher: its slow calls and outages are not the sale's, so nothing is logged. */
export const QUIET_LEDGER = { slowCall() {}, outage() {}, recovered() {} };
/** Requests in flight at once: enough to fill the reservation batches as a crowd does. */
const CONCURRENCY = 32;

export interface WarmUpOptions {
  readonly requests: number;
  /** The default sale's hold, so that the scratch sale takes the same path (held or paid at once). */
  readonly holdSeconds: number;
  /** A ledger on the scratch prefix, connected. */
  readonly openLedger: () => Promise<Ledger>;
  /** The worker's routes over the scratch ledger, with WARMUP_SALE_ID as the default sale. */
  readonly routesFor: (ledger: Ledger) => RouteTable;
}

export interface WarmUpResult {
  readonly requests: number;
  /** Answers by status code. */
  readonly statuses: Record<string, number>;
  readonly ms: number;
}

export async function warmUp(options: WarmUpOptions): Promise<WarmUpResult> {
  const started = Date.now();
  const ledger = await options.openLedger();
  try {
    const spec: SaleSpec = { id: WARMUP_SALE_ID, name: 'warm-up', total: options.requests, perUserLimit: 1, holdSeconds: options.holdSeconds, opensAt: null, closesAt: null, anonymous: true };
    // A scratch prefix left by a worker killed mid-warm-up has another pid in it: this one starts empty.
    await ledger.createSale(spec, Date.now());
    const inProcess = new InProcessServer(options.routesFor(ledger));
    const relay: RelayContext = { host: 'localhost', guard: undefined, pool: () => undefined, inProcess };
    // A loopback listener whose connections come as raw TCP handles, as the primary's handoffs do.
    // exclusive: this worker's own socket. A cluster worker's listen is otherwise the primary's, shared.
    const server = await listenRaw(net.createServer(), { port: 0, host: '127.0.0.1', exclusive: true }, (handle) => new HttpRelay(new LeanClientSocket(handle as unknown as TcpHandle), relay));
    const request = `GET /buy/ticket HTTP/1.0\r\nHost: 127.0.0.1:${server.port}\r\nUser-Agent: spike-warmup\r\nAccept: */*\r\n\r\n`;
    let statuses: Record<string, number>;
    try {
      statuses = await exchangeMany(server.port, options.requests, CONCURRENCY, () => request);
    } finally {
      await server.close();
    }
    return { requests: options.requests, statuses, ms: Date.now() - started };
  } finally {
    await retire(ledger).finally(() => ledger.close());
  }
}

/** Closes and retires the scratch sale: the ledger removes it with every order, buyer and feed entry. */
async function retire(ledger: Ledger): Promise<void> {
  const now = Date.now();
  await ledger.closeSale(WARMUP_SALE_ID, now);
  const mark = await ledger.feedMark(WARMUP_SALE_ID);
  if (mark !== null) await ledger.retireSale(WARMUP_SALE_ID, mark, now + 1, now + 1);
}
