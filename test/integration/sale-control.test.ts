// An operator's control of a sale through a real started cluster, on both
// ledgers: tickets added, total shrunk and the sale closed in the middle of a
// flood of buyers, with no oversell at any moment; listing, deleting, the
// sale's changes in its feed; and the wiring of the answers a client can act
// on (405 + Allow, Retry-After, nextReleaseAt, an empty body).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { crowd, request, statusCounts, type Reply } from '../helpers/client';
import { REDIS_URL, uniquePrefix, dropTestPrefix } from '../helpers/redis';
import { ADMIN_TOKEN, startServer, type RunningServer } from '../helpers/server';
import { tempDir } from '../helpers/temp-dir';

const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };

interface Flood {
  readonly replies: Reply[];
  /** When each request was sent (ms), by index. */
  readonly sentAt: number[];
}

function suite(name: string, env: () => Record<string, string>, cleanup: () => Promise<void>): void {
  describe(`sale control over a real cluster: ${name}`, () => {
    let server: RunningServer;
    before(async () => {
      server = await startServer({ WORKERS: '2', WORKER_WEIGHTS: '1,2', LOCAL_BUFFER: '5', ...env() });
    });
    after(async () => {
      const code = await server.stop();
      assert.equal(code, 0, server.output());
      await cleanup();
    });

    const api = (path: string, options: Parameters<typeof request>[1] = {}) => request(`${server.url}${path}`, options);
    const create = async (body: Record<string, unknown>) => {
      const reply = await api('/api/sales', { method: 'POST', headers: admin, body });
      assert.equal(reply.status, 201, reply.text);
    };
    const patch = (saleId: string, body: unknown) => api(`/api/sales/${saleId}`, { method: 'PATCH', headers: admin, body });
    const ledgerSale = async (saleId: string) => (await api(`/api/sales/${saleId}/audit`, { headers: admin })).body;

    /** `count` distinct buyers, 100 at a time; `midway(done)` is called after each reply. */
    async function flood(saleId: string, count: number, label: string, midway: (done: number) => void): Promise<Flood> {
      const sentAt: number[] = [];
      const replies = await crowd({
        count,
        concurrency: 100,
        make: (i) => {
          sentAt[i] = Date.now();
          return { url: `${server.url}/api/sales/${saleId}/purchases`, method: 'POST', body: { userId: `${label}-${i}` } };
        },
        onReply: (_reply, done) => midway(done),
      });
      return { replies, sentAt };
    }

    it('tickets added mid-flood are sold exactly: every worker follows the new total at once', async () => {
      await create({ id: 'grow', total: 100, holdSeconds: 0 });
      let grown: Promise<Reply> | undefined;
      const { replies } = await flood('grow', 3000, 'g', (done) => {
        if (done === 1000) grown = patch('grow', { total: 300 });
      });
      const answer = await grown!;
      assert.equal(answer.status, 200, answer.text);
      assert.equal(answer.body.total, 300);
      const counts = statusCounts(replies);
      assert.deepEqual(counts, { 201: 300, 409: 2700 }, JSON.stringify(counts));
      assert.ok(replies.filter((r) => r.status === 409).every((r) => r.body.error.code === 'sold_out'));
      const audit = await ledgerSale('grow');
      assert.equal(audit.sold, 300);
      assert.equal(audit.total, 300);
      assert.equal(audit.consistent, true);
    });

    it('total shrunk mid-flood: never more sold than the new total', async () => {
      await create({ id: 'shrink', total: 10_000, holdSeconds: 0 });
      let shrunk: Promise<Reply> | undefined;
      const { replies } = await flood('shrink', 3000, 's', (done) => {
        // A few hundred are sold by the time the change reaches the ledger (it queues behind the flood): 1500 is well above.
        if (done === 150) shrunk = patch('shrink', { total: 1500 });
      });
      const answer = await shrunk!;
      assert.equal(answer.status, 200, answer.text);
      assert.equal(statusCounts(replies)[201], 1500);
      const audit = await ledgerSale('shrink');
      assert.equal(audit.sold, 1500);
      assert.equal(audit.total, 1500);
      assert.equal(audit.consistent, true);
      const below = await patch('shrink', { total: 1499 });
      assert.equal(below.status, 409);
      assert.equal(below.body.error.code, 'total_below_sold');
      assert.match(below.body.error.message, /1500 ticket\(s\)/);
    });

    it('closed mid-flood: every purchase sent after the close answered is refused, and nothing is sold after closesAt', async () => {
      await create({ id: 'shut', total: 100_000, holdSeconds: 0 });
      let closing: Promise<Reply> | undefined;
      let closedAt = Infinity;
      const { replies, sentAt } = await flood('shut', 2000, 'c', (done) => {
        if (done === 500) {
          closing = patchless();
          void closing.then(() => (closedAt = Date.now()));
        }
      });
      function patchless() {
        return api('/api/sales/shut/close', { method: 'POST', headers: admin });
      }
      const answer = await closing!;
      assert.equal(answer.status, 200, answer.text);
      assert.equal(answer.body.status, 'closed');
      const closesAt = Date.parse(answer.body.closesAt);
      const late = replies.filter((_, i) => sentAt[i]! > closedAt);
      assert.ok(late.length > 100, `enough purchases after the close to mean something: ${late.length}`);
      for (const reply of late) {
        assert.equal(reply.status, 403, reply.text);
        assert.equal(reply.body.error.code, 'closed');
      }
      // A purchase sent before the close may still land (its time is before closesAt); none sent after it does.
      const sold = replies.filter((r) => r.status === 201);
      assert.ok(replies.every((r, i) => r.status !== 201 || sentAt[i]! < closedAt), 'nothing sold to a request sent after the close');
      assert.ok(Number.isFinite(closesAt));
      assert.equal((await ledgerSale('shut')).sold, sold.length);
      const again = await api('/api/sales/shut/close', { method: 'POST', headers: admin });
      assert.equal(again.status, 200);
      assert.equal(again.headers['idempotent-replayed'], 'true');
      assert.equal(again.body.closesAt, answer.body.closesAt);
    });

    it('lists sales in pages, changes one, shows the change in its feed, and deletes only a sale without orders', async () => {
      await create({ id: 'listed-a', total: 5, opensAt: Date.now() + 3_600_000 });
      await create({ id: 'listed-b', total: 5 });
      const seen: string[] = [];
      let cursor: string | null = null;
      for (let page = 0; page < 100; page++) {
        const reply: Reply = await api(`/api/sales?limit=2${cursor ? `&cursor=${cursor}` : ''}`, { headers: admin });
        assert.equal(reply.status, 200, reply.text);
        seen.push(...reply.body.sales.map((s: { id: string }) => s.id));
        cursor = reply.body.cursor;
        if (cursor === null) break;
      }
      for (const id of ['demo', 'grow', 'listed-a', 'listed-b']) assert.ok(seen.includes(id), `${id} listed: ${seen.join(',')}`);
      assert.equal((await api('/api/sales')).status, 401);

      const opensAt = '2031-01-01T00:00:00.000Z';
      const changed = await patch('listed-a', { opensAt, name: 'moved' });
      assert.equal(changed.status, 200, changed.text);
      assert.equal(changed.body.opensAt, opensAt);
      const feed = await api('/api/sales/listed-a/feed', { headers: admin });
      assert.deepEqual(feed.body.events.map((e: Record<string, unknown>) => ({ ...e, id: undefined, at: undefined })), [
        { id: undefined, type: 'sale', change: 'updated', changes: { opensAt, name: 'moved' }, at: undefined },
      ]);
      const opened = await patch('listed-b', { opensAt: '2031-01-01T00:00:00Z' });
      assert.equal(opened.status, 409);
      assert.equal(opened.body.error.code, 'already_open');
      const misspelt = await patch('listed-b', { opensat: '2031-01-01T00:00:00Z' });
      assert.equal(misspelt.status, 400);
      assert.match(misspelt.body.error.message, /unknown field "opensat": did you mean opensAt\?/);

      assert.equal((await api('/api/sales/listed-b/purchases', { method: 'POST', body: { userId: 'keeper' } })).status, 201);
      const refused = await api('/api/sales/listed-b', { method: 'DELETE', headers: admin });
      assert.equal(refused.status, 409);
      assert.equal(refused.body.error.code, 'sale_has_orders');
      const deleted = await api('/api/sales/listed-a', { method: 'DELETE', headers: admin });
      assert.deepEqual([deleted.status, deleted.body], [200, { id: 'listed-a', deleted: true }]);
      assert.equal((await api('/api/sales/listed-a/feed', { headers: admin })).status, 404);
      await create({ id: 'listed-a', total: 1 });
    });

    it('answers a client can act on: 405 with Allow, Retry-After, nextReleaseAt, and what to send for an empty body', async () => {
      const wrong = await api('/api/sales/demo', { method: 'PUT', body: {} });
      assert.equal(wrong.status, 405, wrong.text);
      assert.equal(wrong.body.error.code, 'method_not_allowed');
      assert.equal(wrong.headers.allow, 'GET, PATCH, DELETE');
      assert.equal((await api('/api/sales', { method: 'DELETE' })).headers.allow, 'GET, POST');
      assert.equal((await api('/api/orders/demo.x/pay')).headers.allow, 'POST');
      assert.equal((await api('/api/nowhere')).status, 404);

      const empty = await api('/api/sales/demo/purchases', { method: 'POST', body: '' });
      assert.equal(empty.status, 400, empty.text);
      assert.equal(empty.body.error.code, 'body_missing');
      assert.match(empty.body.error.message, /\{"userId":"alice"\}/);

      await create({ id: 'later', total: 5, opensAt: Date.now() + 90_000 });
      const early = await api('/api/sales/later/purchases', { method: 'POST', body: { userId: 'eager' } });
      assert.equal(early.status, 403);
      assert.ok(Number(early.headers['retry-after']) >= 85 && Number(early.headers['retry-after']) <= 90, String(early.headers['retry-after']));

      await create({ id: 'held', total: 1, holdSeconds: 60 });
      const first = await api('/api/sales/held/purchases', { method: 'POST', body: { userId: 'first' } });
      assert.equal(first.status, 201);
      const second = await api('/api/sales/held/purchases', { method: 'POST', body: { userId: 'second' } });
      assert.equal(second.status, 409);
      assert.equal(second.body.error.code, 'sold_out');
      assert.equal(second.body.error.nextReleaseAt, first.body.expiresAt);
      assert.ok(Number(second.headers['retry-after']) >= 55, String(second.headers['retry-after']));
    });

    it('the seed route /buy/ticket follows a close too, answering from memory once the worker knows', async () => {
      assert.equal((await api('/buy/ticket?user=before-close')).status, 201);
      assert.equal((await api('/api/sales/demo/close', { method: 'POST', headers: admin })).status, 200);
      for (let i = 0; i < 20; i++) {
        const reply = await api(`/buy/ticket?user=after-close-${i}`);
        assert.equal(reply.status, 403, reply.text);
        assert.equal(reply.body.error.code, 'closed');
      }
    });
  });
}

const prefix = uniquePrefix('salectl');
suite('redis', () => ({ LEDGER: 'redis', REDIS_URL, REDIS_PREFIX: prefix }), async () => {
  await dropTestPrefix(prefix);
});
suite('embedded', () => ({ LEDGER: 'embedded', DATA_DIR: tempDir('spike-salectl-') }), async () => {});
