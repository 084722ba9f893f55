// A burst of ticket requests past what a worker lets wait: over real sockets
// to a real worker, with one render thread and TICKET_RENDER_QUEUE=2, forty
// PNG tickets asked for at once. The ones past the bound are answered at once
// with 503 tickets_busy and a retry-after, the others with their QR code; no
// request hangs or is dropped, and afterwards tickets and purchases are
// served as before.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { crowd, request } from '../helpers/client';
import { buy, createSale, decodeQrPng, getBytes, ledgerEnv, serverPerSuite, ticketOf } from '../helpers/tickets';

describe('ticket requests past TICKET_RENDER_QUEUE', () => {
  const env = { ...ledgerEnv('embedded'), WORKERS: '1', TICKET_THREADS: '1', TICKET_RENDER_QUEUE: '2' };
  const suiteServer = serverPerSuite(env);

  it('are answered 503 tickets_busy with a retry-after at once; the rest get their tickets, and nothing is left stuck', async () => {
    const server = suiteServer();
    await createSale(server, 'busy', 10, 0);
    const orderId = await buy(server, 'busy', 'alice');
    const url = `${server.url}/api/orders/${orderId}/ticket?userId=alice&format=png`;

    const replies = await crowd({ count: 40, concurrency: 40, make: () => ({ url }) });
    const ok = replies.filter((r) => r.status === 200);
    const busy = replies.filter((r) => r.status === 503);
    assert.equal(ok.length + busy.length, 40, `every request answered 200 or 503: ${JSON.stringify(replies.map((r) => r.status))}`);
    assert.ok(ok.length >= 3, `at least the one drawn and the two waiting got their ticket (${ok.length})`);
    assert.ok(busy.length > 0, 'forty at once overflow one thread and two waiting');
    for (const reply of busy) {
      assert.equal(reply.body.error.code, 'tickets_busy', reply.text);
      assert.match(reply.body.error.message, /retry in \d+ s/);
      assert.ok(Number(reply.headers['retry-after']) >= 1, `retry-after: ${reply.headers['retry-after']}`);
    }
    assert.equal(ok[0]!.headers['content-type'], 'image/png');

    // Once the burst is over the worker draws again: the same ticket, decodable, and a purchase still sells.
    const ticket = (await ticketOf(server, orderId, 'alice')).body.ticket as string;
    const png = await getBytes(url);
    assert.equal(png.status, 200);
    assert.equal(decodeQrPng(png.bytes), ticket);
    assert.equal((await request(`${server.url}/api/sales/busy/purchases`, { method: 'POST', body: { userId: 'bob' } })).status, 201);
  });
});
