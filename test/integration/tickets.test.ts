// Tickets end to end, on both ledgers, over real sockets and real worker
// processes: a paid order's signed ticket verifies with the served public
// key (and a flipped bit or another key does not), its QR code decodes back
// to it, 200 gates scanning one ticket at once admit it once, a revoked
// ticket is refused, re-scans answered from a worker's memory are the
// ledger's answers (and stop when the sale is retired), and the feed carries
// ticket_issued and checked_in.
import assert from 'node:assert/strict';
import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { signTicket, ticketPayload, verifyTicket } from '../../src/tickets';
import { crowd, request, statusCounts } from '../helpers/client';
import { scrape } from '../helpers/metrics';
import { tempDir } from '../helpers/temp-dir';
import { eventually, startServer, type RunningServer } from '../helpers/server';
import { admin, buy, dropLedgerKeys, checkIn, createSale, decodeQrPng, gate, getBytes, ledgerEnv, ticketCounts, ticketOf, ticketString, wholeFeed, type LedgerKind } from '../helpers/tickets';

function flipBit(ticket: string, at: number): string {
  const [payload, signature] = ticket.split('.') as [string, string];
  const bytes = Buffer.from(payload, 'base64url');
  bytes[at % bytes.length]! ^= 1;
  return `${bytes.toString('base64url')}.${signature}`;
}

for (const kind of ['embedded', 'redis'] as LedgerKind[]) {
  describe(`tickets on the ${kind} ledger`, () => {
    const { privateKey } = generateKeyPairSync('ed25519');
    let server: RunningServer;
    // Made here, not in before(): the temp dir helper registers its cleanup with after(), which must not run inside a hook.
    // A generous ledger timeout: on a loaded box a slow answer would be a 503, and these tests are about admission, not timeouts.
    const env = { ...ledgerEnv(kind), LEDGER_TIMEOUT_MS: '10000' };
    // Retention retires a sale 1.7 s after it closes; only the re-scan test closes one.
    const retention = { SALE_RETENTION_DAYS: '0.00002', RETENTION_SWEEP_MS: '200', SALE_ARCHIVE_DIR: tempDir('spike-tickets-archive-') };
    before(async () => {
      server = await startServer({ ...env, ...retention, TICKET_SIGNING_KEY: String(privateKey.export({ type: 'pkcs8', format: 'pem' })), TICKET_ISSUE_MS: '50' });
    });
    /** Check-ins the workers asked the ledger for, by their own count (spike_ledger_call_duration_seconds). */
    async function checkInCalls(): Promise<number> {
      const family = (await scrape(server)).get('spike_ledger_call_duration_seconds');
      return (family?.metrics ?? []).filter((m: any) => m.labels?.command === 'checkIn').reduce((sum: number, m: any) => sum + Number(m.count), 0);
    }
    after(async () => {
      await server?.stop();
      await dropLedgerKeys(env);
    });

    it("a paid order's ticket verifies with the served public key; a flipped bit and another key do not; its QR code decodes back to it", async () => {
      await createSale(server, 'show', 10, 60, 'The Show');
      const orderId = await buy(server, 'show', 'alice');
      const unpaid = await ticketOf(server, orderId, 'alice');
      assert.equal(unpaid.status, 409);
      assert.equal(unpaid.body.error.code, 'order_not_paid');
      assert.match(unpaid.body.error.message, /is reserved/);
      assert.equal((await request(`${server.url}/api/orders/${orderId}/pay`, { method: 'POST', body: { userId: 'alice' } })).status, 200);

      const reply = await ticketOf(server, orderId, 'alice');
      assert.equal(reply.status, 200, reply.text);
      const order = (await request(`${server.url}/api/orders/${orderId}`)).body;
      assert.deepEqual(Object.keys(reply.body).sort(), ['issuedAt', 'orderId', 'saleId', 'ticket', 'ticketId', 'userId']);
      assert.deepEqual([reply.body.orderId, reply.body.saleId, reply.body.userId, reply.body.issuedAt], [orderId, 'show', 'alice', order.updatedAt], 'issued at the time it was paid');
      const ticket: string = reply.body.ticket;
      console.log(`# ${kind}: ticket of ${ticket.length} characters`);

      const pem = await request(`${server.url}/api/tickets/public-key`);
      assert.equal(pem.status, 200);
      assert.match(pem.headers['content-type']!, /pem/);
      const publicKey = createPublicKey(pem.text);
      const payload = verifyTicket(ticket, publicKey);
      assert.deepEqual(payload, { ticketId: reply.body.ticketId, orderId, saleId: 'show', userId: 'alice', issuedAt: Date.parse(order.updatedAt), saleName: 'The Show', opensAt: null, closesAt: null });

      for (const at of [0, 7, 30]) assert.throws(() => verifyTicket(flipBit(ticket, at), publicKey), /does not verify|not JSON|payload/);
      const otherKey = generateKeyPairSync('ed25519').privateKey;
      const forged = signTicket(payload, otherKey);
      assert.throws(() => verifyTicket(forged, publicKey), /does not verify/);

      // The same ticket every time: re-rendering, another worker, the admin.
      assert.equal(await ticketString(server, orderId, 'alice'), ticket);
      const byAdmin = await request(`${server.url}/api/orders/${orderId}/ticket`, { headers: admin });
      assert.equal(byAdmin.body.ticket, ticket);
      const other = await ticketOf(server, orderId, 'mallory');
      assert.equal(other.status, 403);
      assert.equal((await request(`${server.url}/api/orders/${orderId}/ticket`)).status, 400, 'no userId and no admin token');
      assert.equal((await ticketOf(server, orderId, 'alice', 'gif')).body.error.code, 'invalid_field');

      const png = await getBytes(`${server.url}/api/orders/${orderId}/ticket?userId=alice&format=png`);
      assert.equal(png.status, 200);
      assert.equal(png.type, 'image/png');
      assert.equal(decodeQrPng(png.bytes), ticket, 'the PNG QR code decodes back to the ticket');
      const byAccept = await getBytes(`${server.url}/api/orders/${orderId}/ticket?userId=alice`, { accept: 'image/png' });
      assert.equal(decodeQrPng(byAccept.bytes), ticket);
      const svg = await getBytes(`${server.url}/api/orders/${orderId}/ticket?userId=alice`, { accept: 'image/svg+xml' });
      assert.equal(svg.type, 'image/svg+xml');
      assert.match(svg.bytes.toString(), /^<svg[^>]+viewBox="0 0 (\d+) \1"/);

      // The gate refuses what does not verify, before the ledger is asked.
      for (const bad of [flipBit(ticket, 3), forged, 'not-a-ticket', '']) {
        const refused = await checkIn(server, bad, 'north');
        assert.equal(refused.status, 400, refused.text);
        assert.equal(refused.body.error.code, 'ticket_invalid');
      }
      const noToken = await request(`${server.url}/api/checkins`, { method: 'POST', body: { ticket } });
      assert.equal(noToken.status, 401);
      assert.equal(noToken.body.error.code, 'gate_unauthorized');
      const badGate = await checkIn(server, ticket, 'north gate');
      assert.equal(badGate.body.error.code, 'invalid_field');
    });

    it('200 concurrent check-ins of one ticket across both workers admit exactly one; the rest say when and at which gate', async () => {
      await createSale(server, 'gates', 5);
      const orderId = await buy(server, 'gates', 'bob');
      const ticket = await ticketString(server, orderId, 'bob');
      const replies = await crowd({
        count: 200,
        concurrency: 200,
        freshConnections: true,
        make: (i) => ({ url: `${server.url}/api/checkins`, method: 'POST', headers: gate, body: { ticket, gate: `gate-${i}` } }),
      });
      const admitted = replies.filter((r) => r.status === 200);
      assert.equal(admitted.length, 1, JSON.stringify(replies.filter((r) => r.status !== 409).map((r) => r.text)));
      assert.equal(admitted[0]!.body.admitted, true);
      const refused = replies.filter((r) => r.status === 409);
      assert.equal(refused.length, 199, JSON.stringify(statusCounts(replies)));
      for (const r of refused) {
        assert.equal(r.body.error.code, 'already_used');
        assert.deepEqual([r.body.usedAt, r.body.gate], [admitted[0]!.body.checkedInAt, admitted[0]!.body.gate]);
      }
      assert.equal(new Set(replies.map((r) => r.headers['x-spike-worker'])).size, 2, 'both workers took check-ins');
      assert.equal((await ticketCounts(server, 'gates')).checkedIn, 1);
    });

    it("re-scans on both workers get the ledger's own answer, with at most one more ledger call among them; once the sale is retired, every worker refuses the ticket", async () => {
      await createSale(server, 'rescan', 5);
      const orderId = await buy(server, 'rescan', 'erin');
      const ticket = await ticketString(server, orderId, 'erin');
      const first = await checkIn(server, ticket, 'south-1');
      assert.equal(first.status, 200, first.text);
      const callsBefore = await checkInCalls();
      const rescans = await crowd({
        count: 60,
        concurrency: 4,
        freshConnections: true,
        make: (i) => ({ url: `${server.url}/api/checkins`, method: 'POST', headers: gate, body: { ticket, gate: `south-${i}` } }),
      });
      assert.deepEqual(statusCounts(rescans), { 409: 60 });
      assert.equal(new Set(rescans.map((r) => r.headers['x-spike-worker'])).size, 2, 'both workers took re-scans');
      // Word for word the answer the ledger gives: when and where the one admission was.
      assert.equal(new Set(rescans.map((r) => r.text)).size, 1);
      assert.deepEqual(rescans[0]!.body, {
        error: { code: 'already_used', message: `ticket T-${orderId} was already used at ${first.body.checkedInAt} at gate "south-1"` },
        admitted: false,
        ticketId: `T-${orderId}`,
        orderId,
        usedAt: first.body.checkedInAt,
        gate: 'south-1',
      });
      // The worker that admitted it knows already; the other learns from the ledger's first already_used.
      const calls = (await checkInCalls()) - callsBefore;
      assert.ok(calls <= 1, `${calls} ledger check-ins for 60 re-scans`);
      assert.equal((await ticketCounts(server, 'rescan')).checkedIn, 1);

      // Retirement takes the sale and its check-ins out of the ledger: no worker answers from memory after it.
      assert.equal((await request(`${server.url}/api/sales/rescan/close`, { method: 'POST', headers: admin })).status, 200);
      await server.waitForOutput(/retention: sale rescan archived/, 15_000);
      await eventually(async () => {
        const after = await crowd({ count: 20, concurrency: 4, freshConnections: true, make: () => ({ url: `${server.url}/api/checkins`, method: 'POST', headers: gate, body: { ticket, gate: 'south-9' } }) });
        return after.every((r) => r.status === 409 && r.body.error.code === 'ticket_revoked' && /its order no longer exists/.test(r.body.error.message)) && new Set(after.map((r) => r.headers['x-spike-worker'])).size === 2;
      }, 5000, 'every worker to refuse the retired sale\'s ticket');
    });

    it('refuses a well-signed ticket whose order was cancelled or expired', async () => {
      await createSale(server, 'revoke', 5, 1);
      const cancelled = await buy(server, 'revoke', 'carol');
      assert.equal((await request(`${server.url}/api/orders/${cancelled}/cancel`, { method: 'POST', body: { userId: 'carol' } })).status, 200);
      const expired = await buy(server, 'revoke', 'dave');
      await eventually(async () => (await request(`${server.url}/api/orders/${expired}`)).body.state === 'expired', 10_000, 'the hold to expire');
      const sale = { name: 'Sale revoke', opensAt: null, closesAt: null };
      for (const [orderId, userId] of [[cancelled, 'carol'], [expired, 'dave']] as const) {
        // A ticket the server itself would have signed, had the order been paid (a paid order that is later refunded).
        const order = (await request(`${server.url}/api/orders/${orderId}`)).body;
        const ticket = signTicket(ticketPayload({ orderId, saleId: 'revoke', userId, updatedAt: Date.parse(order.updatedAt) }, sale), privateKey);
        const refused = await checkIn(server, ticket, 'east');
        assert.equal(refused.status, 409, refused.text);
        assert.equal(refused.body.error.code, 'ticket_revoked');
        assert.match(refused.body.error.message, new RegExp(`its order is ${order.state}`));
        assert.equal((await ticketOf(server, orderId, userId)).body.error.code, 'order_not_paid');
      }
      assert.equal((await ticketCounts(server, 'revoke')).checkedIn, 0);
    });

    it('the feed carries ticket_issued once per paid order and each checked_in', async () => {
      await createSale(server, 'feed', 20);
      const orders = await Promise.all(Array.from({ length: 8 }, (_, i) => buy(server, 'feed', `fan-${i}`)));
      const tickets = await Promise.all(orders.map((orderId, i) => ticketString(server, orderId, `fan-${i}`)));
      for (const ticket of tickets.slice(0, 3)) assert.equal((await checkIn(server, ticket, 'west')).status, 200);
      await eventually(async () => (await ticketCounts(server, 'feed')).issued === 8, 10_000, 'every ticket issued');
      assert.deepEqual(await ticketCounts(server, 'feed'), { due: 0, issued: 8, checkedIn: 3 });
      const feed = await wholeFeed(server, 'feed');
      const issued = feed.filter((e) => e.type === 'ticket_issued');
      assert.deepEqual(issued.map((e) => e.orderId).sort(), [...orders].sort());
      const checked = feed.filter((e) => e.type === 'checked_in');
      assert.equal(checked.length, 3);
      assert.ok(checked.every((e) => e.gate === 'west'));
    });
  });
}
