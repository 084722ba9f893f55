// Buyers are who their token says, over a real cluster: forged, expired,
// malformed and other-buyer tokens are refused on every route that reads a
// buyer, and one buyer's Idempotency-Key or token never reveals another's order.
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { signBuyerToken } from '../../src/auth/hmac-token';
import { request, type Reply } from '../helpers/client';
import { ADMISSION_SECRET, createQueueSale, join as joinLine, lookup } from '../helpers/queue';
import { ADMIN_TOKEN, startServer, type RunningServer } from '../helpers/server';

const SECRET = 'buyer-auth-test-secret-0123456789abcdef';
const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
const root = mkdtempSync(join(tmpdir(), 'spike-buyer-auth-'));
after(() => rmSync(root, { recursive: true, force: true }));

const inOneHour = () => Math.floor(Date.now() / 1000) + 3600;
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const tokenFor = (sub: string, exp = inOneHour(), secret = SECRET) => bearer(signBuyerToken(secret, { sub, exp }));

function assertError(reply: Reply, status: number, code: string, message?: RegExp): void {
  assert.equal(reply.status, status, reply.text);
  assert.equal(reply.body.error.code, code, reply.text);
  if (message) assert.match(reply.body.error.message, message);
}

function embedded(name: string, extra: Record<string, string>): Record<string, string> {
  return { LEDGER: 'embedded', REDIS_URL: '', DATA_DIR: join(root, name, 'data'), SOCKET_DIR: join(root, name, 'sockets'), WORKERS: '2', SHUTDOWN_TIMEOUT_MS: '2000', ...extra };
}

describe('BUYER_AUTH=hmac', () => {
  let server: RunningServer;
  let url: string;
  before(async () => {
    server = await startServer(embedded('hmac', { BUYER_AUTH: 'hmac', BUYER_AUTH_SECRET: SECRET, ADMISSION_SECRET }));
    url = server.url;
    const created = await request(`${url}/api/sales`, { method: 'POST', headers: admin, body: { id: 'G1234', total: 50, perUserLimit: 2 } });
    assert.equal(created.status, 201, created.text);
  });
  after(() => server.stop());

  const buy = (headers: Record<string, string>, body: unknown = {}) => request(`${url}/api/sales/G1234/purchases`, { method: 'POST', headers, body });

  it('says at start-up which buyer identity it uses', () => {
    assert.match(server.output(), /buyer identity: BUYER_AUTH=hmac/);
    assert.doesNotMatch(server.output(), /BUYER_AUTH=none/);
  });

  it('refuses a purchase with no token, a malformed one, a forged one and an expired one', async () => {
    assertError(await buy({}, { userId: 'alice' }), 401, 'buyer_unauthorized', /Authorization: Bearer/);
    assertError(await buy(bearer('not-a-token')), 401, 'buyer_unauthorized', /base64url\(payload\)\.signature/);
    assertError(await buy(tokenFor('alice', inOneHour(), 'another-secret-another-secret-0123')), 401, 'buyer_unauthorized', /signature does not verify/);
    // A real token with its payload swapped for another buyer's: the signature no longer matches.
    const [, signature] = signBuyerToken(SECRET, { sub: 'mallory', exp: inOneHour() }).split('.');
    const swapped = `${Buffer.from(JSON.stringify({ sub: 'alice', exp: inOneHour() })).toString('base64url')}.${signature}`;
    assertError(await buy(bearer(swapped)), 401, 'buyer_unauthorized', /signature does not verify/);
    assertError(await buy(tokenFor('alice', Math.floor(Date.now() / 1000) - 5)), 401, 'buyer_token_expired', /expired at/);
    const sale = await request(`${url}/api/sales/G1234`);
    assert.equal(sale.body.sold, 0, 'no refused request took a ticket');
  });

  it('takes the buyer from the token, and refuses a body that names someone else', async () => {
    assertError(await buy(tokenFor('mallory'), { userId: 'alice' }), 401, 'buyer_unauthorized', /token is for "mallory", but the request names "alice"/);
    const mine = await buy(tokenFor('alice'));
    assert.equal(mine.status, 201, mine.text);
    assert.equal(mine.body.userId, 'alice');
    const named = await buy(tokenFor('alice'), { userId: 'alice' });
    assert.equal(named.status, 201, named.text);
  });

  it("one buyer's Idempotency-Key never reveals or squats another's order, and another's token cannot read, pay or cancel it", async () => {
    const key = { 'idempotency-key': 'bob-G1234-1' };
    const bob = await buy({ ...tokenFor('bob'), ...key });
    assert.equal(bob.status, 201, bob.text);
    const orderId = bob.body.orderId;
    // mallory replays bob's predictable key: she gets a purchase of her own, never bob's order.
    const probe = await buy({ ...tokenFor('mallory'), ...key });
    assert.equal(probe.status, 201, probe.text);
    assert.equal(probe.body.userId, 'mallory');
    assert.notEqual(probe.body.orderId, orderId);
    assert.doesNotMatch(probe.text, new RegExp(orderId.replace('.', '\\.')));
    // bob's own retry still finds his order.
    const retry = await buy({ ...tokenFor('bob'), ...key });
    assert.equal(retry.body.orderId, orderId);
    assert.equal(retry.headers['idempotent-replayed'], 'true');

    const order = `${url}/api/orders/${orderId}`;
    assertError(await request(order), 401, 'buyer_unauthorized');
    assertError(await request(order, { headers: tokenFor('mallory') }), 403, 'not_order_owner');
    assertError(await request(`${order}/cancel`, { method: 'POST', headers: tokenFor('mallory'), body: { userId: 'bob' } }), 401, 'buyer_unauthorized');
    assertError(await request(`${order}/cancel`, { method: 'POST', headers: tokenFor('mallory') }), 403, 'not_order_owner');
    assertError(await request(`${order}/pay`, { method: 'POST', headers: tokenFor('mallory') }), 403, 'not_order_owner');
    assertError(await request(`${order}/cancel`, { method: 'POST', body: { userId: 'bob' } }), 401, 'buyer_unauthorized');
    assert.equal((await request(order, { headers: tokenFor('bob') })).body.state, 'reserved');
    assert.equal((await request(order, { headers: admin })).body.userId, 'bob');
    const paid = await request(`${order}/pay`, { method: 'POST', headers: tokenFor('bob') });
    assert.equal(paid.status, 200, paid.text);
    assert.equal(paid.body.state, 'paid');
  });

  it('GET /buy/ticket?user= needs that buyer\'s token', async () => {
    assertError(await request(`${url}/buy/ticket?user=carol`), 401, 'buyer_unauthorized');
    assertError(await request(`${url}/buy/ticket?user=carol`, { headers: tokenFor('dave') }), 401, 'buyer_unauthorized', /token is for "dave"/);
    const carol = await request(`${url}/buy/ticket?user=carol`, { headers: tokenFor('carol') });
    assert.equal(carol.status, 201, carol.text);
    assert.equal(carol.body.userId, 'carol');
    const tokenOnly = await request(`${url}/buy/ticket`, { headers: tokenFor('erin') });
    assert.equal(tokenOnly.body.userId, 'erin');
  });

  it("a paid order's ticket goes to its buyer's token (or the admin), never to another buyer's", async () => {
    const paid = await buy(tokenFor('tess'));
    assert.equal(paid.status, 201, paid.text);
    const orderId = paid.body.orderId;
    assert.equal((await request(`${url}/api/orders/${orderId}/pay`, { method: 'POST', headers: tokenFor('tess') })).status, 200);
    const ticketUrl = `${url}/api/orders/${orderId}/ticket`;
    assertError(await request(ticketUrl), 401, 'buyer_unauthorized');
    assertError(await request(`${ticketUrl}?userId=tess`), 401, 'buyer_unauthorized', /Authorization: Bearer/);
    assertError(await request(ticketUrl, { headers: tokenFor('mallory') }), 403, 'not_order_owner');
    assertError(await request(`${ticketUrl}?userId=tess`, { headers: tokenFor('mallory') }), 401, 'buyer_unauthorized', /token is for "mallory"/);
    const mine = await request(ticketUrl, { headers: tokenFor('tess') });
    assert.equal(mine.status, 200, mine.text);
    assert.equal(mine.body.userId, 'tess');
    assert.equal((await request(ticketUrl, { headers: admin })).body.ticket, mine.body.ticket);
  });

  it("a place in a queue sale's line is the token's buyer's, and so is the pass it earns", async () => {
    await createQueueSale(url, 'Q77', { total: 5 }, { admitPerSecond: 1000 });
    assertError(await joinLine(url, 'Q77', 'alice'), 401, 'buyer_unauthorized', /Authorization: Bearer/);
    assertError(await joinLine(url, 'Q77', 'alice', tokenFor('mallory')), 401, 'buyer_unauthorized', /token is for "mallory"/);
    const joined = await joinLine(url, 'Q77', 'alice', tokenFor('alice'));
    assert.ok(joined.status === 200 || joined.status === 201, joined.text);
    assert.equal(joined.body.userId, 'alice');
    let pass: string | null = null;
    const deadline = Date.now() + 10_000;
    while (pass === null && Date.now() < deadline) {
      pass = (await lookup(url, 'Q77', joined.body.ticket)).body.pass;
      if (pass === null) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.ok(pass, 'alice is admitted within 10 s');
    const withPass = (headers: Record<string, string>) => request(`${url}/api/sales/Q77/purchases`, { method: 'POST', headers: { 'spike-pass': pass!, ...headers }, body: {} });
    // Her pass in mallory's hands buys nothing: the pass names alice, the token mallory.
    assertError(await withPass(tokenFor('mallory')), 403, 'pass_invalid');
    const bought = await withPass(tokenFor('alice'));
    assert.equal(bought.status, 201, bought.text);
    assert.equal(bought.body.userId, 'alice');
  });
});

describe('BUYER_AUTH=jwt', () => {
  let server: RunningServer;
  let url: string;
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const other = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const keyFile = join(root, 'buyer-key.pem');
  const sign = async (sub: string, expSeconds: number, key = privateKey, audience = 'spike') => {
    const { SignJWT } = await import('jose');
    return new SignJWT({}).setProtectedHeader({ alg: 'ES256' }).setSubject(sub).setAudience(audience).setExpirationTime(expSeconds).sign(key);
  };
  before(async () => {
    writeFileSync(keyFile, publicKey.export({ type: 'spki', format: 'pem' }));
    server = await startServer(embedded('jwt', { BUYER_AUTH: 'jwt', BUYER_AUTH_JWT_KEY: keyFile, BUYER_AUTH_JWT_ALG: 'ES256', BUYER_AUTH_JWT_AUDIENCE: 'spike' }));
    url = server.url;
  });
  after(() => server.stop());

  it('accepts a token from the configured key, and refuses one from another key, another audience, or past its exp', async () => {
    const buy = (token: string) => request(`${url}/buy/ticket`, { headers: bearer(token) });
    const ok = await buy(await sign('frank', inOneHour()));
    assert.equal(ok.status, 201, ok.text);
    assert.equal(ok.body.userId, 'frank');
    assertError(await buy(await sign('frank', inOneHour(), other.privateKey)), 401, 'buyer_unauthorized', /does not verify/);
    assertError(await buy(await sign('frank', inOneHour(), privateKey, 'another-site')), 401, 'buyer_unauthorized', /does not verify/);
    assertError(await buy(await sign('frank', Math.floor(Date.now() / 1000) - 60)), 401, 'buyer_token_expired');
    assertError(await buy(signBuyerToken(SECRET, { sub: 'frank', exp: inOneHour() })), 401, 'buyer_unauthorized');
  });
});
