// "A yes is durable", tested where kill -9 cannot: the journal's fdatasync is
// held by an injected file layer, and no reply (a reservation, a payment, a
// cancel, an expiry, a replay, a read of a count) may leave before the sync
// that covers its record has returned. Without the fsync, or with a reply sent
// before it, these tests fail (a crash test passes either way: kill -9 leaves
// the page cache intact).
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { Order, ReserveOutcome, SaleSpec } from '../../../src/ledger';
import { EmbeddedLedger } from '../../../src/ledger/embedded/embedded-ledger';
import { JOURNAL_FILE } from '../../../src/ledger/embedded/journal/journal';
import { NODE_FILE_OPS, type JournalFileOps } from '../../../src/ledger/embedded/journal/journal-writer';
import { tempDir } from '../../helpers/temp-dir';

const T = 1_800_000_000_000;

/** A disk whose writes go through but whose every fdatasync waits until the test releases it. */
class HeldSyncs implements JournalFileOps {
  calls = 0;
  private readonly held: Array<() => void> = [];
  private readonly waiting: Array<() => void> = [];

  write(fd: number, bytes: Buffer, offset: number, length: number): Promise<{ bytesWritten: number }> {
    return NODE_FILE_OPS.write(fd, bytes, offset, length);
  }

  fdatasync(fd: number): Promise<void> {
    this.calls++;
    return new Promise<void>((resolve, reject) => {
      this.held.push(() => void NODE_FILE_OPS.fdatasync(fd).then(resolve, reject));
      for (const wake of this.waiting.splice(0)) wake();
    });
  }

  /** Resolves once an fdatasync is being held; fails when none comes, as when the fsync was removed. */
  async requested(): Promise<void> {
    if (this.held.length > 0) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      new Promise<void>((resolve) => this.waiting.push(resolve)),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('the journal never called fdatasync')), 5000);
      }),
    ]).finally(() => clearTimeout(timer));
  }

  /** Lets every held fdatasync run, so a failed test still closes its journal. */
  releaseAll(): void {
    while (this.held.length > 0) this.release();
  }

  /** Lets the oldest held fdatasync run. */
  release(): void {
    const next = this.held.shift();
    assert.ok(next, 'no fdatasync is waiting to be released');
    next();
  }
}

interface Tracked<T> {
  readonly promise: Promise<T>;
  settled: boolean;
}

function track<T>(promise: Promise<T>): Tracked<T> {
  const tracked: Tracked<T> = { promise, settled: false };
  promise.then(
    () => (tracked.settled = true),
    () => (tracked.settled = true),
  );
  return tracked;
}

/** Lets the event loop run: every reply that does not wait for the disk settles within these turns. */
async function turns(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
  await new Promise((resolve) => setTimeout(resolve, 20));
}

async function assertHeld(replies: Record<string, Tracked<unknown>>): Promise<void> {
  await turns();
  for (const [what, reply] of Object.entries(replies)) assert.equal(reply.settled, false, `${what} answered before its journal record was synced`);
}

function journalSize(dataDir: string): number {
  return statSync(join(dataDir, JOURNAL_FILE)).size;
}

/** Runs a command whose record is the only one pending: held until its sync, which follows its write, is released. */
async function durablyOnce<T>(disk: HeldSyncs, dataDir: string, command: () => Promise<T>, others: () => Record<string, Tracked<unknown>> = () => ({})): Promise<T> {
  const before = journalSize(dataDir);
  const syncsBefore = disk.calls;
  const reply = track(command());
  await disk.requested();
  assert.ok(journalSize(dataDir) > before, 'the record was written before the sync that makes it durable');
  const reads = others();
  await assertHeld({ reply, ...reads });
  disk.release();
  const value = await reply.promise;
  await Promise.all(Object.values(reads).map((read) => read.promise));
  assert.equal(disk.calls, syncsBefore + 1, 'one fdatasync covered the command');
  return value;
}

describe('embedded ledger: no reply before its journal record is synced', () => {
  const ledgers: EmbeddedLedger[] = [];
  const disks: HeldSyncs[] = [];
  after(async () => {
    for (const disk of disks) disk.releaseAll();
    for (const ledger of ledgers) await ledger.close().catch(() => {});
  });

  function open(): { ledger: EmbeddedLedger; disk: HeldSyncs; dataDir: string } {
    const dataDir = tempDir('spike-durability-');
    const disk = new HeldSyncs();
    const ledger = EmbeddedLedger.open({ dataDir, fsync: 'batch', fileOps: disk });
    ledgers.push(ledger);
    disks.push(disk);
    return { ledger, disk, dataDir };
  }

  const spec: SaleSpec = { id: 'dur', name: 'dur', total: 3, perUserLimit: 1, holdSeconds: 60, opensAt: null, closesAt: null };

  it('create, reserve, pay, cancel and expiry each wait for the fdatasync of their record, and so do the reads and replays that would reveal it', async () => {
    const { ledger, disk, dataDir } = open();
    assert.notEqual(await durablyOnce(disk, dataDir, () => ledger.createSale(spec, T)), null);

    const reserve = (userId: string, now = T) => ledger.reserve({ saleId: 'dur', userId, requestKey: `k:${userId}`, orderId: `dur.${userId}`, now });
    const outcome = await durablyOnce(
      disk,
      dataDir,
      () => reserve('alice'),
      () => ({
        // Issued after the reservation is in memory but before it is on disk: each would reveal it.
        'a replay of the same request key': track(reserve('alice')),
        'a read of the sold count': track(ledger.getSale('dur')),
        'the audit': track(ledger.audit('dur')),
        'findByRequestKey': track(ledger.findByRequestKey('dur', 'k:alice')),
        'getOrder': track(ledger.getOrder('dur.alice')),
      }),
    );
    assert.equal(outcome.kind, 'reserved');
    assert.equal((await durablyOnce(disk, dataDir, () => ledger.reserve({ saleId: 'dur', userId: 'bob', requestKey: 'k:late', orderId: 'dur.late', now: T }))).kind, 'reserved');
    assert.equal((await ledger.getSale('dur'))!.sold, 2);

    const paid = await durablyOnce(disk, dataDir, () => ledger.pay('dur.alice', 'alice', T + 1), () => ({ 'a read of the order': track(ledger.getOrder('dur.alice')) }));
    assert.equal(paid.kind, 'paid');
    assert.equal((await durablyOnce(disk, dataDir, () => ledger.cancel('dur.late', 'bob', T + 2))).kind, 'cancelled');
    await durablyOnce(disk, dataDir, () => reserve('carol'));
    assert.equal(await durablyOnce(disk, dataDir, () => ledger.expireHolds('dur', T + 60_000, 10)), 1);
    // A command that changes nothing writes nothing and needs no sync.
    assert.equal((await ledger.pay('dur.alice', 'alice', T + 3)).kind, 'already_paid');
  });

  it('a command that joins the next batch waits for that batch, not the one in flight', async () => {
    const { ledger, disk } = open();
    const created = track(ledger.createSale(spec, T));
    await disk.requested();
    disk.release();
    await created.promise;

    const first = track(ledger.reserve({ saleId: 'dur', userId: 'alice', requestKey: 'k:a', orderId: 'dur.a', now: T }));
    await disk.requested();
    // The first batch's sync is held; this one is appended behind it.
    const second = track(ledger.reserve({ saleId: 'dur', userId: 'bob', requestKey: 'k:b', orderId: 'dur.b', now: T }));
    const count = track(ledger.getSale('dur'));
    await assertHeld({ first, second, count });
    disk.release();
    assert.equal(((await first.promise) as ReserveOutcome).kind, 'reserved');
    await assertHeld({ second, 'a count that includes the second reservation': count });
    await disk.requested();
    disk.release();
    assert.equal(((await second.promise) as ReserveOutcome).kind, 'reserved');
    assert.equal((await count.promise)!.sold, 2);
    assert.equal(disk.calls, 3);
  });

  it('a journal reopened after the held syncs returned holds every answered order', async () => {
    const { ledger, disk, dataDir } = open();
    await durablyOnce(disk, dataDir, () => ledger.createSale(spec, T));
    const reserved = await durablyOnce(disk, dataDir, () => ledger.reserve({ saleId: 'dur', userId: 'alice', requestKey: 'k:a', orderId: 'dur.a', now: T }));
    await ledger.close();
    const reopened = EmbeddedLedger.open({ dataDir, fsync: 'batch' });
    ledgers.push(reopened);
    assert.deepEqual(await reopened.getOrder('dur.a'), (reserved as { order: Order }).order);
  });
});
