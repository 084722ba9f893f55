// /metrics through a real cluster: after a small sale, the counters agree with
// what the buyers were told and with the ledger; a SIGKILLed worker shows as a
// restart; and nobody without a token reads it.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import WebSocket from 'ws';
import { crowd, request, statusCounts } from '../helpers/client';
import { labelSets, parseMetrics, scrape, sumOf } from '../helpers/metrics';
import { ADMIN_TOKEN, eventually, startServer, type RunningServer } from '../helpers/server';
import { freePort } from '../../src/system/free-port';

const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
const METRICS_TOKEN = 'prometheus-reader-token';


/** The dashboard feed's first message: the snapshot the page is drawn from. */
function dashboardSnapshot(server: RunningServer): Promise<any> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/dashboard/live`, [`spike-admin.${ADMIN_TOKEN}`]);
    ws.on('message', (data) => {
      ws.close();
      resolve(JSON.parse(String(data)));
    });
    ws.on('error', reject);
  });
}

describe('metrics of a real cluster', () => {
  let server: RunningServer;
  let dataDir: string;
  let metricsPort: number;

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'spike-metrics-'));
    metricsPort = await freePort();
    server = await startServer({ WORKERS: '2', LEDGER: 'embedded', DATA_DIR: dataDir, METRICS_TOKEN, METRICS_PORT: String(metricsPort) });
  });

  after(async () => {
    await server?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('counts every purchase answer once, summed over workers, and the sale gauge agrees with the ledger', async () => {
    const created = await request(`${server.url}/api/sales`, { method: 'POST', headers: admin, body: { id: 'metr', total: 40, holdSeconds: 600 } });
    assert.equal(created.status, 201, created.text);
    // 150 buyers on fresh connections (both workers serve), 30 of them twice: sold_out and limit_reached both happen.
    const replies = await crowd({
      count: 180,
      concurrency: 60,
      freshConnections: true,
      make: (i) => ({ url: `${server.url}/api/sales/metr/purchases`, method: 'POST', body: { userId: `buyer-${i % 150}` } }),
    });
    const counts = statusCounts(replies);
    assert.equal(counts[201], 40, JSON.stringify(counts));
    assert.equal((counts[201] ?? 0) + (counts[409] ?? 0), 180, JSON.stringify(counts));
    // Pay a few, so reserved and paid differ.
    const orders = replies.filter((r) => r.status === 201).slice(0, 5);
    for (const order of orders) {
      const paid = await request(`${server.url}/api/orders/${order.body.orderId}/pay`, { method: 'POST', headers: admin, body: {} });
      assert.equal(paid.status, 200, paid.text);
    }

    const metrics = await scrape(server);
    const outcome = (name: string) => sumOf(metrics, 'spike_purchases_total', { sale: 'metr', outcome: name });
    assert.equal(outcome('reserved') + outcome('replayed'), counts[201]);
    assert.equal(outcome('sold_out') + outcome('limit_reached'), counts[409]);
    assert.ok(outcome('sold_out') > 0 && outcome('limit_reached') >= 0);
    // Both workers served, and the purchase series carry no worker label: they are summed.
    assert.ok(labelSets(metrics, 'spike_purchases_total').every((labels) => !('worker' in labels)));
    assert.deepEqual(new Set(labelSets(metrics, 'spike_worker_requests_total').map((l) => l.worker)), new Set(['0', '1']));
    assert.equal(sumOf(metrics, 'spike_http_requests_total', { route: 'POST /api/sales/:id/purchases', status: '201' }), counts[201]);
    assert.equal(sumOf(metrics, 'spike_http_requests_total', { route: 'POST /api/sales/:id/purchases', status: '409' }), counts[409]);

    const sale = (await request(`${server.url}/api/sales/metr`)).body;
    const tickets = (state: string) => sumOf(metrics, 'spike_sale_tickets', { sale: 'metr', state });
    assert.deepEqual(
      { total: tickets('total'), reserved: tickets('reserved'), paid: tickets('paid'), remaining: tickets('remaining') },
      { total: sale.total, reserved: sale.reserved, paid: sale.paid, remaining: sale.remaining },
    );
    assert.deepEqual({ paid: sale.paid, remaining: sale.remaining }, { paid: 5, remaining: 0 });
    // Every process reports its own event-loop lag (prom-client measures it after a scrape, so it shows from the next one on), and the embedded journal its batches.
    await eventually(async () => new Set(labelSets(await scrape(server), 'nodejs_eventloop_lag_seconds').map((l) => l.worker)).size === 3, 5000, 'event-loop lag from all three processes');
    assert.ok(Number(metrics.get('spike_journal_batch_size')!.metrics[0]!.count) > 0);
    assert.ok(sumOf(metrics, 'spike_balancer_connections_total') >= 180);
  });

  it("shows a queue sale's line: joined, waiting and admitted, read by the primary alone", async () => {
    const opensAt = new Date(Date.now() + 3_600_000).toISOString();
    const created = await request(`${server.url}/api/sales`, { method: 'POST', headers: admin, body: { id: 'metq', total: 5, opensAt, admission: { mode: 'queue', difficulty: 0 } } });
    assert.equal(created.status, 201, created.text);
    for (let i = 0; i < 12; i++) {
      const joined = await request(`${server.url}/api/sales/metq/queue`, { method: 'POST', body: { userId: `q-${i}` } });
      assert.equal(joined.status, 201, joined.text);
    }
    // Before opening nobody is admitted: all twelve wait. The queue tick reads new sales within a second or so.
    const metrics = await eventually(async () => {
      const m = await scrape(server);
      return sumOf(m, 'spike_queue_joined_total', { sale: 'metq' }) === 12 ? m : null;
    }, 10_000, 'the queue metrics of sale metq');
    assert.equal(sumOf(metrics, 'spike_queue_waiting', { sale: 'metq' }), 12);
    assert.equal(sumOf(metrics, 'spike_queue_admitted_total', { sale: 'metq' }), 0);
    assert.deepEqual(labelSets(metrics, 'spike_queue_waiting'), [{ sale: 'metq' }]);
  });

  it("shows a train's trips as purchases and its free seat-segments as what remains, on /metrics and the dashboard feed", async () => {
    const created = await request(`${server.url}/api/trains`, { method: 'POST', headers: admin, body: { id: 'metT', stations: ['A', 'B', 'C', 'D'], seats: 2, holdSeconds: 600 } });
    assert.equal(created.status, 201, created.text);
    const bought = await request(`${server.url}/api/trains/metT/purchases`, { method: 'POST', body: { userId: 'rider-1', from: 'B', to: 'D' } });
    assert.equal(bought.status, 201, bought.text);
    assert.equal((await request(`${server.url}/api/trains/metT/purchases`, { method: 'POST', body: { userId: 'rider-2', from: 'A', to: 'D' } })).status, 201);
    // Seat 0 is taken B->D, seat 1 A->D: 6 seat-segments, 5 taken; one trip (A->B) is left.
    assert.equal((await request(`${server.url}/api/trains/metT/purchases`, { method: 'POST', body: { userId: 'rider-3', from: 'A', to: 'C' } })).status, 409);
    const metrics = await eventually(async () => {
      const m = await scrape(server);
      return sumOf(m, 'spike_sale_tickets', { sale: 'metT', state: 'remaining' }) === 1 ? m : null;
    }, 5000, "the train's free seat-segments in spike_sale_tickets");
    assert.equal(sumOf(metrics, 'spike_sale_tickets', { sale: 'metT', state: 'total' }), 6);
    assert.equal(sumOf(metrics, 'spike_sale_tickets', { sale: 'metT', state: 'reserved' }), 2);
    assert.equal(sumOf(metrics, 'spike_purchases_total', { sale: 'metT', outcome: 'reserved' }), 2);
    assert.equal(sumOf(metrics, 'spike_purchases_total', { sale: 'metT', outcome: 'sold_out' }), 1);
    assert.equal(sumOf(metrics, 'spike_http_requests_total', { route: 'POST /api/trains/:id/purchases', status: '201' }), 2);

    const snapshot = await dashboardSnapshot(server);
    const card = snapshot.sales.find((sale: { id: string }) => sale.id === 'metT');
    assert.deepEqual({ train: card.train, total: card.total, sold: card.sold, remaining: card.remaining }, { train: { stations: 4, seats: 2 }, total: 6, sold: 2, remaining: 1 });
    // Train purchases count in the purchase latency the page shows, beside the sales' purchases.
    // (The text parser drops a histogram's labels, so its _count lines are read from the text.)
    const text = (await request(`${server.url}/metrics`, { headers: admin })).text;
    const timed = (route: string) =>
      [...text.matchAll(/^spike_http_request_duration_seconds_count\{([^}]*)\} (\d+)/gm)].filter((m) => m[1]!.includes(`route="${route}"`)).reduce((sum, m) => sum + Number(m[2]), 0);
    assert.equal(timed('POST /api/trains/:id/purchases'), 3);
    assert.equal(snapshot.purchaseLatency.count, timed('POST /api/trains/:id/purchases') + timed('POST /api/sales/:id/purchases') + timed('GET /buy/ticket'));

    // The last seat-segment sold: the train is sold out, as a sale with no ticket left is.
    assert.equal((await request(`${server.url}/api/trains/metT/purchases`, { method: 'POST', body: { userId: 'rider-4', from: 'A', to: 'B' } })).status, 201);
    await eventually(async () => sumOf(await scrape(server), 'spike_sale_tickets', { sale: 'metT', state: 'remaining' }) === 0, 5000, 'the train sold out');
  });

  it('shows a SIGKILLed worker as down and restarted', async () => {
    const purchasesBefore = sumOf(await scrape(server), 'spike_purchases_total', { sale: 'metr' });
    const cluster = (await request(`${server.url}/api/cluster`, { headers: admin })).body;
    const victim = cluster.workers[1];
    process.kill(victim.pid, 'SIGKILL');
    await eventually(async () => {
      const metrics = await scrape(server);
      return sumOf(metrics, 'spike_worker_restarts_total', { worker: '1' }) === 1 && sumOf(metrics, 'spike_worker_up', { worker: '1' }) === 1;
    }, 15_000, 'worker 1 counted as restarted and up again');
    const metrics = await scrape(server);
    assert.equal(sumOf(metrics, 'spike_worker_restarts_total', { worker: '0' }), 0);
    // The dead worker's counts (as of the last scrape) stay in the sums: a cluster-wide counter never goes down.
    assert.equal(sumOf(metrics, 'spike_purchases_total', { sale: 'metr' }), purchasesBefore);
    assert.ok(purchasesBefore >= 180);
  });

  it('refuses /metrics without a token, takes METRICS_TOKEN, and METRICS_TOKEN is no admin token', async () => {
    const none = await request(`${server.url}/metrics`);
    assert.equal(none.status, 401);
    assert.equal(none.body.error.code, 'unauthorized');
    assert.equal((await request(`${server.url}/metrics`, { headers: { authorization: 'Bearer wrong-token-here' } })).status, 401);
    await scrape(server, METRICS_TOKEN);
    const sale = await request(`${server.url}/api/sales`, { method: 'POST', headers: { authorization: `Bearer ${METRICS_TOKEN}` }, body: { id: 'nope', total: 1 } });
    assert.equal(sale.status, 401);
  });

  it('serves /metrics without a token on METRICS_PORT, on localhost', async () => {
    const reply = await request(`http://127.0.0.1:${metricsPort}/metrics`);
    assert.equal(reply.status, 200, reply.text);
    assert.ok(sumOf(parseMetrics(reply.text), 'spike_sale_tickets', { sale: 'metr', state: 'total' }) === 40);
    assert.equal((await request(`http://127.0.0.1:${metricsPort}/other`)).status, 404);
  });

  it('refuses the dashboard and its feed without the token', async () => {
    const page = await request(`${server.url}/dashboard`);
    assert.equal(page.status, 401);
    assert.equal(page.body.error.code, 'unauthorized');
    assert.equal((await request(`${server.url}/dashboard?token=wrong-token-x`)).status, 401);
    assert.equal((await request(`${server.url}/dashboard?token=${ADMIN_TOKEN}`)).status, 200);
    for (const protocols of [[], ['spike-admin.wrong-token-x']]) {
      const refused = await new Promise<number>((resolve, reject) => {
        const ws = new WebSocket(`ws://127.0.0.1:${server.port}/dashboard/live`, protocols);
        ws.on('open', () => reject(new Error('the feed opened without the right token')));
        ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
        ws.on('error', () => {});
      });
      assert.equal(refused, 401);
    }
    const first = await dashboardSnapshot(server);
    assert.ok(first.sales.some((sale: { id: string; remaining: number }) => sale.id === 'metr' && sale.remaining === 0));
    assert.equal(first.workers.length, 2);
  });
});
