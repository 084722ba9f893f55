// The time-ordered index of one sale's unpaid holds, so expiry never scans the orders.
import { grown } from './grown';

/**
 * Unpaid holds by expiry time, as a binary min-heap of (expiresAt, order
 * index) in two typed arrays. A paid or cancelled order's entry is not
 * removed at once; the sweep drops it when it reaches the top.
 */
export class ExpiryHeap {
  private at = new Float64Array(16);
  private index = new Uint32Array(16);
  private length = 0;

  get size(): number {
    return this.length;
  }

  push(at: number, index: number): void {
    this.at = grown(this.at, this.length + 1);
    this.index = grown(this.index, this.length + 1);
    let i = this.length++;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.before(at, index, this.at[parent]!, this.index[parent]!)) break;
      this.at[i] = this.at[parent]!;
      this.index[i] = this.index[parent]!;
      i = parent;
    }
    this.at[i] = at;
    this.index[i] = index;
  }

  /** The earliest expiry, or Infinity when empty. */
  peekAt(): number {
    return this.length > 0 ? this.at[0]! : Infinity;
  }

  /** The order index of the earliest entry; only when size > 0. */
  peekIndex(): number {
    return this.index[0]!;
  }

  /** Removes the earliest entry and returns its order index. */
  pop(): number {
    if (this.length === 0) throw new RangeError('pop from an empty expiry heap');
    const top = this.index[0]!;
    const last = --this.length;
    if (last > 0) this.siftDown(this.at[last]!, this.index[last]!);
    return top;
  }

  /** Empties the heap; used after replay to rebuild it from the orders still held. */
  clear(): void {
    this.length = 0;
  }

  private siftDown(at: number, index: number): void {
    let i = 0;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= this.length) break;
      if (child + 1 < this.length && this.before(this.at[child + 1]!, this.index[child + 1]!, this.at[child]!, this.index[child]!)) child++;
      if (!this.before(this.at[child]!, this.index[child]!, at, index)) break;
      this.at[i] = this.at[child]!;
      this.index[i] = this.index[child]!;
      i = child;
    }
    this.at[i] = at;
    this.index[i] = index;
  }

  /** Ties go to the older order, so equal expiry times release in purchase order. */
  private before(atA: number, indexA: number, atB: number, indexB: number): boolean {
    return atA < atB || (atA === atB && indexA < indexB);
  }
}
