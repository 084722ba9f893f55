// A worker SIGKILLed while the primary still owes it ledger answers: the
// embedded ledger's replies outlive their asker, and the primary must shrug
// that off, keep serving the other workers, and keep its counts exact.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { request, type Reply } from '../helpers/client';
import { ADMIN_TOKEN, startServer, type RunningServer } from '../helpers/server';
import { assertJournalSoldExactly } from '../helpers/journal-audit';

const SALE = 'wcrash';
const TOTAL = 400;

describe('embedded ledger: a worker is SIGKILLed mid-sale', () => {
  const root = mkdtempSync(join(tmpdir(), 'spike-wcrash-'));
  const dataDir = join(root, 'data');
  let server: RunningServer | undefined;
  after(async () => {
    await server?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  it('the primary survives answers it can no longer deliver, and the sale still ends exact', async () => {
    server = await startServer({ LEDGER: 'embedded', DATA_DIR: dataDir, SOCKET_DIR: join(root, 'sockets'), WORKERS: '2', DEFAULT_SALE_ID: SALE, DEFAULT_SALE_TOTAL: String(TOTAL) });
    const s = server;
    const cluster = await request(`${s.url}/api/cluster`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    const victim = (cluster.body.workers as Array<{ pid: number }>)[0]!.pid;

    const replies: Reply[] = [];
    let next = 0;
    let killed = false;
    await Promise.all(Array.from({ length: 40 }, async () => {
      while (next < 3 * TOTAL) {
        const i = next++;
        try {
          replies.push(await request(`${s.url}/api/sales/${SALE}/purchases`, { method: 'POST', headers: { 'idempotency-key': `w-${i}` }, body: { userId: `buyer-${i}` }, timeoutMs: 10_000 }));
        } catch {
          // a connection the dead worker was serving
        }
        if (!killed && replies.filter((r) => r.status === 201).length >= 100) {
          killed = true;
          process.kill(victim, 'SIGKILL');
        }
      }
    }));
    assert.ok(killed);
    assert.equal(s.child.exitCode, null, `the primary died:\n${s.output()}`);
    const sale = await request(`${s.url}/api/sales/${SALE}`);
    assert.equal(sale.status, 200, sale.text);
    assert.equal(sale.body.sold, TOTAL, 'the survivors sold the rest');
    assert.equal(await s.stop(), 0);
    server = undefined;

    await assertJournalSoldExactly(dataDir, SALE, TOTAL, replies.filter((r) => r.status === 201));
  });
});
