// The proof of work's difficulty rises with the join rate (mCaptcha's idea):
// one bit more per doubling above JOINS_PER_EXTRA_BIT joins a second, up to
// the sale's maxDifficulty. The rule alone, and then a worker's challenge
// reading the join rate its line board measured, and the raised difficulty
// holding when a solution comes back.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkSolution, difficultyFor, JOINS_PER_EXTRA_BIT, leadingZeroBits, powHash, solve } from '../../../src/admission/proof-of-work';
import { WorkerAdmission } from '../../../src/admission/worker-admission';
import type { Ledger, QueueStatus, Sale } from '../../../src/ledger';

describe('proof-of-work difficulty by join rate', () => {
  it('adds one bit per doubling above the threshold, capped at maxDifficulty; a sale without proof of work stays without', () => {
    const at = (rate: number) => difficultyFor(16, 22, rate);
    assert.equal(at(0), 16);
    assert.equal(at(JOINS_PER_EXTRA_BIT), 16, 'at the threshold: the base');
    assert.equal(at(JOINS_PER_EXTRA_BIT + 1), 17);
    assert.equal(at(2 * JOINS_PER_EXTRA_BIT - 1), 17);
    assert.equal(at(2 * JOINS_PER_EXTRA_BIT), 18);
    assert.equal(at(4 * JOINS_PER_EXTRA_BIT), 19);
    assert.equal(at(1_000_000), 22, 'capped at maxDifficulty');
    assert.equal(difficultyFor(16, 10, 1_000_000), 16, 'a maxDifficulty below the base leaves the base');
    assert.equal(difficultyFor(0, 22, 1_000_000), 0, 'difficulty 0 turns proof of work off, whatever the rate');
  });

  it("a worker's challenge carries the difficulty of the join rate it measured, and a solution to the base difficulty alone is refused", () => {
    const admission = new WorkerAdmission({} as Ledger, { secret: 'a-secret-of-at-least-16', rateLimitPerSecond: 0, rateLimitBurst: 1, challengeTtlMs: 60_000 });
    const sale = { id: 'S1', admission: { mode: 'queue', admitPerSecond: 10, overAdmit: 1.2, passSeconds: 60, difficulty: 4, maxDifficulty: 12, shuffleKey: 'ab'.repeat(32) } } as unknown as Sale;
    const status = (at: number, post: number): QueueStatus => ({ saleId: 'S1', serving: 0, pre: 0, post, drawn: true, expiredBelow: 0, total: 100, sold: 0, paid: 0, at });
    const start = 1_800_000_000_000;
    assert.equal(admission.challenge(sale, start).difficulty, 4, 'no line figures yet: the base');
    admission.board.update(status(start, 0), 10_000);
    admission.board.update(status(start + 1000, 5 * JOINS_PER_EXTRA_BIT), 10_000);
    const now = start + 1000;
    const challenge = admission.challenge(sale, now);
    assert.equal(challenge.difficulty, 7, '5x the threshold: 4 + 3 bits');
    const nonce = solve(challenge.challenge, 7);
    assert.equal(checkSolution(admission.tokens.challenges, 'S1', challenge.challenge, nonce, now).expiresAt, challenge.expiresAt);
    // A nonce that meets the base difficulty (4 bits) but not the raised one (7).
    let weak = '';
    for (let i = 0; weak === ''; i++) {
      const bits = leadingZeroBits(powHash(challenge.challenge, `w${i}`));
      if (bits >= 4 && bits < 7) weak = `w${i}`;
    }
    assert.throws(() => checkSolution(admission.tokens.challenges, 'S1', challenge.challenge, weak, now), (error: Error & { code?: string }) => error.code === 'pow_invalid');
  });
});
