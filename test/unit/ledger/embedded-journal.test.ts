// The embedded ledger's own part beyond the contract: its journal, replay,
// group commit and fsync settings. In-process, no Redis, no child processes.
import assert from 'node:assert/strict';
import { statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { newOrderId } from '../../../src/inventory/order-ids';
import { EmbeddedLedger } from '../../../src/ledger/embedded/embedded-ledger';
import { JOURNAL_FILE } from '../../../src/ledger/embedded/journal/journal';
import { tempDir } from '../../helpers/temp-dir';

const tempDataDir = () => tempDir('spike-embedded-');

function reserve(ledger: EmbeddedLedger, saleId: string, userId: string, requestKey = `r:${userId}`, now = Date.now()) {
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
    assert.equal(ledger.diagnostics.replay.records, 3);
    assert.deepEqual(await ledger.getSale('g1'), { id: 'g1', name: 'G1', total: 3, perUserLimit: 1, holdSeconds: 900, opensAt: null, closesAt: 9e12, anonymous: false, maxCancelsPerBuyer: 3, sold: 2, paid: 0, createdAt: 1000 });
    assert.deepEqual(await ledger.getOrder(a.kind === 'reserved' ? a.order.orderId : ''), a.kind === 'reserved' ? a.order : null);
    assert.deepEqual(await reserve(ledger, 'g1', 'alice', 'k:a'), { kind: 'replayed', order: (a as { order: unknown }).order });
    assert.deepEqual(await reserve(ledger, 'g1', 'mallory', 'k:b'), { kind: 'key_reused' });
    assert.equal((await reserve(ledger, 'g1', 'alice', 'k:a2')).kind, 'limit_reached');
    assert.equal((await reserve(ledger, 'g1', 'carol')).kind, 'reserved');
    const soldOut = await reserve(ledger, 'g1', 'dave');
    assert.equal(soldOut.kind, 'sold_out');
    assert.equal((soldOut as { total: number }).total, 3);
    assert.equal((soldOut as { nextReleaseAt: number }).nextReleaseAt, a.kind === 'reserved' ? a.order.expiresAt : -1, 'the earliest hold is the first order\'s');
    assert.equal(await ledger.createSale({ id: 'g1', name: 'again', total: 1, perUserLimit: 1, holdSeconds: 0, opensAt: null, closesAt: null }, 2000), null);
    assert.deepEqual(await ledger.audit('g1'), { total: 3, sold: 3, paid: 0, orders: { reserved: 3, paid: 0, expired: 0, cancelled: 0 }, buyers: 3, buyersOverLimit: 0 });
    assert.equal(ledger.diagnostics.saleFigures('g1')!.held, 3);
    assert.equal(ledger.diagnostics.saleFigures('g1')!.requestKeys, 3);
    await ledger.close();
  });

  it("a buyer's cancellations and the sale's maxCancelsPerBuyer come back after a restart; an admin's cancels are not counted", async () => {
    const dataDir = tempDataDir();
    let ledger = EmbeddedLedger.open({ dataDir, fsync: 'batch' });
    await ledger.createSale({ id: 'c', name: 'c', total: 5, perUserLimit: 1, holdSeconds: 900, opensAt: null, closesAt: null, maxCancelsPerBuyer: 2 }, 1000);
    for (const [i, actor] of [[1, 'alice'], [2, null], [3, 'alice']] as const) {
      const r = await reserve(ledger, 'c', 'alice', `k:${i}`);
      assert.equal((await ledger.cancel((r as { order: { orderId: string } }).order.orderId, actor, Date.now())).kind, 'cancelled');
    }
    await ledger.close();
    ledger = EmbeddedLedger.open({ dataDir, fsync: 'batch' });
    assert.equal((await ledger.getSale('c'))!.maxCancelsPerBuyer, 2);
    const r = await reserve(ledger, 'c', 'alice', 'k:4');
    const refused = await ledger.cancel((r as { order: { orderId: string } }).order.orderId, 'alice', Date.now());
    assert.equal(refused.kind, 'too_many_cancellations', 'two of her own cancels were counted, the admin\'s was not');
    await ledger.close();
  });

  it('the feed keeps its last feedMaxEvents events with their ids, live and after a replay', async () => {
    const dataDir = tempDataDir();
    let ledger = EmbeddedLedger.open({ dataDir, fsync: 'batch', feedMaxEvents: 20 });
    await ledger.createSale({ id: 'f', name: 'f', total: 1000, perUserLimit: 1, holdSeconds: 900, opensAt: null, closesAt: null }, 1000);
    for (let i = 0; i < 300; i++) assert.equal((await reserve(ledger, 'f', `u${i}`)).kind, 'reserved');
    const live = await ledger.readFeed('f', null, 1000);
    assert.ok(live.events.length >= 20 && live.events.length < 20 + 100, `${live.events.length} kept`);
    assert.equal(live.events.at(-1)!.id, '300', 'ids are positions: the last of 300 events is 300');
    assert.equal(ledger.diagnostics.saleFigures('f')!.feedEvents, live.events.length);
    assert.deepEqual((await ledger.readFeed('f', '5', 2)).events, live.events.slice(0, 2), 'an after that was trimmed reads on from the oldest kept');
    await ledger.close();
    ledger = EmbeddedLedger.open({ dataDir, fsync: 'batch', feedMaxEvents: 20 });
    assert.deepEqual(await ledger.readFeed('f', null, 1000), live, 'the replay trims alike');
    assert.equal((await ledger.audit('f'))!.sold, 300);
    await ledger.close();
  });

  it('a burst of concurrent reservations shares fsyncs (group commit), and each reply follows its fsync', async () => {
    const ledger = EmbeddedLedger.open({ dataDir: tempDataDir(), fsync: 'batch' });
    await ledger.createSale({ id: 'burst', name: 'burst', total: 400, perUserLimit: 1, holdSeconds: 0, opensAt: null, closesAt: null }, 0);
    const before = ledger.diagnostics.journal;
    const outcomes = await Promise.all(Array.from({ length: 400 }, (_, i) => reserve(ledger, 'burst', `u${i}`)));
    const figures = ledger.diagnostics.journal;
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
    assert.equal(ledger.diagnostics.journal.syncs, 0);
    await ledger.close();
  });

  it('says where its data lives', () => {
    const dataDir = tempDataDir();
    const ledger = EmbeddedLedger.open({ dataDir, fsync: 'batch' });
    assert.equal(ledger.description, `embedded journal ${dataDir} (fsync batch)`);
    return ledger.close();
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
