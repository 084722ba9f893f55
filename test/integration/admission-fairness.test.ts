// Fair order, on both ledgers through real servers: 2,000 buyers join before
// opening in a known order; after opening their places are a permutation of
// 1..2,000 uncorrelated with the join order, the admission follows the
// places, and the published key reproduces every place with an independent
// implementation of the documented shuffle.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { crowd, request } from '../helpers/client';
import { ADMISSION_SECRET, createQueueSale, lookup, openSaleSoon, spearman } from '../helpers/queue';
import { REDIS_URL, uniquePrefix, dropTestPrefix } from '../helpers/redis';
import { eventually, startServer, type RunningServer } from '../helpers/server';
import { tempDir } from '../helpers/temp-dir';

const BUYERS = 2000;

/** The draw as the README and GET .../queue/draw describe it, written again from the description. */
function publishedPlace(keyHex: string, i: number, n: number): number {
  let bits = 2;
  while (2 ** bits < n) bits += 2;
  const half = bits / 2;
  const size = 2 ** half;
  const key = Buffer.from(keyHex, 'hex');
  const net = (x: number) => {
    let left = Math.floor(x / size);
    let right = x % size;
    for (let r = 0; r < 8; r++) {
      const f = createHmac('sha256', key).update(`${r}:${right}`).digest().readUInt32BE(0) % size;
      [left, right] = [right, (left ^ f) >>> 0];
    }
    return left * size + right;
  };
  let x = net(i);
  while (x >= n) x = net(x);
  return x;
}

for (const ledger of ['redis', 'embedded'] as const) {
  describe(`fair order (${ledger} ledger)`, () => {
    let server: RunningServer;
    const prefix = uniquePrefix('fair');
    before(async () => {
      server = await startServer({
        WORKERS: '2',
        LEDGER: ledger,
        REDIS_URL,
        REDIS_PREFIX: prefix,
        DATA_DIR: tempDir('spike-fair-'),
        ADMISSION_SECRET,
        RATE_LIMIT_PER_SECOND: '0',
        QUEUE_TICK_MS: '50',
      });
    });
    after(async () => {
      await server.stop();
      if (ledger === 'redis') {
        await dropTestPrefix(prefix);
      }
    });

    it('shuffles the pre-queue: places are a permutation, uncorrelated with join order, reproducible from the published key', async () => {
      const saleId = `fair-${ledger}`;
      // Long enough for 2,000 joins on this shared, busy machine, so all are in before opening;
      // once they are, the operator moves the opening to now (openSaleSoon) rather than the test waiting it out.
      const opensAt = Date.now() + 60_000;
      await createQueueSale(server.url, saleId, { total: 100, opensAt, holdSeconds: 0 }, { admitPerSecond: 1000 });
      // Join order is the order the ledger numbered the joins in (preQueueNumber 0, 1, 2, ...).
      const joins = await crowd({ count: BUYERS, concurrency: 20, make: (i) => ({ url: `${server.url}/api/sales/${saleId}/queue`, method: 'POST', body: { userId: `early-${i}` } }) });
      const tickets: string[] = new Array(BUYERS);
      for (const reply of joins) {
        assert.equal(reply.status, 201, reply.text);
        assert.equal(reply.body.place, null, 'no place is known before the draw');
        tickets[reply.body.preQueueNumber] = reply.body.ticket;
      }
      assert.equal(tickets.filter(Boolean).length, BUYERS, 'the pre-queue numbers are 0..1,999, each once');
      const hidden = await request(`${server.url}/api/sales/${saleId}/queue/draw`);
      assert.equal(hidden.body.shuffleKey, null, 'the key stays secret until opening');
      assert.equal((await request(`${server.url}/api/sales/${saleId}`)).body.admission.shuffleKey, null);

      assert.ok(Date.now() < opensAt, 'the joins took longer than the time before opening; the test needs a later opensAt');
      await openSaleSoon(server.url, saleId);

      const draw = await eventually(async () => {
        const reply = await request(`${server.url}/api/sales/${saleId}/queue/draw`);
        return reply.body.drawn && reply.body.preQueue === BUYERS ? reply.body : null;
      }, 30_000, 'the sale to open and the draw to be published');
      assert.match(draw.shuffleKey, /^[0-9a-f]{64}$/);

      const views = await eventually(async () => {
        const replies = await crowd({ count: BUYERS, concurrency: 50, make: (i) => ({ url: `${server.url}/api/sales/${saleId}/queue/${encodeURIComponent(tickets[i]!)}` }) });
        return replies.every((r) => r.status === 200 && r.body.place !== null) ? replies.map((r) => r.body) : null;
      }, 10_000, 'every buyer to have a place');

      const places = views.map((v) => v.place as number);
      assert.deepEqual([...places].sort((a, b) => a - b), Array.from({ length: BUYERS }, (_, i) => i + 1), 'every buyer appears exactly once');
      const rho = spearman(places.map((_, i) => i), places);
      assert.ok(Math.abs(rho) < 0.1, `join order and place correlate: Spearman rho = ${rho}`);
      places.forEach((place, i) => assert.equal(publishedPlace(draw.shuffleKey, i, BUYERS) + 1, place, `the published key gives buyer ${i} another place`));

      // Admission follows the places: whoever is admitted has a place within the serving counter, nobody beyond it.
      const serving = await eventually(async () => {
        const status = (await lookup(server.url, saleId, tickets[0]!)).body;
        return status.serving >= 120 ? status.serving : null;
      }, 10_000, 'the serving counter to reach the stock cap (100 x 1.2)');
      assert.equal(serving, 120, 'never more unused passes than remaining x overAdmit');
      const now = await crowd({ count: BUYERS, concurrency: 50, make: (i) => ({ url: `${server.url}/api/sales/${saleId}/queue/${encodeURIComponent(tickets[i]!)}` }) });
      now.forEach((r, i) => assert.equal(r.body.state === 'admitted', places[i]! <= serving, `buyer ${i} at place ${places[i]} is ${r.body.state} with serving ${serving}`));
      assert.ok(now.filter((r) => r.body.state === 'admitted').every((r) => typeof r.body.pass === 'string'));
    });
  });
}
