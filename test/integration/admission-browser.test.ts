// The buyer's page in a real headless Chromium against a real cluster: it
// opens /s/:id before the sale opens, counts down, solves the proof of work
// in a Web Worker and joins, shows its place and the people ahead falling
// over the WebSocket, offers Buy when admitted, then the order with its hold
// countdown and Pay. Assertions are on the text a person reads; a screenshot
// of each step goes to test/artifacts/.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'puppeteer-core';
import { ARTIFACTS, startBrowser, type RunningBrowser } from '../helpers/browser';
import { request } from '../helpers/client';
import { solve } from '../../src/admission/proof-of-work';
import { ADMISSION_SECRET, createQueueSale, openSaleSoon } from '../helpers/queue';
import { eventually, startServer, type RunningServer } from '../helpers/server';
import { tempDir } from '../helpers/temp-dir';

describe("the buyer's page in headless Chromium", () => {
  let server: RunningServer;
  let chromium: RunningBrowser;
  let page: Page;

  before(async () => {
    server = await startServer({ WORKERS: '2', LEDGER: 'embedded', DATA_DIR: tempDir('spike-page-'), ADMISSION_SECRET, RATE_LIMIT_PER_SECOND: '0', QUEUE_TICK_MS: '100' }, 60_000);
    chromium = await startBrowser();
    page = await chromium.browser.newPage();
    // A phone's screen.
    await page.setViewport({ width: 390, height: 844, deviceScaleFactor: 1 });
  });
  after(async () => {
    await chromium?.close();
    await server?.stop();
  });

  const text = (selector: string) => page.$eval(selector, (node) => (node as unknown as { innerText: string }).innerText ?? '').catch(() => '');
  const visible = (selector: string) => page.$eval(selector, (node) => !(node as unknown as { closest(s: string): unknown }).closest('[hidden]')).catch(() => false);
  const shot = (name: string) => page.screenshot({ path: join(ARTIFACTS, `buyer-page-${name}.png`), fullPage: true });

  it('counts down, joins with a proof of work, shows the place live, buys when admitted and pays', async () => {
    const saleId = 'page-sale';
    // Room for the steps before opening on a busy machine; once they are done the operator moves the opening to now.
    const opensAt = Date.now() + 55_000;
    await createQueueSale(server.url, saleId, { total: 10, holdSeconds: 300, opensAt, name: 'Train G1234, Beijing to Shanghai' }, { admitPerSecond: 1, difficulty: 8 });
    // Others in the pre-queue, so the page's buyer is likely to wait behind some of them.
    for (let i = 0; i < 6; i++) {
      const reply = await request(`${server.url}/api/sales/${saleId}/queue`, { method: 'POST', body: { userId: `other-${i}` } });
      // difficulty 8: the API buyers need a proof of work too; without one they are refused.
      assert.equal(reply.body.error?.code, 'pow_required');
    }
    for (let i = 0; i < 6; i++) {
      const challenge = (await request(`${server.url}/api/sales/${saleId}/queue/challenge`)).body;
      const reply = await request(`${server.url}/api/sales/${saleId}/queue`, { method: 'POST', body: { userId: `other-${i}`, challenge: challenge.challenge, nonce: solve(challenge.challenge, challenge.difficulty) } });
      assert.equal(reply.status, 201, reply.text);
    }

    await page.goto(`${server.url}/s/${saleId}`, { waitUntil: 'domcontentloaded' });
    await eventually(async () => (await text('#sale-name')) === 'Train G1234, Beijing to Shanghai', 10_000, 'the sale name');
    const first = await eventually(async () => /^Opens in \d+ s$/.exec(await text('#countdown'))?.[0], 10_000, 'the countdown');
    await eventually(async () => (await text('#countdown')) !== first, 5000, 'the countdown to tick');
    assert.match(await text('#sale-facts'), /^10 tickets, sale opens /);
    await shot('1-countdown');

    await page.$eval('#user-id', (node) => ((node as unknown as { value: string }).value = ''));
    await page.type('#user-id', 'browser-buyer');
    await page.click('#join');
    assert.ok(Date.now() < opensAt - 2000, 'the steps before opening took too long for this test to see the pre-queue');
    await eventually(() => visible('#line-section'), 15_000, 'the line section after joining');
    assert.equal(await visible('#join-section'), false);
    assert.match(await text('#line-message'), /Places are drawn at random when the sale opens/);
    assert.equal(await text('#place'), 'drawn at opening');
    await shot('2-joined-before-opening');

    // The opening moves from most of a minute away to a second away; the page learns it from the pushes.
    await openSaleSoon(server.url, saleId);

    await eventually(async () => /^\d+$/.test(await text('#place')), 40_000, 'a place once the sale opens');
    assert.equal(await text('#countdown'), 'The sale is open.');
    const place = Number(await text('#place'));
    assert.ok(place >= 1 && place <= 7, `place ${place}`);
    await shot('3-place-after-draw');
    // The people ahead fall as the serving counter moves (one a second), pushed over the WebSocket.
    const seenAhead = new Set<string>();
    await eventually(async () => {
      seenAhead.add(await text('#ahead'));
      return visible('#buy');
    }, 20_000, 'the Buy button');
    if (place > 2) assert.ok(seenAhead.size >= 2, `the number ahead never changed: ${[...seenAhead].join(',')}`);
    assert.equal(await text('#line-message'), "It's your turn! Buy your ticket now.");
    assert.equal(await page.$eval('#buy', (node) => node.tagName), 'BUTTON');
    await shot('4-admitted');

    await page.click('#buy');
    await eventually(() => visible('#order-section'), 10_000, 'the order');
    assert.match(await text('#order'), /^Order page-sale\.[\w-]+ is reserved for you\.$/);
    await eventually(async () => /^Held for you for \d+ min \d+ s\. Pay before then\.$/.test(await text('#hold')), 5000, 'the hold countdown');
    await shot('5-order-held');

    await page.click('#pay');
    await eventually(async () => /^Paid\. Your ticket is order page-sale\.[\w-]+\.$/.test(await text('#order')), 10_000, 'the paid order');
    assert.equal(await visible('#pay'), false);
    assert.equal(await text('#problem'), '');
    await shot('6-paid');

    const sale = await request(`${server.url}/api/sales/${saleId}`);
    assert.deepEqual([sale.body.sold, sale.body.paid], [1, 1]);
  });
});
