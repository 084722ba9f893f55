import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { newOrderId, newRetryKey, randomToken } from '../../../src/inventory/order-ids';

describe('order ids from the random pool', () => {
  it('are distinct across many pool refills, and sized as asked', () => {
    const seen = new Set<string>();
    // 9 bytes each: 10,000 of them draw the 4 KiB pool about 22 times.
    for (let i = 0; i < 10_000; i++) seen.add(newOrderId('s1'));
    assert.equal(seen.size, 10_000);
    for (const id of seen) assert.match(id, /^s1\.[A-Za-z0-9_-]{12}$/);
    assert.match(newRetryKey(), /^auto-[A-Za-z0-9_-]{16}$/);
  });

  it('never hands out the same bytes twice, across the end of a pool', () => {
    const tokens = Array.from({ length: 2000 }, () => randomToken(7));
    assert.equal(new Set(tokens).size, tokens.length);
    for (const token of tokens) assert.equal(Buffer.from(token, 'base64url').length, 7);
  });
});
