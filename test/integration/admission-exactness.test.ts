// Exactness through real servers on both ledgers: a queue sale of 500 tickets
// and 5,000 joiners sells exactly 500, only to pass holders, each pass once;
// a replayed pass gets pass_used, forged and expired passes and purchases
// without a pass are refused, and everyone waiting hears sold out.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { AdmissionTokens } from '../../src/admission/passes';
import { saleKeys } from '../../src/ledger/redis/keys';
import { crowd, request, type Reply } from '../helpers/client';
import { ADMISSION_SECRET, buy, createQueueSale, tokens } from '../helpers/queue';
import { adminRedis, REDIS_URL, uniquePrefix, dropTestPrefix } from '../helpers/redis';
import { ADMIN_TOKEN, startServer, type RunningServer } from '../helpers/server';
import { tempDir } from '../helpers/temp-dir';

const TOTAL = 500;
const JOINERS = 5000;

for (const ledger of ['redis', 'embedded'] as const) {
  describe(`exactness of a queue sale (${ledger} ledger)`, () => {
    let server: RunningServer;
    const prefix = uniquePrefix('exact');
    before(async () => {
      server = await startServer({ WORKERS: '2', LEDGER: ledger, REDIS_URL, REDIS_PREFIX: prefix, DATA_DIR: tempDir('spike-exact-'), ADMISSION_SECRET, RATE_LIMIT_PER_SECOND: '0', QUEUE_TICK_MS: '50', LEDGER_TIMEOUT_MS: '5000' });
    });
    after(async () => {
      await server.stop();
      if (ledger === 'redis') {
        await dropTestPrefix(prefix);
      }
    });

    it(`${TOTAL} tickets, ${JOINERS} joiners: exactly ${TOTAL} sold, only with passes, each pass once`, async () => {
      const saleId = `exact-${ledger}`;
      await createQueueSale(server.url, saleId, { total: TOTAL, holdSeconds: 0 }, { admitPerSecond: 2000, passSeconds: 600 });
      const joins = await crowd({ count: JOINERS, concurrency: 50, make: (i) => ({ url: `${server.url}/api/sales/${saleId}/queue`, method: 'POST', body: { userId: `j${i}` } }) });
      assert.ok(joins.every((r) => r.status === 201), JSON.stringify(joins.find((r) => r.status !== 201)?.body));
      assert.equal(new Set(joins.map((r) => r.body.ticket)).size, JOINERS, 'one ticket per joiner');

      const pending = new Map(joins.map((r) => [r.body.userId as string, r.body.ticket as string]));
      const bought = new Map<string, Reply>();
      const passOf = new Map<string, string>();
      const soldOutSeen = new Set<string>();
      let refusalsChecked = false;
      const deadline = Date.now() + 90_000;
      while (pending.size > 0 && Date.now() < deadline) {
        const waiting = [...pending];
        const views = await crowd({ count: waiting.length, concurrency: 50, make: (i) => ({ url: `${server.url}/api/sales/${saleId}/queue/${encodeURIComponent(waiting[i]![1])}` }) });
        const admitted = views.filter((v) => v.body.state === 'admitted');
        if (!refusalsChecked && admitted.length > 5) {
          // A few buy first, so the refusals are checked while stock is left.
          for (const v of admitted.splice(0, 5)) {
            const reply = await buy(server.url, saleId, v.body.userId, v.body.pass);
            assert.equal(reply.status, 201, reply.text);
            bought.set(v.body.userId, reply);
            passOf.set(v.body.userId, v.body.pass);
            pending.delete(v.body.userId);
          }
          await checkRefusals(server, saleId, [...passOf]);
          refusalsChecked = true;
        }
        for (const v of views) {
          if (v.body.state === 'sold_out') {
            soldOutSeen.add(v.body.userId);
            pending.delete(v.body.userId);
          }
        }
        const replies = await crowd({ count: admitted.length, concurrency: 50, make: (i) => ({ url: `${server.url}/api/sales/${saleId}/purchases`, method: 'POST', headers: { 'spike-pass': admitted[i]!.body.pass }, body: { userId: admitted[i]!.body.userId } }) });
        replies.forEach((reply, i) => {
          const userId = admitted[i]!.body.userId as string;
          assert.ok(reply.status === 201 || (reply.status === 409 && reply.body.error.code === 'sold_out'), `${userId}: ${reply.text}`);
          if (reply.status === 201) {
            assert.ok(!bought.has(userId), `${userId} bought twice`);
            bought.set(userId, reply);
            passOf.set(userId, admitted[i]!.body.pass);
          } else soldOutSeen.add(userId);
          pending.delete(userId);
        });
      }
      assert.equal(pending.size, 0, `${pending.size} joiners never heard an end`);
      assert.ok(refusalsChecked, 'the pass refusals were checked while stock was left');
      assert.equal(bought.size, TOTAL);
      assert.equal(new Set([...bought.values()].map((r) => r.body.orderId)).size, TOTAL);
      assert.equal(new Set(passOf.values()).size, TOTAL, 'one pass per order');
      assert.equal(soldOutSeen.size + bought.size, JOINERS, 'everyone else heard sold out');

      const audit = await request(`${server.url}/api/sales/${saleId}/audit`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
      assert.equal(audit.body.sold, TOTAL);
      assert.equal(audit.body.orders.paid, TOTAL);
      assert.equal(audit.body.consistent, true);
      if (ledger === 'redis') {
        const redis = adminRedis();
        const keys = saleKeys(prefix, saleId);
        assert.equal(await redis.zcard(keys.passes), TOTAL, 'spent passes == orders: no order without a pass');
        assert.equal(await redis.hlen(keys.orders), TOTAL);
        await redis.quit();
      }
    });
  });
}

/** While stock is left: a replayed pass, a forged one, another buyer's, an expired one, and none. */
async function checkRefusals(server: RunningServer, saleId: string, used: Array<[string, string]>): Promise<void> {
  for (const [userId, pass] of used) {
    const again = await buy(server.url, saleId, userId, pass, `replay-${userId}`);
    assert.equal(again.status, 403, again.text);
    assert.equal(again.body.error.code, 'pass_used');
  }
  const [userId, pass] = used[0]!;
  const claim = { place: 999_999, expiresAt: Date.now() + 60_000 };
  const forged = new AdmissionTokens('another-secret-entirely-0123456').pass(saleId, 'mallory', claim);
  const expectCode = async (reply: Promise<Reply>, code: string) => {
    const r = await reply;
    assert.equal(r.status, 403, r.text);
    assert.equal(r.body.error.code, code);
  };
  await expectCode(buy(server.url, saleId, 'mallory', forged), 'pass_invalid');
  await expectCode(buy(server.url, saleId, 'mallory', pass), 'pass_invalid');
  await expectCode(buy(server.url, saleId, userId, pass.slice(0, -2) + (pass.endsWith('AA') ? 'BB' : 'AA')), 'pass_invalid');
  await expectCode(buy(server.url, saleId, 'late-comer', tokens.pass(saleId, 'late-comer', { place: 999_998, expiresAt: Date.now() - 1 })), 'pass_expired');
  await expectCode(buy(server.url, saleId, 'late-comer', null), 'pass_required');
  await expectCode(buy(server.url, saleId, 'late-comer', ''), 'pass_required');
}
