// SIGKILL the primary in the middle of an embedded-ledger sale under real HTTP
// load, restart on the same DATA_DIR, and check the durability promise: every
// order a buyer was told about survives, sold equals the orders, and selling
// goes on to exactly the total.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { request, type Reply } from '../helpers/client';
import { ADMIN_TOKEN, eventually, startServer, type RunningServer } from '../helpers/server';
import { isProcessAlive } from '../../src/system/process-alive';
import { assertJournalSoldExactly } from '../helpers/journal-audit';

const SALE = 'crash';
const TOTAL = 600;
const KILL_AFTER_ACKS = 150;
const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };

function buy(server: RunningServer, i: number): Promise<Reply> {
  return request(`${server.url}/api/sales/${SALE}/purchases`, { method: 'POST', headers: { 'idempotency-key': `key-${i}` }, body: { userId: `buyer-${i}` }, timeoutMs: 10_000 });
}

describe('embedded ledger: the primary is SIGKILLed mid-sale', () => {
  const root = mkdtempSync(join(tmpdir(), 'spike-crash-'));
  const dataDir = join(root, 'data');
  // A SIGKILLed primary cannot remove its socket directory; keep it where after() cleans up.
  const env = {
    SOCKET_DIR: join(root, 'sockets'),
    // Neither LEDGER nor REDIS_URL: the default must be the embedded ledger.
    LEDGER: '',
    REDIS_URL: '',
    DATA_DIR: dataDir,
    JOURNAL_FSYNC: 'batch',
    WORKERS: '2',
    DEFAULT_SALE_ID: SALE,
    DEFAULT_SALE_TOTAL: String(TOTAL),
    SHUTDOWN_TIMEOUT_MS: '2000',
  };
  let server: RunningServer | undefined;
  after(async () => {
    await server?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  it('keeps every acknowledged order, and sells on to exactly the total after a restart', async (t) => {
    server = await startServer(env);
    const first = server;
    assert.match(first.output(), new RegExp(`ledger embedded journal ${dataDir} \\(fsync batch\\)`));
    const cluster = await request(`${first.url}/api/cluster`, { headers: admin });
    const workerPids = (cluster.body.workers as Array<{ pid: number }>).map((w) => w.pid);

    // 40 lanes of distinct buyers; the primary dies once 150 of them heard "yes".
    const acked = new Map<number, Reply>();
    let attempted = 0;
    let killed = false;
    let next = 0;
    const lanes = Array.from({ length: 40 }, async () => {
      while (next < TOTAL) {
        const i = next++;
        attempted++;
        let reply: Reply;
        try {
          reply = await buy(first, i);
        } catch {
          return; // the connection died with the primary
        }
        if (reply.status === 201) acked.set(i, reply);
        if (!killed && acked.size >= KILL_AFTER_ACKS) {
          killed = true;
          first.child.kill('SIGKILL');
        }
        if (killed) return;
      }
    });
    await Promise.all(lanes);
    assert.ok(killed, 'the primary was killed mid-sale');
    assert.equal((await first.exited).signal, 'SIGKILL');
    // Orphaned workers notice the lost channel and exit by themselves.
    await eventually(() => workerPids.every((pid) => !isProcessAlive(pid)), 15_000, 'the orphaned workers to exit');

    server = await startServer(env);
    const second = server;
    const found = /default sale crash: found, (\d+) of 600 tickets left/.exec(second.output());
    assert.ok(found, second.output());
    const sale = await request(`${second.url}/api/sales/${SALE}`);
    const soldAtRestart = sale.body.sold as number;
    assert.equal(soldAtRestart, TOTAL - Number(found[1]));
    assert.ok(soldAtRestart >= acked.size, `sold ${soldAtRestart} < ${acked.size} acknowledged`);
    assert.ok(soldAtRestart <= attempted, `sold ${soldAtRestart} > ${attempted} attempted`);
    t.diagnostic(`killed after ${acked.size} acknowledged of ${attempted} attempted; the journal held ${soldAtRestart} orders`);
    const torn = /dropped a torn last record.*/.exec(second.output());
    if (torn) t.diagnostic(torn[0]);

    // Every buyer told "yes" finds the order, and a retry with the same key gets it again.
    for (const [i, reply] of acked) {
      const order = await request(`${second.url}/api/orders/${reply.body.orderId}`);
      assert.equal(order.status, 200, order.text);
      assert.deepEqual(order.body, reply.body);
      const retry = await buy(second, i);
      assert.equal(retry.status, 201, retry.text);
      assert.equal(retry.headers['idempotent-replayed'], 'true');
      assert.equal(retry.body.orderId, reply.body.orderId);
    }

    // Selling goes on to exactly the total: fresh buyers, twice as many as tickets left.
    const left = TOTAL - soldAtRestart;
    const fresh: Reply[] = [];
    let n = 0;
    await Promise.all(Array.from({ length: 40 }, async () => {
      while (n < 2 * left + 40) {
        const i = 100_000 + n++;
        fresh.push(await buy(second, i));
      }
    }));
    const sold = fresh.filter((r) => r.status === 201);
    assert.equal(sold.length, left);
    assert.ok(fresh.filter((r) => r.status !== 201).every((r) => r.status === 409 && r.body.error.code === 'sold_out'));
    const final = await request(`${second.url}/api/sales/${SALE}`);
    assert.equal(final.body.sold, TOTAL);
    assert.equal(final.body.remaining, 0);

    assert.equal(await second.stop(), 0);
    server = undefined;

    // The ledger's own state: sold == orders == distinct buyers == total.
    await assertJournalSoldExactly(dataDir, SALE, TOTAL, [...acked.values(), ...sold]);
  });
});
