// The group commit's rules, with a stand-in for the Redis call that answers
// when the test says: a lone request goes at once, requests that come while a
// call is in flight go together as the next one, and every request gets its
// own reply or error. Redis itself runs the batches in test/contract/redis.test.ts.
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
    const batcher = new ScriptBatcher<string, string>(send, 64);
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
    const batcher = new ScriptBatcher<string, string>(send, 2);
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
    const batcher = new ScriptBatcher<string, string>(send, 64);
    void batcher.call('s1', 'a');
    void batcher.call('s2', 'b');
    void batcher.call('s1', 'c');
    assert.deepEqual(calls.map((c) => [c.saleId, c.users]), [['s1', ['a']], ['s2', ['b']]]);
  });

  it('gives a request its own error, the others their replies; a failed call fails its whole batch and the next one still goes', async () => {
    const { calls, send } = heldSender();
    const batcher = new ScriptBatcher<string, string>(send, 64);
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
    assert.throws(() => new ScriptBatcher(send, 0), RangeError);
    assert.throws(() => new ScriptBatcher(send, 1.5), RangeError);
  });
});
