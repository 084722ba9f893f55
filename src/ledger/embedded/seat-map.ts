// A train's seats in the embedded ledger: one bit array per segment, one bit
// per seat (1 = taken), 32 seats to a word, so a trip's free seats are the
// OR of its segments' words. Seat choice picks the same seat as the Redis
// script (includes/trains.lua) would: the lowest index within the best tier.
import type { SeatChoice, SeatQuota } from '../types';

export class SeatMap {
  private readonly words: number;
  private readonly segments: Uint32Array[];
  /** Bits past the last seat, set for good in the last word so they never look free. */
  private readonly padding: number;

  /** Each quota's seats as words, with its rule (see SeatQuota). */
  private readonly quotas: Array<{ readonly words: Uint32Array; readonly minSegments: number; readonly releaseAt: number }>;

  constructor(
    readonly seats: number,
    segmentCount: number,
    quotas: readonly SeatQuota[] = [],
  ) {
    this.words = Math.ceil(seats / 32);
    const used = seats % 32;
    this.padding = used === 0 ? 0 : ~((1 << used) - 1) >>> 0;
    this.segments = Array.from({ length: segmentCount }, () => {
      const bits = new Uint32Array(this.words);
      if (this.words > 0) bits[this.words - 1] = this.padding;
      return bits;
    });
    this.quotas = quotas.map((q) => {
      const words = new Uint32Array(this.words);
      for (let seat = q.firstSeat; seat < q.firstSeat + q.seats; seat++) words[seat >>> 5] = (words[seat >>> 5]! | bit(seat)) >>> 0;
      return { words, minSegments: q.minSegments, releaseAt: q.releaseAt };
    });
  }

  /** The seats of the quotas closed to this trip at `now`, as words; null when none is (see reserveTrip-7.lua's closeQuotas). */
  closedTo(from: number, to: number, now: number): Uint32Array | null {
    let closed: Uint32Array | null = null;
    for (const q of this.quotas) {
      if (to - from >= q.minSegments || now >= q.releaseAt) continue;
      closed ??= new Uint32Array(this.words);
      for (let w = 0; w < this.words; w++) closed[w] = (closed[w]! | q.words[w]!) >>> 0;
    }
    return closed;
  }

  get segmentCount(): number {
    return this.segments.length;
  }

  /** Word w of the seats taken on any segment of the trip. */
  private takenWord(from: number, to: number, w: number): number {
    let word = 0;
    for (let s = from; s < to; s++) word |= this.segments[s]![w]!;
    return word;
  }

  /** A neighbouring segment's word, the train's end counting as all taken. */
  private neighbourWord(segment: number, w: number): number {
    return segment < 0 || segment >= this.segments.length ? 0xffff_ffff : this.segments[segment]![w]!;
  }

  /** Seats free on every segment of the trip (and not in `closed`). */
  freeFor(from: number, to: number, closed: Uint32Array | null = null): number {
    let free = 0;
    for (let w = 0; w < this.words; w++) free += popcount(~(this.takenWord(from, to, w) | (closed ? closed[w]! : 0)) >>> 0);
    return free;
  }

  isFree(from: number, to: number, seat: number): boolean {
    const w = seat >>> 5;
    return seat >= 0 && seat < this.seats && (this.takenWord(from, to, w) & bit(seat)) === 0;
  }

  /**
   * A free seat for the trip, or -1. first-fit: the lowest free. best-fit:
   * the lowest free seat whose segments just before and just after the trip
   * are both taken (the train's ends count as taken), else the lowest free:
   * filling gaps exactly keeps long runs for long trips. The same choice as
   * includes/trains.lua's chooseSeat, which the contract suite holds both to.
   */
  choose(from: number, to: number, strategy: SeatChoice, closed: Uint32Array | null = null): number {
    const bothWalls = from === 0 && to === this.segments.length;
    let any = -1;
    for (let w = 0; w < this.words; w++) {
      const free = ~(this.takenWord(from, to, w) | (closed ? closed[w]! : 0)) >>> 0;
      if (free === 0) continue;
      if (any < 0) any = w * 32 + lowestBit(free);
      if (strategy === 'first-fit' || bothWalls) return any;
      const both = (free & this.neighbourWord(from - 1, w) & this.neighbourWord(to, w)) >>> 0;
      if (both !== 0) return w * 32 + lowestBit(both);
    }
    return any;
  }

  mark(from: number, to: number, seat: number, taken: boolean): void {
    const w = seat >>> 5;
    for (let s = from; s < to; s++) {
      const words = this.segments[s]!;
      words[w] = taken ? (words[w]! | bit(seat)) >>> 0 : (words[w]! & ~bit(seat)) >>> 0;
    }
  }

  /** Seats taken on one segment. */
  takenOn(segment: number): number {
    let taken = 0;
    for (const word of this.segments[segment]!) taken += popcount(word);
    return taken - popcount(this.padding);
  }

  /** The trip's segments with every seat taken, as bits (bit i: segment from + i); see reserveTrip-7.lua. */
  fullSegments(from: number, to: number): number {
    let mask = 0;
    for (let s = from; s < to; s++) if (this.takenOn(s) >= this.seats) mask += 2 ** (s - from);
    return mask;
  }

  isTaken(segment: number, seat: number): boolean {
    return (this.segments[segment]![seat >>> 5]! & bit(seat)) !== 0;
  }
}

function bit(seat: number): number {
  return (1 << (seat & 31)) >>> 0;
}

function lowestBit(word: number): number {
  return 31 - Math.clz32(word & -word);
}

function popcount(word: number): number {
  let x = word >>> 0;
  x -= (x >>> 1) & 0x5555_5555;
  x = (x & 0x3333_3333) + ((x >>> 2) & 0x3333_3333);
  x = (x + (x >>> 4)) & 0x0f0f_0f0f;
  return Math.imul(x, 0x0101_0101) >>> 24;
}
