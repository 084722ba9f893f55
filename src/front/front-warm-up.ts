// The front's warm-up (WARMUP_FRONT_REQUESTS), run by the primary under
// BALANCER=handoff once its workers are ready and before the public port
// opens.
//
// Why: each worker already warms its purchase path on a scratch sale of its
// own (src/worker/warm-up.ts), but the connections of that warm-up never pass
// the primary's accept and pick, the handle channel, or the worker's receipt
// of a handed-over socket. A fresh server's first `ab -n 10000 -c 100` on
// /buy/ticket still ran at two thirds of its third (11.2-11.7k against
// 16.1-16.5k req/s), its workers' compiler threads busy with some 200
// functions that the worker's own warm-up had not made hot. Driving the
// whole front once, with requests that change nothing, closed about a third
// of that gap (README, "Balancers"; docs/measurements/balancers.md).
//
// What it sends: purchases for a sale that cannot exist, FRONT_WARMUP_SALE_ID,
// whose prefix sale creation refuses (src/http/sale-input.ts). Each is read,
// parsed and looked up as a buyer's is, and answered 404 sale_not_found. The
// primary checks first that no such sale exists (a ledger other boxes share),
// and the workers forget what they counted of it before the first buyer, so
// the metrics and the dashboard start from zero.
import { exchangeMany } from './loopback-client';
import { RESERVED_SALE_PREFIX } from '../http/sale-input';

export const FRONT_WARMUP_SALE_ID = `${RESERVED_SALE_PREFIX}-front`;
/** Connections at once, as the seed's `ab -c 100`. */
const CONCURRENCY = 100;

export interface PrivateListener {
  readonly port: number;
  close(): Promise<void>;
}

export interface FrontWarmUpResult {
  readonly requests: number;
  /** Answers by status code: all 404 when every request went the whole way. */
  readonly statuses: Record<string, number>;
  readonly ms: number;
}

export async function warmFront(listen: () => Promise<PrivateListener>, requests: number): Promise<FrontWarmUpResult> {
  const started = Date.now();
  const listener = await listen();
  try {
    const statuses = await exchangeMany(listener.port, requests, CONCURRENCY, (index) => {
      const body = `{"userId":"warm-up-${index}"}`;
      return (
        `POST /api/sales/${FRONT_WARMUP_SALE_ID}/purchases HTTP/1.0\r\nHost: 127.0.0.1:${listener.port}\r\nUser-Agent: spike-warmup\r\n` +
        `Content-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`
      );
    });
    return { requests, statuses, ms: Date.now() - started };
  } finally {
    await listener.close();
  }
}
