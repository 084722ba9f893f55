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

export class ShardedMap<K extends string | number, V> implements Iterable<[K, V]> {
  private readonly shards: Array<Map<K, V>> = Array.from({ length: SHARDS }, () => new Map<K, V>());

  get size(): number {
    let size = 0;
    for (const shard of this.shards) size += shard.size;
    return size;
  }

  get(key: K): V | undefined {
    return this.shards[shardOf(key)]!.get(key);
  }

  has(key: K): boolean {
    return this.shards[shardOf(key)]!.has(key);
  }

  set(key: K, value: V): this {
    this.shards[shardOf(key)]!.set(key, value);
    return this;
  }

  delete(key: K): boolean {
    return this.shards[shardOf(key)]!.delete(key);
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

export class ShardedSet<K extends string | number> implements Iterable<K> {
  private readonly shards: Array<Set<K>> = Array.from({ length: SHARDS }, () => new Set<K>());

  get size(): number {
    let size = 0;
    for (const shard of this.shards) size += shard.size;
    return size;
  }

  has(key: K): boolean {
    return this.shards[shardOf(key)]!.has(key);
  }

  add(key: K): this {
    this.shards[shardOf(key)]!.add(key);
    return this;
  }

  delete(key: K): boolean {
    return this.shards[shardOf(key)]!.delete(key);
  }

  *[Symbol.iterator](): IterableIterator<K> {
    for (const shard of this.shards) yield* shard;
  }
}
