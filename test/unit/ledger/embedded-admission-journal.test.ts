// The embedded ledger's waiting room survives a restart from its journal:
// every place in line, the serving counter, spent passes and spent
// proof-of-work challenges. In-process, no Redis, no child processes.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { newOrderId } from '../../../src/inventory/order-ids';
import { EmbeddedLedger } from '../../../src/ledger/embedded/embedded-ledger';
import { decodeEvent, encodeEvent } from '../../../src/ledger/embedded/journal/journal-events';
import { tempDir } from '../../helpers/temp-dir';

const T0 = Date.UTC(2030, 0, 1);
const admission = { mode: 'queue', admitPerSecond: 100, overAdmit: 1.2, passSeconds: 60, difficulty: 0, maxDifficulty: 0, shuffleKey: 'ab'.repeat(32) } as const;

it('a restart brings back every join, the serving counter, spent passes and spent challenges', async () => {
  const dataDir = tempDir('spike-embedded-');
  let ledger = EmbeddedLedger.open({ dataDir, fsync: 'batch' });
  await ledger.createSale({ id: 'q1', name: 'Q1', total: 5, perUserLimit: 1, holdSeconds: 60, opensAt: T0, closesAt: null, admission }, 1000);
  for (let i = 0; i < 8; i++) await ledger.joinQueue({ saleId: 'q1', userId: `p${i}`, now: T0 - 1000, challengeId: `c${i}`, challengeExpiresAt: T0 + 120_000 });
  for (let i = 0; i < 3; i++) await ledger.joinQueue({ saleId: 'q1', userId: `l${i}`, now: T0 + 10 });
  const moved = (await ledger.advanceQueue('q1', T0 + 50))!;
  assert.equal(moved.serving, 5);
  const bought = await ledger.reserve({ saleId: 'q1', userId: 'p3', requestKey: 'k:1', orderId: newOrderId('q1'), now: T0 + 60, pass: { place: 2, expiresAt: T0 + 60_000 } });
  assert.equal(bought.kind, 'reserved');
  await ledger.close();

  ledger = EmbeddedLedger.open({ dataDir, fsync: 'batch' });
  assert.deepEqual((await ledger.getSale('q1'))!.admission, admission);
  assert.deepEqual(await ledger.joinQueue({ saleId: 'q1', userId: 'p5', now: T0 + 100 }), { kind: 'rejoined', pre: 1, number: 5 });
  assert.deepEqual(await ledger.joinQueue({ saleId: 'q1', userId: 'l2', now: T0 + 100 }), { kind: 'rejoined', pre: 0, number: 2 });
  assert.deepEqual(await ledger.joinQueue({ saleId: 'q1', userId: 'new', now: T0 + 100, challengeId: 'c4', challengeExpiresAt: T0 + 120_000 }), { kind: 'challenge_used' });
  assert.deepEqual(await ledger.reserve({ saleId: 'q1', userId: 'p4', requestKey: 'k:2', orderId: newOrderId('q1'), now: T0 + 100, pass: { place: 2, expiresAt: T0 + 60_000 } }), { kind: 'pass_used' });
  const status = (await ledger.advanceQueue('q1', T0 + 50))!;
  assert.deepEqual([status.serving, status.pre, status.post, status.drawn, status.sold], [5, 8, 3, true, 1]);
  await ledger.close();
});

it('journal lines of the waiting room round-trip, and a sale line without admission still decodes', () => {
  const events = [
    { type: 'sale_created', id: 'q', name: 'q', total: 1, perUserLimit: 1, holdSeconds: 0, opensAt: 5, closesAt: null, createdAt: 1, anonymous: false, admission },
    { type: 'ticket_reserved', saleId: 'q', userId: 'u', requestKey: 'k:1', orderId: 'q.1', createdAt: 2, passPlace: 9 },
    { type: 'queue_joined', saleId: 'q', userId: 'u', pre: true, number: 4, at: 3, challengeId: 'c', challengeExpiresAt: 99 },
    { type: 'queue_joined', saleId: 'q', userId: 'v', pre: false, number: 0, at: 3 },
    { type: 'queue_advanced', saleId: 'q', serving: 3, lastAt: 7, expiredBelow: 1, drawn: true, at: 8 },
  ] as const;
  for (const event of events) assert.deepEqual(decodeEvent(encodeEvent(event)), event);
  assert.equal('admission' in decodeEvent('["S","o","o",1,1,null,null,1,0]'), false);
});
