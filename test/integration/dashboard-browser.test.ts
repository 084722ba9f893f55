// The operator's dashboard in a real headless Chromium, during a real sale on
// a real cluster: the remaining-stock number falls to 0, the chart fills, and
// a SIGKILLed worker shows as down and then up again. Screenshots go to test/artifacts/.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'puppeteer-core';
import { ARTIFACTS, startBrowser, type RunningBrowser } from '../helpers/browser';
import { crowd, request } from '../helpers/client';
import { ADMIN_TOKEN, eventually, startServer, type RunningServer } from '../helpers/server';

const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };

describe('the dashboard in headless Chromium', () => {
  let server: RunningServer;
  let chromium: RunningBrowser;
  let page: Page;
  let dataDir: string;

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'spike-dashboard-'));
    server = await startServer({ WORKERS: '2', LEDGER: 'embedded', DATA_DIR: dataDir, DEFAULT_SALE_TOTAL: '0' });
    chromium = await startBrowser();
    page = await chromium.browser.newPage();
    await page.setViewport({ width: 1440, height: 1000 });
  });

  after(async () => {
    await chromium?.close();
    await server?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const text = (selector: string) => page.$eval(selector, (node) => node.textContent ?? '').catch(() => null);

  it('shows the remaining stock fall to 0 and the chart fill as a sale sells out', async () => {
    const created = await request(`${server.url}/api/sales`, { method: 'POST', headers: admin, body: { id: 'dash', total: 120, holdSeconds: 600 } });
    assert.equal(created.status, 201, created.text);
    await page.goto(`${server.url}/dashboard?token=${ADMIN_TOKEN}`, { waitUntil: 'domcontentloaded' });
    await eventually(async () => (await text('[data-sale="dash"] [data-field="remaining"]')) === '120', 10_000, 'the page showing 120 tickets left');
    assert.equal(await text('#feed-status'), 'live');

    // Buyers arrive in three waves a page update apart, so the chart sees the stock fall.
    const statuses: number[] = [];
    for (const wave of [0, 1, 2]) {
      const replies = await crowd({
        count: 60,
        concurrency: 10,
        make: (i) => ({ url: `${server.url}/api/sales/dash/purchases`, method: 'POST', body: { userId: `buyer-${wave}-${i}` } }),
      });
      statuses.push(...replies.map((r) => r.status));
      const pointsNow = Number(await page.$eval('[data-sale="dash"]', (node) => node.getAttribute('data-points')));
      await eventually(async () => Number(await page.$eval('[data-sale="dash"]', (node) => node.getAttribute('data-points'))) > pointsNow, 5000, 'the next push');
    }
    assert.equal(statuses.filter((s) => s === 201).length, 120, JSON.stringify(statuses));
    assert.equal(statuses.filter((s) => s === 409).length, 60, JSON.stringify(statuses));

    await eventually(async () => (await text('[data-sale="dash"] [data-field="remaining"]')) === '0', 10_000, 'the page showing 0 tickets left');
    assert.equal(await text('[data-sale="dash"] [data-field="status"]'), 'sold out');
    assert.equal(await text('[data-sale="dash"] [data-field="sold"]'), '120');
    // The chart: uPlot drew its canvas, and holds a point per push, including the fall.
    const chart = await page.$eval('[data-sale="dash"]', (node) => ({
      points: Number(node.getAttribute('data-points')),
      canvas: node.querySelector('.chart canvas') !== null,
      series: [...node.querySelectorAll('.u-legend .u-series')].map((s) => s.textContent?.trim()),
    }));
    assert.ok(chart.canvas, 'no chart canvas');
    assert.ok(chart.points >= 4, `the chart has ${chart.points} points`);
    assert.ok(chart.series.some((s) => s?.startsWith('remaining')), JSON.stringify(chart.series));
    assert.match((await text('[data-sale="dash"] .outcomes')) ?? '', /sold out/);
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-sold-out.png'), fullPage: true });
  });

  it("shows a queue sale's waiting room: buyers in line, then admitted once it opens", async () => {
    const opensAt = Date.now() + 2500;
    const created = await request(`${server.url}/api/sales`, { method: 'POST', headers: admin, body: { id: 'dashq', total: 3, opensAt: new Date(opensAt).toISOString(), admission: { mode: 'queue', difficulty: 0, admitPerSecond: 2 } } });
    assert.equal(created.status, 201, created.text);
    for (let i = 0; i < 8; i++) assert.equal((await request(`${server.url}/api/sales/dashq/queue`, { method: 'POST', body: { userId: `line-${i}` } })).status, 201);
    // The page shows at most six sales; the newest queue sale is among them.
    await eventually(async () => (await text('[data-sale="dashq"] [data-field="queue-waiting"]')) === '8', 10_000, 'eight buyers in line before opening');
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-queue-waiting.png'), fullPage: true });
    await eventually(async () => Number(await text('[data-sale="dashq"] [data-field="queue-admitted"]')) >= 2, 15_000, 'buyers admitted after opening');
    assert.match((await text('[data-sale="dashq"] .queue')) ?? '', /of 8 joined/);
  });

  it('shows a SIGKILLed worker as down, then up again with one restart', async () => {
    await eventually(async () => (await page.$$eval('tr[data-worker]', (rows) => rows.map((row) => row.getAttribute('data-state')))).join() === 'ready,ready', 10_000, 'both workers up');
    const cluster = (await request(`${server.url}/api/cluster`, { headers: admin })).body;
    // Not the worker that carries the page's own socket: killing that one cuts the page off until it reconnects.
    const via = Number(await page.$eval('body', (body) => body.dataset.via));
    const victim = cluster.workers.find((w: { slot: number }) => w.slot !== via);
    process.kill(victim.pid, 'SIGKILL');
    const seen = await eventually(async () => {
      const state = await page.$eval(`tr[data-worker="${victim.slot}"]`, (row) => ({ state: row.getAttribute('data-state'), label: row.querySelector('.state')?.textContent })).catch(() => null);
      return state && state.state !== 'ready' ? state : null;
    }, 10_000, `worker ${victim.slot} shown as not up`);
    assert.ok(['down', 'starting'].includes(seen.state!), JSON.stringify(seen));
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-worker-down.png'), fullPage: true });
    await eventually(async () => {
      const row = await page.$eval(`tr[data-worker="${victim.slot}"]`, (node) => ({ state: node.getAttribute('data-state'), cells: [...node.querySelectorAll('td')].map((td) => td.textContent) })).catch(() => null);
      return row && row.state === 'ready' && row.cells[0] === 'up' && row.cells[5] === '1';
    }, 15_000, `worker ${victim.slot} shown up again with 1 restart`);
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-worker-back.png'), fullPage: true });
  });
});
