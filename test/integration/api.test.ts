// The HTTP API over a real 2-worker cluster: happy paths, and every bad input
// getting its status and error code while the ledger stays untouched.
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { request, type Reply } from '../helpers/client';
import { adminRedis, REDIS_URL, uniquePrefix, dropTestPrefix } from '../helpers/redis';
import { ADMIN_TOKEN, eventually, startServer, type RunningServer } from '../helpers/server';
import { saleKeys } from '../../src/ledger/redis/keys';

const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };

function assertError(reply: Reply, status: number, code: string, message?: RegExp): void {
  assert.equal(reply.status, status, reply.text);
  assert.equal(reply.headers['content-type'], 'application/json');
  assert.equal(reply.body.error.code, code, reply.text);
  assert.equal(typeof reply.body.error.message, 'string');
  if (message) assert.match(reply.body.error.message, message);
}

/** Sends raw bytes and returns the raw answer, for bodies no well-behaved client would send. */
function raw(port: number, bytes: string | Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let answer = '';
    socket.on('data', (chunk) => {
      answer += chunk.toString();
      if (/\r\n\r\n[\s\S]*\}$/.test(answer)) socket.end();
    });
    socket.on('end', () => resolve(answer));
    socket.on('close', () => resolve(answer));
    socket.on('error', reject);
    socket.setTimeout(5000, () => socket.destroy(new Error('raw request timed out')));
    socket.write(bytes);
  });
}

describe('HTTP API', () => {
  const prefix = uniquePrefix('api');
  let server: RunningServer;
  let url: string;

  before(async () => {
    server = await startServer({ WORKERS: '2', LEDGER: 'redis', REDIS_URL, REDIS_PREFIX: prefix });
    url = server.url;
  });
  after(async () => {
    await server.stop();
    await dropTestPrefix(prefix);
  });

  const redisSold = async (saleId: string) => {
    const redis = adminRedis();
    const sold = await redis.hget(saleKeys(prefix, saleId).sale, 'sold');
    await redis.quit();
    return sold;
  };
  const create = (body: unknown, headers: Record<string, string> = admin) => request(`${url}/api/sales`, { method: 'POST', headers, body });
  const buy = (saleId: string, body: unknown, headers: Record<string, string> = {}) => request(`${url}/api/sales/${saleId}/purchases`, { method: 'POST', headers, body });

  it('creates a sale, sells from it, and reads the order back', async () => {
    const created = await create({ id: 'G1234', total: 3, perUserLimit: 1, name: 'Beijing to Shanghai' });
    assert.equal(created.status, 201);
    assert.deepEqual(created.body, { id: 'G1234', name: 'Beijing to Shanghai', total: 3, sold: 0, reserved: 0, paid: 0, remaining: 3, perUserLimit: 1, holdSeconds: 900, opensAt: null, closesAt: null, anonymous: false, maxCancelsPerBuyer: 3, admission: { mode: 'open' }, status: 'open' });

    const bought = await buy('G1234', { userId: 'alice' });
    assert.equal(bought.status, 201);
    assert.match(bought.body.orderId, /^G1234\.[A-Za-z0-9_-]+$/);
    assert.equal(bought.body.saleId, 'G1234');
    assert.equal(bought.body.userId, 'alice');
    assert.equal(bought.body.state, 'reserved');
    assert.equal(Date.parse(bought.body.expiresAt) - Date.parse(bought.body.createdAt), 900_000);

    const order = await request(`${url}/api/orders/${bought.body.orderId}`);
    assert.equal(order.status, 200);
    assert.equal(order.body.orderId, bought.body.orderId);
    assert.equal(order.body.userId, 'alice');
  });

  it('serves the default sale on the seed route, a distinct anonymous buyer per request', async () => {
    const a = await request(`${url}/buy/ticket`);
    const b = await request(`${url}/buy/ticket`);
    assert.equal(a.status, 201);
    assert.equal(b.status, 201);
    assert.equal(a.body.saleId, 'demo');
    assert.notEqual(a.body.userId, b.body.userId);
    const named = await request(`${url}/buy/ticket?user=zed`);
    assert.equal(named.body.userId, 'zed');
    assertError(await request(`${url}/buy/ticket?user=zed`), 409, 'limit_reached');
    assertError(await request(`${url}/buy/ticket?user=bad%20name`), 400, 'invalid_field', /user must be 1-64 characters/);
  });

  it('replays an Idempotency-Key with the same order; the same key from another buyer is that buyer\'s own purchase', async () => {
    await create({ id: 'idem', total: 5 });
    const first = await buy('idem', { userId: 'bob' }, { 'idempotency-key': 'bob-try-1' });
    const again = await buy('idem', { userId: 'bob' }, { 'idempotency-key': 'bob-try-1' });
    assert.equal(first.status, 201);
    assert.equal(again.status, 201);
    assert.deepEqual(again.body, first.body);
    assert.equal(again.headers['idempotent-replayed'], 'true');
    // Keys are scoped per buyer: mallory's copy of bob's key neither shows bob's order nor blocks bob.
    const mallory = await buy('idem', { userId: 'mallory' }, { 'idempotency-key': 'bob-try-1' });
    assert.equal(mallory.status, 201, mallory.text);
    assert.equal(mallory.body.userId, 'mallory');
    assert.notEqual(mallory.body.orderId, first.body.orderId);
    assert.equal(mallory.headers['idempotent-replayed'], undefined);
    // The sale view is refreshed at most every SALE_VIEW_TTL_MS, so poll for it.
    await eventually(async () => (await request(`${url}/api/sales/idem`)).body.sold === 2, 2000, 'sold to read 2');
    assert.equal(Number(await redisSold('idem')), 2);
  });

  it('reports health including the ledger', async () => {
    const health = await request(`${url}/healthz`);
    assert.equal(health.status, 200);
    assert.equal(health.body.status, 'ok');
    assert.match(health.body.ledger, /^redis /);
  });

  describe('every bad input gets a clear error and changes nothing', () => {
    const id = 'guarded';
    let soldBefore: number;
    let ordersBefore: number;
    const ledgerState = async () => {
      const redis = adminRedis();
      const state = { sold: Number(await redis.hget(saleKeys(prefix, id).sale, 'sold')), orders: await redis.hlen(saleKeys(prefix, id).orders), keys: (await redis.keys(`${prefix}:*`)).sort() };
      await redis.quit();
      return state;
    };

    before(async () => {
      assert.equal((await create({ id, total: 2, perUserLimit: 1 })).status, 201);
      assert.equal((await buy(id, { userId: 'first' })).status, 201);
      const state = await ledgerState();
      soldBefore = state.sold;
      ordersBefore = state.orders;
    });

    it('malformed JSON', async () => assertError(await buy(id, '{"userId": "x"'), 400, 'invalid_json', /not valid JSON/));
    it('a JSON value that is not an object', async () => assertError(await buy(id, '["alice"]'), 400, 'invalid_json', /must be a JSON object/));
    it('an empty body is told what to send', async () => assertError(await buy(id, ''), 400, 'body_missing', /send a JSON object such as \{"userId":"alice"\}/));
    it('userId missing', async () => assertError(await buy(id, {}), 400, 'invalid_field', /userId must be 1-64 characters of A-Z a-z 0-9 _ -/));
    it('userId of the wrong type', async () => assertError(await buy(id, { userId: 42 }), 400, 'invalid_field', /userId/));
    it('userId too long', async () => assertError(await buy(id, { userId: 'x'.repeat(65) }), 400, 'invalid_field', /userId/));
    it('userId with forbidden characters', async () => assertError(await buy(id, { userId: 'al ice"}' }), 400, 'invalid_field', /userId/));
    it('a body over 4 KiB', async () => assertError(await buy(id, { userId: 'big', pad: 'x'.repeat(5000) }), 413, 'body_too_large', /at most 4096 bytes/));
    it('a chunked body over 4 KiB with no content-length', async () => {
      const chunk = 'x'.repeat(3000);
      const answer = await raw(server.port, `POST /api/sales/${id}/purchases HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n${chunk.length.toString(16)}\r\n${chunk}\r\n${chunk.length.toString(16)}\r\n${chunk}\r\n0\r\n\r\n`);
      assert.match(answer, /^HTTP\/1\.1 413/);
      assert.match(answer, /"code":"body_too_large"/);
    });
    it('a content-type other than JSON', async () => assertError(await buy(id, 'userId=alice', { 'content-type': 'application/x-www-form-urlencoded' }), 415, 'unsupported_media_type'));
    it('an unknown sale', async () => assertError(await buy('no-such-sale', { userId: 'alice' }), 404, 'sale_not_found', /no-such-sale/));
    it('a sale id with forbidden characters', async () => assertError(await buy('bad%20id', { userId: 'alice' }), 400, 'invalid_field', /sale id/));
    it('an Idempotency-Key that is too long', async () => assertError(await buy(id, { userId: 'k' }, { 'idempotency-key': 'k'.repeat(200) }), 400, 'invalid_field', /Idempotency-Key/));
    it('a buyer over the per-user limit', async () => assertError(await buy(id, { userId: 'first' }), 409, 'limit_reached'));
    it('an unknown order', async () => {
      assertError(await request(`${url}/api/orders/${id}.nope`), 404, 'order_not_found');
      assertError(await request(`${url}/api/orders/garbage`), 404, 'order_not_found');
    });
    it('an unknown route', async () => assertError(await request(`${url}/api/nothing`), 404, 'route_not_found'));

    it('sale creation: no token, a wrong token, a duplicate id, bad fields', async () => {
      assertError(await create({ id: 'nope', total: 1 }, {}), 401, 'unauthorized', /Authorization: Bearer/);
      assertError(await create({ id: 'nope', total: 1 }, { authorization: 'Bearer wrong-token-123' }), 401, 'unauthorized');
      assertError(await create({ id, total: 9 }), 409, 'sale_exists');
      assertError(await create({ id: 'bad id', total: 1 }), 400, 'invalid_field', /^id must be/);
      assertError(await create({ id: 'neg', total: -1 }), 400, 'invalid_field', /total must be an integer/);
      assertError(await create({ id: 'frac', total: 1.5 }), 400, 'invalid_field', /total/);
      assertError(await create({ id: 'str', total: '10' }), 400, 'invalid_field', /total/);
      assertError(await create({ id: 'lim', total: 1, perUserLimit: 0 }), 400, 'invalid_field', /perUserLimit/);
      assertError(await create({ id: 'when', total: 1, opensAt: 'tomorrow' }), 400, 'invalid_field', /opensAt/);
      assertError(await create({ id: 'order', total: 1, opensAt: '2030-01-02T00:00:00Z', closesAt: '2030-01-01T00:00:00Z' }), 400, 'invalid_field', /closesAt must be later/);
      assertError(await create('{oops'), 400, 'invalid_json');
      for (const missing of ['nope', 'neg', 'frac', 'str', 'lim', 'when', 'order']) assertError(await request(`${url}/api/sales/${missing}`), 404, 'sale_not_found');
    });

    it('the ledger is exactly as it was', async () => {
      const state = await ledgerState();
      assert.equal(state.sold, soldBefore);
      assert.equal(state.orders, ordersBefore);
    });
  });

  it('refuses a sale that has not opened, and one that has closed', async () => {
    await create({ id: 'later', total: 5, opensAt: new Date(Date.now() + 3_600_000).toISOString() });
    assertError(await buy('later', { userId: 'eager' }), 403, 'not_open', /opens at/);
    // A buyer answered before closesAt must have bought; one who asks after it is refused. On a
    // loaded box the first answer may only arrive after closesAt, which proves nothing either
    // way: then the same check runs again on a new sale with twice the window (300 ms, 600 ms, ...).
    let window = 300;
    for (let attempt = 0; ; attempt++) {
      const id = `brief${attempt}`;
      const closesAt = Date.now() + window;
      assert.equal((await create({ id, total: 5, closesAt })).status, 201);
      const quick = await buy(id, { userId: 'quick' });
      if (Date.now() < closesAt) {
        assert.equal(quick.status, 201, quick.text);
        while (Date.now() < closesAt) await new Promise((resolve) => setTimeout(resolve, closesAt - Date.now()));
        assertError(await buy(id, { userId: 'slow' }), 403, 'closed', /closed at/);
        break;
      }
      assert.ok(quick.status === 201 || quick.body.error?.code === 'closed', quick.text);
      assert.ok(attempt < 5, `no answer came within a ${window} ms sale window`);
      window *= 2;
    }
    const view = await request(`${url}/api/sales/later`);
    assert.equal(view.body.status, 'scheduled');
    assert.equal(view.body.sold, 0);
  });

  it('answers sold_out once the last ticket is gone', async () => {
    await create({ id: 'tiny', total: 1 });
    assert.equal((await buy('tiny', { userId: 'lucky' })).status, 201);
    assertError(await buy('tiny', { userId: 'unlucky' }), 409, 'sold_out');
  });
});
