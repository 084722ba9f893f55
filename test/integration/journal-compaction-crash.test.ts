// The embedded journal compacted under real buy-cancel churn, with the primary
// SIGKILLed while compactions run: after a restart on the same DATA_DIR every
// order a buyer was told about is there in the state they were told, the
// audit is exact, and the restart loaded a snapshot.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { request } from '../helpers/client';
import { ADMIN_TOKEN, eventually, startServer, type RunningServer } from '../helpers/server';

const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };

describe('embedded journal compaction: SIGKILL while compacting', () => {
  const root = mkdtempSync(join(tmpdir(), 'spike-compact-kill-'));
  const dataDir = join(root, 'data');
  const env = (n: number) => ({ LEDGER: 'embedded', REDIS_URL: '', DATA_DIR: dataDir, SOCKET_DIR: join(root, `sockets-${n}`), WORKERS: '1', SHUTDOWN_TIMEOUT_MS: '2000', JOURNAL_COMPACT_MB: '0.02' });
  const servers: RunningServer[] = [];
  after(async () => {
    for (const server of servers) await server.stop();
    rmSync(root, { recursive: true, force: true });
  });

  it('keeps every acknowledged order and cancellation, and the audit is exact after the restart', async () => {
    const first = await startServer(env(0));
    servers.push(first);
    assert.equal((await request(`${first.url}/api/sales`, { method: 'POST', headers: admin, body: { id: 'churn', total: 100_000, holdSeconds: 600, maxCancelsPerBuyer: 1000 } })).status, 201);

    // Buyers buy and cancel in a loop; each answer heard is a promise the ledger must keep.
    const held = new Map<string, string>();
    const cancelled = new Set<string>();
    let stop = false;
    const lane = async (lane: number) => {
      for (let i = 0; !stop; i++) {
        const userId = `l${lane}-${i}`;
        const bought = await request(`${first.url}/api/sales/churn/purchases`, { method: 'POST', body: { userId }, timeoutMs: 5000 }).catch(() => null);
        if (!bought || bought.status !== 201) continue;
        held.set(bought.body.orderId, userId);
        if (i % 5 === 4) continue; // every fifth stays held
        const cancel = await request(`${first.url}/api/orders/${bought.body.orderId}/cancel`, { method: 'POST', body: { userId }, timeoutMs: 5000 }).catch(() => null);
        if (cancel?.status === 200) cancelled.add(bought.body.orderId);
      }
    };
    const lanes = Array.from({ length: 8 }, (_, i) => lane(i));
    try {
      // Several compactions have run; kill the primary the moment the next one starts.
      await eventually(() => (first.output().match(/journal compaction: snapshot gen \d+ written/g) ?? []).length >= 3, 60_000, 'three compactions under load');
      const started = (first.output().match(/journal compaction: started/g) ?? []).length;
      await eventually(() => (first.output().match(/journal compaction: started/g) ?? []).length > started, 30_000, 'the next compaction to start');
    } finally {
      first.child.kill('SIGKILL');
      stop = true;
      await first.exited;
      await Promise.all(lanes);
    }
    assert.ok(held.size > 200, `${held.size} orders acknowledged`);

    const second = await startServer(env(1));
    servers.push(second);
    assert.match(second.output(), /loaded a snapshot of \d+ record\(s\)/, 'the restart loaded a snapshot');
    for (const [orderId, userId] of held) {
      const order = await request(`${second.url}/api/orders/${orderId}`);
      assert.equal(order.status, 200, `acknowledged order ${orderId} is lost`);
      assert.equal(order.body.userId, userId);
      if (cancelled.has(orderId)) assert.equal(order.body.state, 'cancelled', orderId);
    }
    const audit = await request(`${second.url}/api/sales/churn/audit`, { headers: admin });
    assert.equal(audit.body.consistent, true, JSON.stringify(audit.body));
    assert.ok(audit.body.orders.cancelled >= cancelled.size);
    assert.equal(audit.body.sold, audit.body.orders.reserved + audit.body.orders.paid);
    // The restart finished what the kill interrupted: no segment or temporary file stays behind.
    await eventually(() => !readdirSync(dataDir).some((name) => name.endsWith('.segment') || name.endsWith('.tmp')), 20_000, 'leftover segments to be folded in');
    // And it sells on.
    assert.equal((await request(`${second.url}/api/sales/churn/purchases`, { method: 'POST', body: { userId: 'after' } })).status, 201);
  });
});
