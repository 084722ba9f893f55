// The group commit's rules, with a stand-in for the Redis call that answers
// when the test says: a lone request goes at once, requests that come while a
// call is in flight go together as the next one, and every request gets its
// own reply or error; with a window, a sale's calls start at least that far
// apart while fewer than eight wait. Redis itself runs the batches in test/contract/redis.test.ts.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ScriptBatcher } from '../../../src/ledger/redis/script-batcher';

/** A SendBatch whose calls stay in flight until answer() or fail() settles the oldest. */
function heldSender() {
  const calls: Array<{ saleId: string; users: string[]; settle: (replies: Array<string | Error>) => void; fail: (error: Error) => void }> = [];
  const send = (saleId: string, batch: readonly string[]) =>
    new Promise<Array<string | Error>>((resolve, reject) => calls.push({ saleId, users: [...batch], settle: resolve, fail: reject }));
  return { calls, send };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('script batcher (group commit per sale)', () => {
  it('sends a lone request at once, and the requests that come meanwhile as one next call', async () => {
    const { calls, send } = heldSender();
    const batcher = new ScriptBatcher<string, string>(send, { maxBatch: 64, windowMs: 0 });
    const first = batcher.call('s', 'a');
    assert.deepEqual(calls.map((c) => c.users), [['a']]);
    const later = ['b', 'c', 'd'].map((u) => batcher.call('s', u));
    assert.equal(calls.length, 1, 'nothing more is sent while a call is in flight');
    calls[0]!.settle(['reply-a']);
    assert.equal(await first, 'reply-a');
    await settle();
    assert.deepEqual(calls.map((c) => c.users), [['a'], ['b', 'c', 'd']]);
    calls[1]!.settle(['reply-b', 'reply-c', 'reply-d']);
    assert.deepEqual(await Promise.all(later), ['reply-b', 'reply-c', 'reply-d']);
    // The lane closed: the next lone request goes at once again.
    void batcher.call('s', 'e');
    assert.deepEqual(calls.at(-1)!.users, ['e']);
  });

  it('carries at most maxBatch requests per call, the rest in the calls after, in arrival order', async () => {
    const { calls, send } = heldSender();
    const batcher = new ScriptBatcher<string, string>(send, { maxBatch: 2, windowMs: 0 });
    const all = ['a', 'b', 'c', 'd', 'e', 'f'].map((u) => batcher.call('s', u));
    for (let i = 0; calls.length > i; i++) {
      calls[i]!.settle(calls[i]!.users.map((u) => `reply-${u}`));
      await settle();
    }
    assert.deepEqual(calls.map((c) => c.users), [['a'], ['b', 'c'], ['d', 'e'], ['f']]);
    assert.deepEqual(await Promise.all(all), ['reply-a', 'reply-b', 'reply-c', 'reply-d', 'reply-e', 'reply-f']);
  });

  it('keeps one lane per sale: a sale in flight holds up no other', () => {
    const { calls, send } = heldSender();
    const batcher = new ScriptBatcher<string, string>(send, { maxBatch: 64, windowMs: 0 });
    void batcher.call('s1', 'a');
    void batcher.call('s2', 'b');
    void batcher.call('s1', 'c');
    assert.deepEqual(calls.map((c) => [c.saleId, c.users]), [['s1', ['a']], ['s2', ['b']]]);
  });

  it('gives a request its own error, the others their replies; a failed call fails its whole batch and the next one still goes', async () => {
    const { calls, send } = heldSender();
    const batcher = new ScriptBatcher<string, string>(send, { maxBatch: 64, windowMs: 0 });
    const first = batcher.call('s', 'a');
    const pair = [batcher.call('s', 'b'), batcher.call('s', 'c')];
    calls[0]!.fail(new Error('connection reset'));
    await assert.rejects(first, /connection reset/);
    await settle();
    const third = batcher.call('s', 'd');
    calls[1]!.settle(['reply-b', new Error('replicas did not confirm c')]);
    assert.equal(await pair[0], 'reply-b');
    await assert.rejects(pair[1]!, /replicas did not confirm c/);
    await settle();
    calls[2]!.settle([]);
    await assert.rejects(third, /answered 0 replies for 1 requests/);
  });

  it('refuses a maxBatch that is not a whole number of at least 1', () => {
    const { send } = heldSender();
    assert.throws(() => new ScriptBatcher(send, { maxBatch: 0, windowMs: 0 }), RangeError);
    assert.throws(() => new ScriptBatcher(send, { maxBatch: 1.5, windowMs: 0 }), RangeError);
    assert.throws(() => new ScriptBatcher(send, { maxBatch: 64, windowMs: -1 }), RangeError);
    assert.throws(() => new ScriptBatcher(send, { maxBatch: 64, windowMs: Number.NaN }), RangeError);
  });

  describe('with a window (REDIS_BATCH_WINDOW_MS)', () => {
    const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

    it('sends a lone request at once; what comes within the window after it waits the window out and goes as one call', async () => {
      const { calls, send } = heldSender();
      const sentAt: number[] = [];
      const timed = (saleId: string, batch: readonly string[]) => (sentAt.push(performance.now()), send(saleId, batch));
      const batcher = new ScriptBatcher<string, string>(timed, { maxBatch: 64, windowMs: 40 });
      const first = batcher.call('s', 'a');
      assert.deepEqual(calls.map((c) => c.users), [['a']], 'the first request of a quiet sale waits for nobody');
      calls[0]!.settle(['reply-a']);
      assert.equal(await first, 'reply-a');
      const later = ['b', 'c'].map((u) => batcher.call('s', u));
      await settle();
      assert.equal(calls.length, 1, 'the call answered, but its window has not passed');
      const third = batcher.call('s', 'd');
      await sleep(60);
      assert.deepEqual(calls.map((c) => c.users), [['a'], ['b', 'c', 'd']]);
      // Node times a timer from the event loop's clock, read once per turn in whole ms, so it can fire a
      // millisecond or more before performance.now() says the window has passed (CI saw 38.9 of 40 ms).
      assert.ok(sentAt[1]! - sentAt[0]! >= 30, `the second call started ${sentAt[1]! - sentAt[0]!} ms after the first`);
      calls[1]!.settle(['reply-b', 'reply-c', 'reply-d']);
      assert.deepEqual(await Promise.all([...later, third]), ['reply-b', 'reply-c', 'reply-d']);
    });

    it('does not wait once eight are waiting, whether they came in flight or after: such a call is worth its cost', async () => {
      const { calls, send } = heldSender();
      const batcher = new ScriptBatcher<string, string>(send, { maxBatch: 64, windowMs: 200 });
      const users = (from: number, count: number) => Array.from({ length: count }, (_, i) => `u${from + i}`);
      void batcher.call('s', 'a');
      for (const u of users(0, 8)) void batcher.call('s', u);
      calls[0]!.settle(['reply-a']);
      await settle();
      assert.deepEqual(calls.map((c) => c.users), [['a'], users(0, 8)], 'eight came while the call was in flight: they go when it answers');
      calls[1]!.settle(users(0, 8));
      await settle();
      for (const u of users(8, 7)) void batcher.call('s', u);
      assert.equal(calls.length, 2, 'seven wait out the window');
      void batcher.call('s', 'u15');
      assert.deepEqual(calls.at(-1)!.users, users(8, 8), 'the eighth sends them at once');
      calls[2]!.settle(users(8, 8));
    });

    it('counts a full batch as enough when maxBatch is below eight', async () => {
      const { calls, send } = heldSender();
      const batcher = new ScriptBatcher<string, string>(send, { maxBatch: 2, windowMs: 200 });
      void batcher.call('s', 'a');
      calls[0]!.settle(['reply-a']);
      await settle();
      void batcher.call('s', 'b');
      assert.equal(calls.length, 1);
      void batcher.call('s', 'c');
      assert.deepEqual(calls.map((c) => c.users), [['a'], ['b', 'c']]);
      calls[1]!.settle(['reply-b', 'reply-c']);
    });

    it('closes the lane once a window passes with nobody waiting: the next lone request goes at once', async () => {
      const { calls, send } = heldSender();
      const batcher = new ScriptBatcher<string, string>(send, { maxBatch: 64, windowMs: 20 });
      void batcher.call('s', 'a');
      calls[0]!.settle(['reply-a']);
      await sleep(40);
      void batcher.call('s', 'b');
      assert.deepEqual(calls.map((c) => c.users), [['a'], ['b']]);
    });
  });
});
