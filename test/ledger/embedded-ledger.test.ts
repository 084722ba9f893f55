// The embedded ledger held to the one contract, both in-process and through
// the real IPC path a worker uses, plus what only it has: the journal.
import assert from 'node:assert/strict';
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { IpcRpc, type IpcEndpoint } from '../../src/cluster/ipc-rpc';
import { LedgerUnavailableError } from '../../src/errors/errors';
import { EmbeddedLedger } from '../../src/ledger/embedded/embedded-ledger';
import { IpcLedger } from '../../src/ledger/embedded/ipc-ledger';
import { JOURNAL_FILE } from '../../src/ledger/embedded/journal/journal';
import { newOrderId } from '../../src/inventory/stock-keeper';
import { ledgerContract } from './ledger-contract';

const dirs: string[] = [];
function tempDataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'spike-embedded-'));
  dirs.push(dir);
  return dir;
}
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

ledgerContract('embedded, in-process', async () => {
  const ledger = EmbeddedLedger.open({ dataDir: tempDataDir(), fsync: 'batch' });
  return { ledger, close: () => ledger.close() };
});

async function startHost(dataDir: string): Promise<{ child: ChildProcess; rpc: IpcRpc; ledger: IpcLedger; stop(): Promise<void> }> {
  const child = fork(join(__dirname, 'embedded-ledger-host.js'), [], { env: { ...process.env, DATA_DIR: dataDir, JOURNAL_FSYNC: 'batch' }, serialization: 'json', stdio: 'inherit' });
  await new Promise<void>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`ledger host exited with ${code}`)));
    child.on('message', (m) => (m as { host?: string })?.host === 'ready' && resolve());
  });
  const rpc = new IpcRpc(child as unknown as IpcEndpoint);
  const ledger = new IpcLedger(rpc, { description: 'embedded over IPC', timeoutMs: 2000, connected: () => child.connected, messages: child });
  return {
    child,
    rpc,
    ledger,
    async stop() {
      if (!child.connected) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      await rpc.request('host.stop', null, 5000);
      await exited;
    },
  };
}

ledgerContract('embedded, over cluster IPC from another process', async () => {
  const host = await startHost(tempDataDir());
  return { ledger: host.ledger, close: () => host.stop() };
});

function reserve(ledger: EmbeddedLedger | IpcLedger, saleId: string, userId: string, requestKey = `r:${userId}`, now = Date.now()) {
  return ledger.reserve({ saleId, userId, requestKey, orderId: newOrderId(saleId), now });
}

describe('embedded ledger: journal and restart', () => {
  it('a restart brings back sales, counts, buyers, orders and request keys', async () => {
    const dataDir = tempDataDir();
    let ledger = EmbeddedLedger.open({ dataDir, fsync: 'batch' });
    await ledger.createSale({ id: 'g1', name: 'G1', total: 3, perUserLimit: 1, holdSeconds: 900, opensAt: null, closesAt: 9e12 }, 1000);
    const a = await reserve(ledger, 'g1', 'alice', 'k:a');
    const b = await reserve(ledger, 'g1', 'bob', 'k:b');
    assert.equal(a.kind, 'reserved');
    assert.equal(b.kind, 'reserved');
    await ledger.close();

    ledger = EmbeddedLedger.open({ dataDir, fsync: 'batch' });
    assert.equal(ledger.replayFigures.records, 3);
    assert.deepEqual(await ledger.getSale('g1'), { id: 'g1', name: 'G1', total: 3, perUserLimit: 1, holdSeconds: 900, opensAt: null, closesAt: 9e12, sold: 2, paid: 0, createdAt: 1000 });
    assert.deepEqual(await ledger.getOrder(a.kind === 'reserved' ? a.order.orderId : ''), a.kind === 'reserved' ? a.order : null);
    assert.deepEqual(await reserve(ledger, 'g1', 'alice', 'k:a'), { kind: 'replayed', order: (a as { order: unknown }).order });
    assert.deepEqual(await reserve(ledger, 'g1', 'mallory', 'k:b'), { kind: 'key_reused' });
    assert.equal((await reserve(ledger, 'g1', 'alice', 'k:a2')).kind, 'limit_reached');
    assert.equal((await reserve(ledger, 'g1', 'carol')).kind, 'reserved');
    assert.deepEqual(await reserve(ledger, 'g1', 'dave'), { kind: 'sold_out', total: 3 });
    assert.equal(await ledger.createSale({ id: 'g1', name: 'again', total: 1, perUserLimit: 1, holdSeconds: 0, opensAt: null, closesAt: null }, 2000), null);
    assert.deepEqual(await ledger.audit('g1'), { total: 3, sold: 3, paid: 0, orders: { reserved: 3, paid: 0, expired: 0, cancelled: 0 }, buyers: 3, buyersOverLimit: 0 });
    assert.equal(ledger.figures('g1')!.held, 3);
    assert.equal(ledger.figures('g1')!.requestKeys, 3);
    await ledger.close();
  });

  it('a burst of concurrent reservations shares fsyncs (group commit), and each reply follows its fsync', async () => {
    const ledger = EmbeddedLedger.open({ dataDir: tempDataDir(), fsync: 'batch' });
    await ledger.createSale({ id: 'burst', name: 'burst', total: 400, perUserLimit: 1, holdSeconds: 0, opensAt: null, closesAt: null }, 0);
    const before = ledger.journalFigures;
    const outcomes = await Promise.all(Array.from({ length: 400 }, (_, i) => reserve(ledger, 'burst', `u${i}`)));
    const figures = ledger.journalFigures;
    assert.equal(outcomes.filter((o) => o.kind === 'reserved').length, 400);
    assert.equal(figures.records - before.records, 400);
    assert.equal(figures.syncs, figures.batches, 'every batch is fsynced');
    assert.ok(figures.syncs - before.syncs <= 4, `400 reservations in one burst took ${figures.syncs - before.syncs} fsyncs`);
    await ledger.close();
  });

  it('JOURNAL_FSYNC=off never fsyncs and says so loudly', async () => {
    const warnings: string[] = [];
    const ledger = EmbeddedLedger.open({ dataDir: tempDataDir(), fsync: 'off', warn: (line) => warnings.push(line) });
    assert.match(warnings.join('\n'), /JOURNAL_FSYNC=off/);
    assert.match(ledger.description, /fsync off/);
    await ledger.createSale({ id: 'fast', name: 'fast', total: 10, perUserLimit: 1, holdSeconds: 0, opensAt: null, closesAt: null }, 0);
    await Promise.all(Array.from({ length: 10 }, (_, i) => reserve(ledger, 'fast', `u${i}`)));
    assert.equal(ledger.journalFigures.syncs, 0);
    await ledger.close();
  });

  it('says where its data lives', () => {
    const dataDir = tempDataDir();
    const ledger = EmbeddedLedger.open({ dataDir, fsync: 'batch' });
    assert.equal(ledger.description, `embedded journal ${dataDir} (fsync batch)`);
    return ledger.close();
  });

  it('refuses a DATA_DIR another live process holds, and takes over one a dead process left', async () => {
    const dataDir = tempDataDir();
    const host = await startHost(dataDir);
    assert.throws(() => EmbeddedLedger.open({ dataDir, fsync: 'batch' }), new RegExp(`DATA_DIR ${dataDir} is in use by another spike .*pid ${host.child.pid} on host`));
    host.child.kill('SIGKILL');
    await new Promise((resolve) => host.child.once('exit', resolve));
    const ledger = EmbeddedLedger.open({ dataDir, fsync: 'batch' });
    await ledger.close();
  });

  it('a worker whose primary is gone gets ledger_unavailable at once', async () => {
    const host = await startHost(tempDataDir());
    host.child.kill('SIGKILL');
    await new Promise((resolve) => host.child.once('exit', resolve));
    await assert.rejects(host.ledger.getSale('any'), LedgerUnavailableError);
  });

  it('a primary that does not answer in time becomes ledger_unavailable', async () => {
    const host = await startHost(tempDataDir());
    const slow = new IpcLedger(host.rpc, { description: 'x', timeoutMs: 50, connected: () => true });
    host.child.kill('SIGSTOP');
    try {
      await assert.rejects(slow.ping(), (error: unknown) => error instanceof LedgerUnavailableError && /LEDGER_TIMEOUT_MS=50/.test(error.message));
    } finally {
      host.child.kill('SIGCONT');
    }
    await host.stop();
  });

  it('starts on an empty journal file left by a crash during creation', async () => {
    const dataDir = tempDataDir();
    writeFileSync(join(dataDir, JOURNAL_FILE), Buffer.from('SPIK'));
    const ledger = EmbeddedLedger.open({ dataDir, fsync: 'batch', warn: () => {} });
    await ledger.createSale({ id: 's', name: 's', total: 1, perUserLimit: 1, holdSeconds: 0, opensAt: null, closesAt: null }, 0);
    await ledger.close();
    assert.ok(statSync(join(dataDir, JOURNAL_FILE)).size > 8);
    const again = EmbeddedLedger.open({ dataDir, fsync: 'batch' });
    assert.equal((await again.getSale('s'))!.total, 1);
    await again.close();
  });
});
