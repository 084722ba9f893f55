// Map and Set for the embedded ledger's per-order and per-buyer indexes,
// split over 64 smaller ones by key. A V8 Map or Set grows by rehashing every
// entry into a table twice the size, in one go, on the thread that inserts:
// measured on this box, the insert that took a Map past 2^20 string keys
// blocked for 196 ms, past 2^21 for 343 ms. A sale's orders, request keys and
// buyers grow together, so the reservation that took a sale past a million
// orders froze the primary, and every purchase of the box, for 850 ms (its
// event loop's measured lag). Redis's dict avoids the same pause by
// rehashing incrementally; here each shard rehashes alone, at a 64th of the
// size. The price is one shard pick per call (a few character codes) and an
// iteration order that is insertion order within a shard, not overall:
// nothing that iterates these depends on more.

const SHARDS = 64;
const MASK = SHARDS - 1;

/** The shard of a key: the low bits of an integer key, a mix of the last characters of a string one (ids differ most at their ends). */
function shardOf(key: string | number): number {
  if (typeof key === 'number') return key & MASK;
  const n = key.length;
  if (n === 0) return 0;
  let h = key.charCodeAt(n - 1);
  if (n > 1) h = h * 31 + key.charCodeAt(n - 2);
  if (n > 2) h = h * 31 + key.charCodeAt(n - 3);
  return (h ^ (h >>> 6)) & MASK;
}

/** What a ShardedMap and a ShardedSet share: the shards, the pick, and the calls that read alike on a Map and a Set. */
abstract class Sharded<K extends string | number, C extends Map<K, unknown> | Set<K>> {
  protected readonly shards: C[];

  constructor(make: () => C) {
    this.shards = Array.from({ length: SHARDS }, make);
  }

  protected shard(key: K): C {
    return this.shards[shardOf(key)]!;
  }

  get size(): number {
    let size = 0;
    for (const shard of this.shards) size += shard.size;
    return size;
  }

  has(key: K): boolean {
    return this.shard(key).has(key);
  }

  delete(key: K): boolean {
    return this.shard(key).delete(key);
  }
}

export class ShardedMap<K extends string | number, V> extends Sharded<K, Map<K, V>> implements Iterable<[K, V]> {
  constructor() {
    super(() => new Map<K, V>());
  }

  get(key: K): V | undefined {
    return this.shard(key).get(key);
  }

  set(key: K, value: V): this {
    this.shard(key).set(key, value);
    return this;
  }

  *values(): IterableIterator<V> {
    for (const shard of this.shards) yield* shard.values();
  }

  *[Symbol.iterator](): IterableIterator<[K, V]> {
    for (const shard of this.shards) yield* shard;
  }

  /**
   * In each shard, removes entries from its oldest on while `stale` says so:
   * the sweep of a map kept in insertion order by expiry, shard by shard,
   * since the order holds within a shard and not across them.
   */
  dropStaleFronts(stale: (value: V) => boolean): void {
    for (const shard of this.shards) {
      for (const [key, value] of shard) {
        if (!stale(value)) break;
        shard.delete(key);
      }
    }
  }
}

export class ShardedSet<K extends string | number> extends Sharded<K, Set<K>> implements Iterable<K> {
  constructor() {
    super(() => new Set<K>());
  }

  add(key: K): this {
    this.shard(key).add(key);
    return this;
  }

  *[Symbol.iterator](): IterableIterator<K> {
    for (const shard of this.shards) yield* shard;
  }
}
