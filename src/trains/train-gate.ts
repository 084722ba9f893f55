// One train's gate in a worker: a per-segment allowance vector (a purchase
// takes one unit from every segment of its trip, no I/O) and a local memory
// of what the ledger said is sold out, so buyers past the seats are turned
// away without a ledger call. Never a counter per origin-destination pair:
// those under-sell (a pair's counter cannot see seats freed on its segments).
import { SOLD_OUT_RECHECK_MS } from '../inventory/stock-gate';

/**
 * A sold-out mark is trusted for SOLD_OUT_RECHECK_MS, doubled each time the
 * ledger confirms it, up to this: a train has up to n(n-1)/2 trips, and each
 * worker asking each refused one again every second would cost more ledger
 * calls than the seats it sells. Release announcements clear marks at once;
 * the cap bounds how long a missed announcement can keep seats unsold here.
 */
export const MAX_SOLD_OUT_TRUST_MS = 30_000;

interface Mark {
  since: number;
  trustMs: number;
}

/** A fresh mark, or one confirmed again: trusted twice as long as before when it had lapsed. */
function renewed(mark: Mark | undefined, now: number): Mark {
  if (!mark || mark.since === 0) return { since: now, trustMs: SOLD_OUT_RECHECK_MS };
  return { since: now, trustMs: Math.min(MAX_SOLD_OUT_TRUST_MS, mark.trustMs * 2) };
}

function trusted(mark: Mark | undefined, now: number): boolean {
  return mark !== undefined && mark.since > 0 && now - mark.since < mark.trustMs;
}

export interface TrainGateShare {
  readonly weight: number;
  readonly totalWeight: number;
  readonly localBuffer: number;
  /** Minimum time between two ledger re-reads of one dry segment. */
  readonly allowanceRefreshMs: number;
}

/** A train's quotas as the gate needs them: which are closed to a trip of some length, now. */
export type QuotaRules = ReadonlyArray<{ readonly minSegments: number; readonly releaseAt: number }>;

/** Bit i: quota i is closed to a trip of this many segments at `now`. */
function closedQuotas(quotas: QuotaRules, length: number, now: number): number {
  let closed = 0;
  for (let i = 0; i < quotas.length; i++) if (length < quotas[i]!.minSegments && now < quotas[i]!.releaseAt) closed |= 1 << i;
  return closed;
}

/** Reads the seats free on every segment from the ledger, in one call (null: the train is gone). */
export type SegmentReader = () => Promise<readonly number[] | null>;

export class TrainGate {
  private readonly units: Int32Array;
  /** Per segment: when the ledger last said it has no seat free (since 0: not known full). */
  private readonly full: Mark[];
  private lastReadAt = 0;
  private reading: Promise<void> | undefined;
  /** Trips refused by fragmentation: "from:to" -> when. Any trip containing one is refused too. */
  private readonly soldOutTrips = new Map<string, Mark & { from: number; to: number }>();
  /** Reservations and segment reads sent to the ledger: the figure the gate exists to keep near the seats sold. */
  ledgerCalls = 0;
  reserveCalls = 0;
  extensions = 0;

  constructor(
    seats: number,
    readonly segments: number,
    private readonly share: TrainGateShare,
  ) {
    this.units = new Int32Array(segments).fill(this.shareOf(seats));
    this.full = Array.from({ length: segments }, () => ({ since: 0, trustMs: SOLD_OUT_RECHECK_MS }));
  }

  /** The latest quota releaseAt this gate has already acted on. */
  private quotasReleasedUpTo = 0;

  /** True once per quota release time passed since the last call: the caller then clears the sold-out marks. */
  passedQuotaRelease(quotas: ReadonlyArray<{ readonly releaseAt: number }> | undefined, now: number): boolean {
    let passed = false;
    for (const q of quotas ?? []) {
      if (q.releaseAt > this.quotasReleasedUpTo && q.releaseAt <= now) {
        this.quotasReleasedUpTo = q.releaseAt;
        passed = true;
      }
    }
    return passed;
  }

  /** Units left on one segment, for stats and tests. */
  unitsOn(segment: number): number {
    return this.units[segment]!;
  }

  /**
   * The ledger would refuse this trip, as far as this worker knows (see
   * MAX_SOLD_OUT_TRUST_MS). A trip refused by fragmentation refuses the trips
   * containing it only where the same quotas are closed to both: a longer
   * trip may take seats a quota kept from the shorter one.
   */
  knownSoldOut(from: number, to: number, now: number, quotas: QuotaRules = []): boolean {
    for (let s = from; s < to; s++) if (trusted(this.full[s], now)) return true;
    const closed = quotas.length > 0 ? closedQuotas(quotas, to - from, now) : 0;
    for (const mark of this.soldOutTrips.values()) {
      if (from <= mark.from && mark.to <= to && trusted(mark, now) && (quotas.length === 0 || closedQuotas(quotas, mark.to - mark.from, now) === closed)) return true;
    }
    return false;
  }

  /**
   * Takes one unit on every segment of the trip. A dry segment has every
   * segment re-read from the ledger in one call (spaced allowanceRefreshMs
   * apart, one read for every waiter): a dry one with seats free is extended
   * by this worker's share of them, so a segment another worker left unused
   * still sells, and the full ones are marked. False: no stock here.
   */
  async take(from: number, to: number, now: number, read: SegmentReader, quotas: QuotaRules = []): Promise<boolean> {
    if (this.knownSoldOut(from, to, now, quotas)) return false;
    for (let s = from; s < to; s++) {
      if (this.units[s]! > 0) continue;
      await this.refill(read);
      if (this.units[s]! <= 0 || this.knownSoldOut(from, to, Date.now(), quotas)) return false;
    }
    // Another request may have taken the last unit while this one waited for a read.
    for (let s = from; s < to; s++) if (this.units[s]! <= 0) return false;
    for (let s = from; s < to; s++) this.units[s]!--;
    return true;
  }

  /** The ledger sold nothing for a unit taken (limit reached, refused, error): it comes back. */
  giveBack(from: number, to: number): void {
    for (let s = from; s < to; s++) this.units[s]!++;
  }

  /**
   * The ledger sold the trip and says how many seats are left for it. None
   * left is remembered: as the segments this sale filled when it names them
   * (no other worker need be refused to learn it), else as the trip.
   */
  sold(from: number, to: number, available: number, full: number, now: number): void {
    if (available > 0) return;
    if (full === 0) return this.markTrip(from, to, now);
    this.markFull(from, to, full, now);
  }

  /**
   * The ledger refused the trip. Its full segments (bits of `full`) stop
   * selling here, whatever trip asks; with none full the trip was refused by
   * fragmentation, and that trip (and any containing it) is remembered.
   */
  refused(from: number, to: number, full: number, now: number): void {
    this.giveBack(from, to);
    if (full === 0) return this.markTrip(from, to, now);
    this.markFull(from, to, full, now);
  }

  private markFull(from: number, to: number, full: number, now: number): void {
    for (let s = from; s < to; s++) {
      if (Math.floor(full / 2 ** (s - from)) % 2 === 1) {
        this.full[s] = renewed(this.full[s], now);
        this.units[s] = 0;
      }
    }
  }

  /** Seats came back on these segments (or anywhere, with no range): forget what is sold out over them. */
  released(from = 0, to = this.segments): void {
    for (let s = from; s < to; s++) this.full[s] = { since: 0, trustMs: SOLD_OUT_RECHECK_MS };
    for (const [key, mark] of this.soldOutTrips) if (mark.from < to && from < mark.to) this.soldOutTrips.delete(key);
  }

  private markTrip(from: number, to: number, now: number): void {
    const key = `${from}:${to}`;
    this.soldOutTrips.set(key, { from, to, ...renewed(this.soldOutTrips.get(key), now) });
  }

  private shareOf(free: number): number {
    const { weight, totalWeight, localBuffer } = this.share;
    return Math.min(free, Math.ceil((free * weight) / totalWeight) + localBuffer);
  }

  private refill(read: SegmentReader): Promise<void> {
    this.reading ??= (async () => {
      try {
        const wait = this.lastReadAt + this.share.allowanceRefreshMs - Date.now();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        this.ledgerCalls++;
        const free = await read();
        const now = Date.now();
        this.lastReadAt = now;
        if (!free) return;
        for (let s = 0; s < this.segments; s++) {
          const seats = free[s] ?? 0;
          if (seats === 0) {
            // Still full: trusted longer. A lapsed or fresh mark starts again.
            if (!trusted(this.full[s], now)) this.full[s] = renewed(this.full[s], now);
            this.units[s] = 0;
            continue;
          }
          this.full[s] = { since: 0, trustMs: SOLD_OUT_RECHECK_MS };
          if (this.units[s]! > 0) continue;
          this.units[s] = this.shareOf(seats);
          this.extensions++;
        }
      } finally {
        this.reading = undefined;
      }
    })();
    return this.reading;
  }
}
