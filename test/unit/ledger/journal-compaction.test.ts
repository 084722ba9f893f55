// Journal compaction: churn, compact, restart, and the ledger is exactly what
// it was, whatever it holds (holds, payments, cancellations, expiries, tickets,
// check-ins, a sale changed and closed, a retired one, a waiting room, a
// trimmed feed); and a compaction stopped at any step (as a crash would stop
// it) loses nothing and applies nothing twice. In-process, real files.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { newOrderId } from '../../../src/inventory/order-ids';
import { EmbeddedLedger } from '../../../src/ledger/embedded/embedded-ledger';
import { SNAPSHOT_FILE } from '../../../src/ledger/embedded/journal/journal';
import { compactFiles } from '../../../src/ledger/embedded/snapshot/compact-files';
import type { Order } from '../../../src/ledger';
import { tempDir } from '../../helpers/temp-dir';

const T0 = Date.UTC(2030, 0, 1);
const admission = { mode: 'queue', admitPerSecond: 100, overAdmit: 1.2, passSeconds: 60, difficulty: 0, maxDifficulty: 0, shuffleKey: 'cd'.repeat(32) } as const;
const FEED_MAX = 40;

function open(dataDir: string): EmbeddedLedger {
  return EmbeddedLedger.open({ dataDir, fsync: 'batch', feedMaxEvents: FEED_MAX });
}

let seq = 0;
async function buy(ledger: EmbeddedLedger, saleId: string, userId: string, now: number): Promise<Order> {
  const outcome = await ledger.reserve({ saleId, userId, requestKey: `k:${saleId}:${seq++}`, orderId: newOrderId(saleId), now });
  assert.equal(outcome.kind, 'reserved', JSON.stringify(outcome));
  return (outcome as { order: Order }).order;
}

/** Churn of every kind: what a compaction has to carry over. */
async function churn(ledger: EmbeddedLedger, round: number): Promise<void> {
  const t = T0 + round * 100_000;
  const live = `live${round}`;
  await ledger.createSale({ id: live, name: live, total: 100, perUserLimit: 2, holdSeconds: 60, opensAt: null, closesAt: null, maxCancelsPerBuyer: 2 }, t);
  for (let i = 0; i < 120; i++) {
    const order = await buy(ledger, live, `u${i % 60}`, t + i);
    const fate = i % 4;
    if (fate === 0) await ledger.pay(order.orderId, order.userId, t + i + 1);
    else if (fate === 1) await ledger.cancel(order.orderId, i % 8 === 1 ? null : order.userId, t + i + 1);
    else if (fate === 2) assert.equal((await ledger.pay(order.orderId, order.userId, t + i + 60_001)).kind, 'expired');
    // fate 3: left held
  }
  await ledger.issueTickets(live, t + 500, 7);
  const paid = (await ledger.listOrders(live, { state: 'paid', limit: 100 })).orders;
  for (const order of paid.slice(0, 2)) assert.equal((await ledger.checkIn({ orderId: order.orderId, userId: order.userId, gate: 'north', now: t + 600 })).kind, 'admitted');
  await ledger.updateSale(live, { name: `live ${round} (moved)`, holdSeconds: 30 }, t + 700);

  const old = `old${round}`;
  await ledger.createSale({ id: old, name: old, total: 5, perUserLimit: 1, holdSeconds: 0, opensAt: null, closesAt: null }, t);
  await buy(ledger, old, 'x', t + 1);
  await ledger.closeSale(old, t + 2);
  if (round % 2 === 0) {
    const mark = (await ledger.feedMark(old))!;
    assert.equal((await ledger.retireSale(old, mark, t + 2, t + 3)).kind, 'retired');
  }

  // A train: its seat map is derived from its orders' trips at load, so trips must survive a snapshot.
  const tr = `train${round}`;
  await ledger.createTrain({ id: tr, name: tr, stations: ['A', 'B', 'C', 'D', 'E'], seats: 3, perUserLimit: 9, holdSeconds: 60, opensAt: null, closesAt: null }, t);
  for (let i = 0; i < 12; i++) {
    const from = i % 4;
    const to = from + 1 + (i % (4 - from));
    const outcome = await ledger.reserveTrip({ saleId: tr, userId: `r${i % 5}`, requestKey: `k:${tr}:${i}`, orderId: newOrderId(tr), now: t + i, from, to });
    if (outcome.kind !== 'reserved') continue;
    if (i % 3 === 0) await ledger.pay(outcome.order.orderId, outcome.order.userId, t + i + 1);
    else if (i % 3 === 1) await ledger.cancel(outcome.order.orderId, null, t + i + 1);
  }

  const q = `queue${round}`;
  await ledger.createSale({ id: q, name: q, total: 5, perUserLimit: 1, holdSeconds: 60, opensAt: t + 1000, closesAt: null, admission }, t);
  for (let i = 0; i < 6; i++) await ledger.joinQueue({ saleId: q, userId: `p${i}`, now: t + 10, challengeId: `c${round}-${i}`, challengeExpiresAt: t + 1e11 });
  await ledger.advanceQueue(q, t + 1050);
  await ledger.reserve({ saleId: q, userId: 'p1', requestKey: `k:q:${round}`, orderId: newOrderId(q), now: t + 1060, pass: { place: 1, expiresAt: t + 60_000 } });
}

/** Everything a client or the diagnostics can read, per sale. */
async function fingerprint(ledger: EmbeddedLedger): Promise<unknown> {
  const out: Record<string, unknown> = {};
  for (const saleId of (await ledger.saleIds()).sort()) {
    const orders: Order[] = [];
    let cursor: string | null = null;
    do {
      const page = await ledger.listOrders(saleId, { cursor, limit: 1000 });
      orders.push(...page.orders);
      cursor = page.cursor;
    } while (cursor !== null);
    out[saleId] = {
      sale: await ledger.getSale(saleId),
      audit: await ledger.audit(saleId),
      tickets: await ledger.ticketCounts(saleId),
      // All but holdIndex, an index's size with stale entries that any restart (compacted or not) drops.
      figures: { ...ledger.diagnostics.saleFigures(saleId), holdIndex: undefined },
      orders,
      feed: await ledger.readFeed(saleId, null, 100_000),
      mark: await ledger.feedMark(saleId),
      queue: await ledger.advanceQueue(saleId, T0 + 10_000_000),
      seats: await ledger.segmentAvailability(saleId),
      trainAudit: await ledger.auditTrain(saleId),
      trips: await Promise.all([[0, 4], [0, 1], [1, 3], [3, 4]].map(([from, to]) => ledger.tripAvailability(saleId, from!, to!, T0))),
    };
  }
  return out;
}

/** What only the ledger's rules show: a request key replays, a spent challenge and pass stay spent, a buyer's cancellations still count. */
async function probes(ledger: EmbeddedLedger): Promise<unknown> {
  const t = T0 + 50_000_000;
  return {
    join: await ledger.joinQueue({ saleId: 'queue0', userId: 'newcomer', now: t, challengeId: 'c0-3', challengeExpiresAt: t + 1 }),
    pass: (await ledger.reserve({ saleId: 'queue0', userId: 'p2', requestKey: 'k:probe', orderId: 'queue0.probe', now: T0 + 1070, pass: { place: 1, expiresAt: T0 + 60_000 } })).kind,
    limit: (await ledger.reserve({ saleId: 'live0', userId: 'u3', requestKey: 'k:probe2', orderId: 'live0.probe', now: t })).kind,
    replay: (await ledger.reserve({ saleId: 'live0', userId: 'u0', requestKey: 'k:live0:0', orderId: 'live0.other', now: t })).kind,
    // Every free seat-segment sells, and no taken one: the trip A->E until the train refuses it.
    trips: await (async () => {
      const kinds: string[] = [];
      for (let i = 0; i < 4; i++) kinds.push((await ledger.reserveTrip({ saleId: 'train0', userId: `probe${i}`, requestKey: `k:probe-trip:${i}`, orderId: `train0.probe${i}`, now: T0 + 2000, from: 0, to: 4 })).kind);
      return kinds;
    })(),
  };
}

describe('journal compaction', () => {
  it('churn, compact, churn, restart: every sale, order, feed event and rule is exactly as before; the restart loads a snapshot and a short tail', async () => {
    const dataDir = tempDir('spike-compact-');
    let ledger = open(dataDir);
    for (let round = 0; round < 3; round++) await churn(ledger, round);
    const journalBefore = statSync(join(dataDir, 'ledger.journal')).size;
    const result = (await ledger.compactor.compact())!;
    assert.ok(result, 'the compaction ran');
    assert.equal(result.segmentsFolded, 1);
    assert.ok(result.snapshotBytes < journalBefore, `snapshot ${result.snapshotBytes} B < journal ${journalBefore} B`);
    assert.ok(!readdirSync(dataDir).some((name) => name.endsWith('.segment') || name.endsWith('.tmp')), readdirSync(dataDir).join(', '));
    // The tail: more churn after the compaction, in the fresh journal.
    await churn(ledger, 3);
    const before = await fingerprint(ledger);
    await ledger.close();

    ledger = open(dataDir);
    assert.ok(ledger.diagnostics.replay.snapshotRecords > 0, 'a snapshot was loaded');
    assert.ok(ledger.diagnostics.replay.bytes < journalBefore, 'only the tail was replayed');
    assert.deepEqual(await fingerprint(ledger), before);
    const afterProbes = await probes(ledger);
    await ledger.close();
    const { trips, ...rules } = afterProbes as { trips: string[] };
    assert.deepEqual(rules, { join: { kind: 'challenge_used' }, pass: 'pass_used', limit: 'limit_reached', replay: 'replayed' });
    // As many A->E trips sell as the snapshot's seat map had free for it, then the train refuses.
    const free = (before as Record<string, { trips: number[] }>).train0!.trips[0]!;
    assert.ok(free < 3, `held and paid trips take seats on A->E (${free} of 3 free), so a seat map rebuilt empty would sell more`);
    assert.deepEqual(trips, [...Array(free).fill('reserved'), ...Array(4 - free).fill('sold_out')]);

    // A second compaction folds the first snapshot and the tail into the next; a restart still reads the same.
    ledger = open(dataDir);
    const second = (await ledger.compactor.compact())!;
    assert.equal(second.gen, result.gen + 1);
    const again = await fingerprint(ledger);
    await ledger.close();
    ledger = open(dataDir);
    assert.equal(ledger.diagnostics.replay.records, 0, 'nothing left to replay');
    assert.deepEqual(await fingerprint(ledger), again);
    await ledger.close();
  });

  for (const stopAt of ['before-rename', 'after-rename'] as const) {
    it(`a compaction stopped ${stopAt.replace('-', ' the ')} (a crash) loses nothing and applies nothing twice`, async () => {
      const dataDir = tempDir('spike-compact-crash-');
      let ledger = open(dataDir);
      await churn(ledger, 0);
      assert.ok(await ledger.compactor.compact(), 'a first snapshot');
      await churn(ledger, 1);
      // The rotation the compactor would make, then the compaction thread's work, stopped where a crash could stop it.
      const gen = await (ledger as unknown as { journal: { rotate(): Promise<number> } }).journal.rotate();
      await churn(ledger, 2);
      const before = await fingerprint(ledger);
      await ledger.close();
      const segments = readdirSync(dataDir).filter((name) => name.endsWith('.segment'));
      assert.equal(segments.length, 1);
      compactFiles({ dataDir, gen, segments: segments.map((name) => join(dataDir, name)), feedMaxEvents: FEED_MAX, stopAt });
      assert.equal(existsSync(join(dataDir, `${SNAPSHOT_FILE}.tmp`)), stopAt === 'before-rename');

      ledger = open(dataDir);
      assert.deepEqual(await fingerprint(ledger), before);
      // The start finished what the crash interrupted: the leftover segment is folded in or removed.
      await (async () => {
        for (const deadline = Date.now() + 10_000; ledger.compactor.busy && Date.now() < deadline; ) await new Promise((resolve) => setTimeout(resolve, 10));
      })();
      assert.ok(!readdirSync(dataDir).some((name) => name.endsWith('.segment') || name.endsWith('.tmp')), readdirSync(dataDir).join(', '));
      await churn(ledger, 3);
      const after = await fingerprint(ledger);
      await ledger.close();
      ledger = open(dataDir);
      assert.deepEqual(await fingerprint(ledger), after);
      await ledger.close();
    });
  }

  it('writes the snapshot a few bytes at a time, each part synced, and loses nothing', async () => {
    const dataDir = tempDir('spike-compact-paced-');
    let ledger = open(dataDir);
    await churn(ledger, 0);
    const gen = await (ledger as unknown as { journal: { rotate(): Promise<number> } }).journal.rotate();
    const before = await fingerprint(ledger);
    await ledger.close();
    const segments = readdirSync(dataDir).filter((name) => name.endsWith('.segment'));
    const everyBytes = 1024;
    const result = compactFiles({ dataDir, gen, segments: segments.map((name) => join(dataDir, name)), feedMaxEvents: FEED_MAX, pacing: { everyBytes, pauseMs: 1 } });
    assert.ok(result.snapshotBytes > 4 * everyBytes, `a snapshot of several parts (${result.snapshotBytes} bytes)`);
    // A sync once at least everyBytes went out since the last (a large record is written whole), so several here, never more than the bytes allow.
    assert.ok(result.syncs >= 2 && result.syncs <= Math.floor(result.snapshotBytes / everyBytes), `${result.syncs} syncs for ${result.snapshotBytes} bytes`);
    ledger = open(dataDir);
    assert.deepEqual(await fingerprint(ledger), before);
    await ledger.close();
  });

  it('compacts by itself once the active journal passes the threshold', async () => {
    const dataDir = tempDir('spike-compact-auto-');
    const lines: string[] = [];
    let ledger = EmbeddedLedger.open({ dataDir, fsync: 'batch', feedMaxEvents: FEED_MAX, compactBytes: 5_000, log: (line) => lines.push(line), warn: (line) => lines.push(line) });
    await churn(ledger, 0);
    for (const deadline = Date.now() + 10_000; (ledger.compactor.completed === 0 || ledger.compactor.busy) && Date.now() < deadline; ) await new Promise((resolve) => setTimeout(resolve, 10));
    assert.ok(ledger.compactor.completed >= 1, `a compaction ran: ${lines.join('\n')}`);
    const before = await fingerprint(ledger);
    await ledger.close();
    ledger = open(dataDir);
    assert.deepEqual(await fingerprint(ledger), before);
    await ledger.close();
  });

  for (const [label, path, warnings] of [
    ['with chrt on PATH, lowers it and says nothing', process.env.PATH, 0],
    ['without chrt, warns once however many compactions run', '/nonexistent', 1],
  ] as const) {
    it(`runs its thread at JOURNAL_COMPACT_NICE=idle: ${label}`, async () => {
      const warned: string[] = [];
      const ledger = EmbeddedLedger.open({ dataDir: tempDir('spike-compact-nice-'), fsync: 'batch', feedMaxEvents: FEED_MAX, compactPriority: 'idle', warn: (line) => warned.push(line) });
      const saved = process.env.PATH;
      try {
        for (let round = 0; round < 2; round++) {
          await churn(ledger, round);
          // A worker thread copies the environment when it starts, inside compact().
          process.env.PATH = path;
          const result = await ledger.compactor.compact();
          process.env.PATH = saved;
          assert.ok(result, `compaction ${round + 1} ran: ${warned.join('\n')}`);
        }
      } finally {
        process.env.PATH = saved;
        await ledger.close();
      }
      assert.equal(warned.length, warnings, warned.join('\n'));
      for (const line of warned) assert.match(line, /journal compaction: its thread could not lower its CPU priority to JOURNAL_COMPACT_NICE=idle \(SCHED_IDLE is set with util-linux's chrt/);
    });
  }
});
