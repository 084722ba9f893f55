// The embedded ledger's sharded indexes: they answer as a Map and a Set do,
// spread the key shapes the ledger stores over their shards (so no one shard
// rehashes much more than a 64th of the entries at once), and sweep expired
// entries shard by shard.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { newOrderId, newRetryKey, requestKeyOf } from '../../../src/inventory/order-ids';
import { ShardedMap, ShardedSet } from '../../../src/ledger/embedded/sharded-map';

/** The largest shard's share of `count` keys, against an even 1/64. */
function largestShardShare(keys: Iterable<string | number>): number {
  const map = new ShardedMap<string | number, number>();
  let count = 0;
  for (const key of keys) {
    map.set(key, count++);
  }
  const shards = (map as unknown as { shards: Array<Map<unknown, unknown>> }).shards;
  return Math.max(...shards.map((shard) => shard.size)) / (count / shards.length);
}

function* times<T>(n: number, make: (i: number) => T): Generator<T> {
  for (let i = 0; i < n; i++) yield make(i);
}

describe('ShardedMap and ShardedSet', () => {
  it('answer get, has, set, delete, size and iteration as a Map and a Set do', () => {
    const map = new ShardedMap<string, number>();
    const model = new Map<string, number>();
    const set = new ShardedSet<number>();
    const setModel = new Set<number>();
    for (let i = 0; i < 5000; i++) {
      const key = `u${(i * 7919) % 3001}`;
      if (i % 5 === 4) {
        assert.equal(map.delete(key), model.delete(key));
        assert.equal(set.delete(i % 997), setModel.delete(i % 997));
      } else {
        map.set(key, i);
        model.set(key, i);
        set.add(i % 997);
        setModel.add(i % 997);
      }
      assert.equal(map.get(key), model.get(key));
      assert.equal(map.has(key), model.has(key));
    }
    assert.equal(map.size, model.size);
    assert.deepEqual(new Map(map), model);
    assert.deepEqual([...map.values()].sort(), [...model.values()].sort());
    assert.equal(set.size, setModel.size);
    assert.deepEqual(new Set(set), setModel);
    assert.equal(map.get('nobody'), undefined);
  });

  it('spread the ledger\'s key shapes evenly enough that no shard holds twice its share', () => {
    const n = 64 * 2000;
    const shapes: Record<string, Iterable<string | number>> = {
      'order ids': times(n, () => newOrderId('G1234')),
      'bench buyers (tb0, tb1, ...)': times(n, (i) => `tb${i}`),
      'request keys of made-up Idempotency-Keys': times(n, (i) => requestKeyOf(`tb${i}`, newRetryKey())),
      'request keys of sequential Idempotency-Keys': times(n, (i) => requestKeyOf('alice', `key-${i}`)),
      'order indexes and pass places (integers)': times(n, (i) => i),
    };
    for (const [shape, keys] of Object.entries(shapes)) {
      const share = largestShardShare(keys);
      assert.ok(share < 2, `${shape}: the largest shard holds ${share.toFixed(2)}x its share`);
    }
  });

  it('sweep each shard from its oldest entry while the entries are stale, and stop at the first fresh one there', () => {
    const map = new ShardedMap<string, number>();
    // Expiry times in insertion order, as spent challenges are kept.
    for (let i = 0; i < 1000; i++) map.set(`challenge-${i}`, i);
    map.dropStaleFronts((expiresAt) => expiresAt < 600);
    assert.deepEqual([...map].map(([, at]) => at).sort((a, b) => a - b), Array.from({ length: 400 }, (_, i) => 600 + i));
  });
});
