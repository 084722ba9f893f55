// GET /buy/ticket without ?user makes one new buyer per request, so it is
// allowed only on sales created with anonymous: true (the default sale is);
// the flag is kept by both ledgers, across a restart of the embedded one.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { request } from '../helpers/client';
import { REDIS_URL, uniquePrefix, dropTestPrefix } from '../helpers/redis';
import { ADMIN_TOKEN, startServer, type RunningServer } from '../helpers/server';

const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
const root = mkdtempSync(join(tmpdir(), 'spike-anonymous-'));
const prefix = uniquePrefix('anon');
const servers: RunningServer[] = [];
after(async () => {
  for (const server of servers) await server.stop();
  rmSync(root, { recursive: true, force: true });
  await dropTestPrefix(prefix);
});

async function start(env: Record<string, string>): Promise<RunningServer> {
  const server = await startServer({ WORKERS: '1', SHUTDOWN_TIMEOUT_MS: '2000', SOCKET_DIR: join(root, `sockets-${servers.length}`), ...env });
  servers.push(server);
  return server;
}

for (const ledger of ['embedded', 'redis'] as const) {
  describe(`anonymous buyers on the ${ledger} ledger`, () => {
    const env: Record<string, string> = ledger === 'redis' ? { LEDGER: 'redis', REDIS_URL, REDIS_PREFIX: prefix } : { LEDGER: 'embedded', REDIS_URL: '', DATA_DIR: join(root, 'data') };

    it('serves the default sale (created anonymous) without ?user, and refuses it on a sale that is not', async () => {
      const first = await start({ ...env, DEFAULT_SALE_ID: 'demo' });
      assert.match(first.output(), /BUYER_AUTH=none/, 'none is warned about at start-up');
      const demo = await request(`${first.url}/api/sales/demo`);
      assert.equal(demo.body.anonymous, true);
      assert.equal((await request(`${first.url}/buy/ticket`)).status, 201);
      const plain = await request(`${first.url}/api/sales`, { method: 'POST', headers: admin, body: { id: 'plain', total: 5 } });
      assert.equal(plain.status, 201, plain.text);
      assert.equal(plain.body.anonymous, false);
      const open = await request(`${first.url}/api/sales`, { method: 'POST', headers: admin, body: { id: 'open', total: 5, anonymous: true } });
      assert.equal(open.body.anonymous, true);
      const bad = await request(`${first.url}/api/sales`, { method: 'POST', headers: admin, body: { id: 'bad', total: 5, anonymous: 'yes' } });
      assert.equal(bad.status, 400);
      assert.match(bad.body.error.message, /anonymous must be true or false/);
      await first.stop();

      // Served as the default sale after a restart: the flag came back from the ledger.
      const second = await start({ ...env, DEFAULT_SALE_ID: 'plain' });
      assert.match(second.output(), /default sale plain: found/);
      for (let i = 0; i < 3; i++) {
        const anonymous = await request(`${second.url}/buy/ticket`);
        assert.equal(anonymous.status, 400, anonymous.text);
        assert.equal(anonymous.body.error.code, 'invalid_field');
        assert.match(anonymous.body.error.message, /user must be given: sale "plain" was not created with anonymous: true/);
      }
      const named = await request(`${second.url}/buy/ticket?user=bob`);
      assert.equal(named.status, 201, named.text);
      const sale = await request(`${second.url}/api/sales/plain`);
      assert.equal(sale.body.sold, 1, 'the refused anonymous requests took nothing');
      assert.equal(sale.body.anonymous, false);
      assert.equal((await request(`${second.url}/api/sales/open`)).body.anonymous, true);
      await second.stop();
    });
  });
}
