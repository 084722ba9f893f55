// The embedded ledger's decisions over a state built from events alone (no
// journal, no I/O): boundaries, the order of checks, that deciding changes
// nothing, and that applying re-checks what a journal could get wrong.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { applyEvent } from '../../../src/ledger/embedded/apply-event';
import { decideCancel, decideExpireHolds, decideJoinQueue, decidePay, decideReserve, type Decision } from '../../../src/ledger/embedded/decisions';
import type { JournalEvent } from '../../../src/ledger/embedded/journal/journal-events';
import { saleFigures } from '../../../src/ledger/embedded/queries';
import { emptyState, type LedgerState } from '../../../src/ledger/embedded/state';

const T = 1_000_000;

function stateWith(sale: Partial<{ total: number; perUserLimit: number; holdSeconds: number; opensAt: number | null; closesAt: number | null }> = {}): LedgerState {
  const state = emptyState();
  applyEvent(state, { type: 'sale_created', id: 's', name: 's', total: 2, perUserLimit: 1, holdSeconds: 60, opensAt: null, closesAt: null, createdAt: T, ...sale });
  return state;
}

/** Decides and applies, as the ledger does. */
function run<R>(state: LedgerState, decision: Decision<R>): R {
  for (const event of decision.events) applyEvent(state, event);
  return decision.result;
}

const reserve = (state: LedgerState, userId: string, key = `k:${userId}`, now = T) => decideReserve(state, { saleId: 's', userId, requestKey: key, orderId: `s.${key}`, now });

describe('decideReserve', () => {
  it('sells exactly total, one per buyer, then sold_out', () => {
    const state = stateWith({ total: 2 });
    assert.equal(run(state, reserve(state, 'a')).kind, 'reserved');
    assert.deepEqual(run(state, reserve(state, 'a', 'k:a2')), { kind: 'limit_reached', perUserLimit: 1 });
    const second = run(state, reserve(state, 'b'));
    assert.equal(second.kind === 'reserved' && second.sold, 2);
    assert.deepEqual(run(state, reserve(state, 'c')), { kind: 'sold_out', total: 2, nextReleaseAt: T + 60_000 }, 'the earliest hold runs out then');
    assert.equal(saleFigures(state, 's')!.sold, 2);
  });

  it('a total of 0 is sold out from the start; a replay beats every refusal', () => {
    const empty = stateWith({ total: 0 });
    assert.deepEqual(reserve(empty, 'a').result, { kind: 'sold_out', total: 0, nextReleaseAt: 0 });
    const state = stateWith({ total: 1, closesAt: T + 10 });
    const first = run(state, reserve(state, 'a'));
    assert.equal(first.kind, 'reserved');
    // Sold out and closed since: the same key still gets its order back, another buyer's use of it does not.
    assert.equal(reserve(state, 'a', 'k:a', T + 20).result.kind, 'replayed');
    assert.deepEqual(reserve(state, 'z', 'k:a', T + 20).result, { kind: 'key_reused' });
  });

  it('checks the window before the stock, and closed before not-open', () => {
    assert.deepEqual(reserve(stateWith({ opensAt: T + 1 }), 'a').result, { kind: 'not_open', opensAt: T + 1 });
    assert.equal(reserve(stateWith({ opensAt: T }), 'a').result.kind, 'reserved', 'open at opensAt');
    assert.deepEqual(reserve(stateWith({ closesAt: T }), 'a').result, { kind: 'closed', closesAt: T }, 'closed at closesAt');
    assert.deepEqual(reserve(stateWith({ opensAt: T + 5, closesAt: T - 5 }), 'a').result, { kind: 'closed', closesAt: T - 5 });
    assert.deepEqual(reserve(stateWith({ total: 0, closesAt: T }), 'a').result, { kind: 'closed', closesAt: T });
  });

  it('holdSeconds 0 sells final at once; otherwise a hold with its expiry', () => {
    const final = stateWith({ holdSeconds: 0 });
    const paid = run(final, reserve(final, 'a'));
    assert.ok(paid.kind === 'reserved' && paid.order.state === 'paid' && paid.order.expiresAt === null);
    assert.equal(saleFigures(final, 's')!.paid, 1);
    const held = stateWith({ holdSeconds: 60 });
    const hold = run(held, reserve(held, 'a'));
    assert.ok(hold.kind === 'reserved' && hold.order.state === 'reserved' && hold.order.expiresAt === T + 60_000);
  });

  it('deciding changes nothing until the events are applied', () => {
    const state = stateWith();
    const before = JSON.stringify(saleFigures(state, 's'));
    reserve(state, 'a');
    reserve(state, 'b');
    assert.equal(JSON.stringify(saleFigures(state, 's')), before);
  });

  it('an unknown sale is not_found', () => assert.deepEqual(decideReserve(emptyState(), { saleId: 'x', userId: 'a', requestKey: 'k', orderId: 'x.1', now: T }).result, { kind: 'not_found' }));
});

describe('decidePay and decideCancel', () => {
  function held() {
    const state = stateWith({ total: 1, holdSeconds: 1 });
    const r = run(state, reserve(state, 'a'));
    assert.equal(r.kind, 'reserved');
    return { state, orderId: 's.k:a' };
  }

  it('pay: only the buyer or an admin; twice replays; after expiresAt it expires and returns the stock', () => {
    let { state, orderId } = held();
    assert.deepEqual(decidePay(state, orderId, 'mallory', T).result, { kind: 'forbidden' });
    assert.equal(run(state, decidePay(state, orderId, null, T + 999)).kind, 'paid');
    assert.equal(decidePay(state, orderId, 'a', T + 5000).result.kind, 'already_paid', 'a paid order never expires');
    ({ state, orderId } = held());
    const late = decidePay(state, orderId, 'a', T + 1000);
    assert.equal(late.result.kind, 'expired');
    assert.equal(late.stockReturned, 's');
    run(state, late);
    assert.equal(saleFigures(state, 's')!.sold, 0);
    assert.equal(decidePay(state, orderId, 'a', T + 2000).stockReturned, undefined, 'expired once, released once');
  });

  it('cancel: releases once; an expired or paid order is never released again', () => {
    const { state, orderId } = held();
    const cancel = decideCancel(state, orderId, 'a', T + 10);
    assert.equal(cancel.stockReturned, 's');
    run(state, cancel);
    assert.equal(decideCancel(state, orderId, 'a', T + 20).result.kind, 'already_cancelled');
    assert.equal(decideCancel(state, orderId, 'a', T + 20).events.length, 0);
    const late = held();
    run(late.state, decideExpireHolds(late.state, 's', T + 1000, 10));
    const again = decideCancel(late.state, late.orderId, 'a', T + 2000);
    assert.equal(again.result.kind, 'expired');
    assert.equal(again.events.length, 0, 'an expired order is not released a second time');
    assert.equal(saleFigures(late.state, 's')!.sold, 0);
  });

  it('unknown orders are not_found', () => {
    const state = stateWith();
    assert.deepEqual(decidePay(state, 's.none', 'a', T).result, { kind: 'not_found' });
    assert.deepEqual(decideCancel(state, 'nosale.x', null, T).result, { kind: 'not_found' });
  });
});

describe('decideExpireHolds', () => {
  it('releases due holds only, at most limit per call, and skips orders settled since', () => {
    const state = stateWith({ total: 5, perUserLimit: 5, holdSeconds: 1 });
    for (const user of ['a', 'b', 'c', 'd']) run(state, reserve(state, user, `k:${user}`, T));
    run(state, decidePay(state, 's.k:b', 'b', T + 10));
    assert.equal(run(state, decideExpireHolds(state, 's', T + 999, 10)), 0, 'nothing due yet');
    assert.equal(run(state, decideExpireHolds(state, 's', T + 1000, 2)), 2);
    assert.equal(run(state, decideExpireHolds(state, 's', T + 1000, 10)), 1);
    assert.equal(saleFigures(state, 's')!.sold, 1);
  });
});

describe('applyEvent re-checks the invariants a journal could break', () => {
  const reserved = (orderId: string, userId: string): JournalEvent => ({ type: 'ticket_reserved', saleId: 's', userId, requestKey: `k:${orderId}`, orderId, createdAt: T });
  it('refuses to oversell', () => {
    const state = stateWith({ total: 1 });
    applyEvent(state, reserved('s.1', 'a'));
    assert.throws(() => applyEvent(state, reserved('s.2', 'b')), /would oversell sale "s": 1 of 1 tickets are already taken/);
  });
  it("refuses a buyer over the sale's limit", () => {
    const state = stateWith({ total: 5, perUserLimit: 1 });
    applyEvent(state, reserved('s.1', 'a'));
    assert.throws(() => applyEvent(state, reserved('s.2', 'a')), /over its perUserLimit of 1/);
  });
  it('refuses a second transition of one order', () => {
    const state = stateWith();
    applyEvent(state, reserved('s.1', 'a'));
    applyEvent(state, { type: 'order_cancelled', orderId: 's.1', at: T });
    assert.throws(() => applyEvent(state, { type: 'order_expired', orderId: 's.1', at: T }), /cannot become expired: it is cancelled/);
  });
});

describe('decideReserve: what the mutation run found untested', () => {
  it('the purchase that takes the last ticket names the earliest pending hold; any other names none', () => {
    const state = stateWith({ total: 2 });
    const first = run(state, reserve(state, 'a', 'k:a', T));
    assert.equal(first.kind === 'reserved' && first.nextReleaseAt, 0, 'stock is left: nothing to wait for');
    const last = run(state, reserve(state, 'b', 'k:b', T + 5000));
    assert.equal(last.kind === 'reserved' && last.nextReleaseAt, T + 60_000, "a's hold runs out first");
    const final = stateWith({ total: 1, holdSeconds: 0 });
    const sold = run(final, reserve(final, 'a'));
    assert.equal(sold.kind === 'reserved' && sold.nextReleaseAt, 0, 'sold final: nothing comes back');
    const alone = stateWith({ total: 1, holdSeconds: 30 });
    const own = run(alone, reserve(alone, 'a'));
    assert.equal(own.kind === 'reserved' && own.nextReleaseAt, T + 30_000, 'its own hold');
  });

  it('a queue sale sells only with a pass that is unexpired at the instant of purchase; an open sale ignores a pass', () => {
    const state = emptyState();
    const admission = { mode: 'queue', admitPerSecond: 10, overAdmit: 1, passSeconds: 60, difficulty: 0, maxDifficulty: 0, shuffleKey: 'ab'.repeat(32) } as const;
    applyEvent(state, { type: 'sale_created', id: 'q', name: 'q', total: 5, perUserLimit: 1, holdSeconds: 60, opensAt: null, closesAt: null, createdAt: T, admission });
    const buy = (userId: string, pass?: { place: number; expiresAt: number }) => decideReserve(state, { saleId: 'q', userId, requestKey: `k:${userId}`, orderId: `q.${userId}`, now: T, ...(pass ? { pass } : {}) });
    assert.deepEqual(buy('a').result, { kind: 'pass_required' });
    assert.deepEqual(buy('a', { place: 1, expiresAt: T }).result, { kind: 'pass_expired' }, 'expired at expiresAt');
    assert.equal(run(state, buy('a', { place: 1, expiresAt: T + 1 })).kind, 'reserved');
    assert.deepEqual(buy('b', { place: 1, expiresAt: T + 1 }).result, { kind: 'pass_used' });

    const open = stateWith({ total: 1 });
    const withPass = decideReserve(open, { saleId: 's', userId: 'c', requestKey: 'k:c', orderId: 's.c', now: T, pass: { place: 3, expiresAt: T + 1 } });
    assert.equal(withPass.result.kind, 'reserved');
    assert.equal((withPass.events[0] as { passPlace?: number }).passPlace, undefined, 'no pass is spent in a sale without a line');
    run(open, withPass);
  });
});

describe('decideJoinQueue', () => {
  const admission = { mode: 'queue', admitPerSecond: 10, overAdmit: 1, passSeconds: 60, difficulty: 0, maxDifficulty: 0, shuffleKey: 'ab'.repeat(32) } as const;
  function queueSale(window: { opensAt: number | null; closesAt: number | null }): LedgerState {
    const state = emptyState();
    applyEvent(state, { type: 'sale_created', id: 'q', name: 'q', total: 5, perUserLimit: 1, holdSeconds: 60, createdAt: T, admission, ...window });
    return state;
  }
  const join = (state: LedgerState, userId: string, now: number, challengeId?: string) =>
    decideJoinQueue(state, { saleId: 'q', userId, now, ...(challengeId ? { challengeId, challengeExpiresAt: now + 1000 } : {}) });

  it('numbers the pre-queue before opening and the line after it, from opensAt on; a rejoin gets the same place', () => {
    const state = queueSale({ opensAt: T + 10, closesAt: null });
    assert.deepEqual(run(state, join(state, 'a', T + 9)), { kind: 'joined', pre: 1, number: 0 });
    assert.deepEqual(run(state, join(state, 'b', T + 9)), { kind: 'joined', pre: 1, number: 1 });
    assert.deepEqual(run(state, join(state, 'c', T + 10)), { kind: 'joined', pre: 0, number: 0 }, 'at opensAt the line, not the pre-queue');
    assert.deepEqual(join(state, 'b', T + 20).result, { kind: 'rejoined', pre: 1, number: 1 });
  });

  it('refuses a closed sale from closesAt, a spent challenge, a sale without a line and an unknown sale', () => {
    const state = queueSale({ opensAt: null, closesAt: T + 10 });
    assert.equal(run(state, join(state, 'a', T, 'ch1')).kind, 'joined');
    assert.deepEqual(join(state, 'b', T, 'ch1').result, { kind: 'challenge_used' });
    assert.equal(join(state, 'b', T, 'ch2').result.kind, 'joined');
    assert.deepEqual(join(state, 'c', T + 10).result, { kind: 'closed', closesAt: T + 10 });
    assert.deepEqual(decideJoinQueue(stateWith(), { saleId: 's', userId: 'a', now: T }).result, { kind: 'not_queue' });
    assert.deepEqual(decideJoinQueue(state, { saleId: 'nope', userId: 'a', now: T }).result, { kind: 'not_found' });
  });
});
