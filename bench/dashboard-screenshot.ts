// `node dist/bench/dashboard-screenshot.js [out.png]`: the README's dashboard
// picture, taken the way an operator would see it. It starts the server as a
// bench cell does (the default balancer, embedded ledger, a sale of BENCH_TICKETS),
// opens /dashboard in headless Chromium, sends bench-style buyers with wrk for
// a few seconds (through the sell-out and into the sold-out phase), and screenshots the page.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import puppeteer from 'puppeteer-core';
import { WrkGenerator } from './load/wrk-generator';
import { startServerProcess } from './server-process';

const TOKEN = 'bench-dashboard-token';

async function main(): Promise<void> {
  const out = process.argv[2] ?? join(__dirname, '..', '..', 'docs', 'dashboard.png');
  const tickets = Number(process.env.BENCH_TICKETS ?? 10_000);
  const seconds = Number(process.env.BENCH_SCREENSHOT_SECONDS ?? 8);
  const dataDir = mkdtempSync(join(tmpdir(), 'spike-dashboard-shot-'));
  const profile = mkdtempSync(join(tmpdir(), 'spike-chromium-'));
  const server = await startServerProcess({ PORT: '0', HOST: '127.0.0.1', LEDGER: 'embedded', DATA_DIR: dataDir, ADMIN_TOKEN: TOKEN, DEFAULT_SALE_ID: 'bench', DEFAULT_SALE_TOTAL: String(tickets) });
  const browser = await puppeteer.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', `--user-data-dir=${profile}`],
  });
  try {
    const page = await browser.newPage();
    await page.setViewport({ width: 1440, height: 960 });
    await page.goto(`${server.url}/dashboard?token=${TOKEN}`, { waitUntil: 'domcontentloaded' });
    await page.waitForSelector('[data-sale="bench"]');
    // Two quiet pushes first, so the chart starts from the full stock.
    await new Promise((resolve) => setTimeout(resolve, 2200));
    const wrk = new WrkGenerator();
    let firstId = 1;
    for (let i = 0; i < seconds; i++) {
      const request = { url: server.url, pathPrefix: '/buy/ticket?user=u', firstId, quota: 0, connections: 100, threads: 1, durationMs: 1000, timeoutSeconds: 2 };
      const slice = await wrk.runSlice(request);
      firstId = wrk.nextId(request, slice);
      console.error(`slice ${i + 1}: ${slice.responses} responses, ${JSON.stringify(slice.statuses)}`);
    }
    // The last push after the load, so the rates show the end of the run.
    await new Promise((resolve) => setTimeout(resolve, 1200));
    mkdirSync(dirname(out), { recursive: true });
    await page.screenshot({ path: out, fullPage: true });
    console.error(`wrote ${out}`);
  } finally {
    await browser.close();
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(profile, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
