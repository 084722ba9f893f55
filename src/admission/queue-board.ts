// A worker's picture of each queue sale's line: the latest figures the
// primary's queue tick broadcast, and the recent moves of the serving counter
// (for each place's admission time and the measured admission rate). Reading
// a buyer's place costs no I/O: the place is computed from their entry.
import { queueSoldOut, type QueueAdmission, type QueueEntry, type QueueStatus } from '../ledger';
import { shuffledPlace } from './shuffle';

interface Move {
  readonly serving: number;
  readonly joined: number;
  readonly at: number;
}

/** How far back the admission and join rates are measured. */
const RATE_WINDOW_MS = 5000;

export type WaitState = 'waiting_for_draw' | 'waiting' | 'admitted' | 'pass_window_over' | 'sold_out';

export interface PlaceView {
  readonly state: WaitState;
  /** 1-based place in line; null until the draw for a pre-queue entry. */
  readonly place: number | null;
  readonly ahead: number | null;
  readonly estimatedWaitSeconds: number | null;
  /** When the admitted place's pass runs out (epoch ms). */
  readonly passExpiresAt: number | null;
  readonly serving: number;
  readonly admitRate: number;
}

export class QueueBoard {
  private readonly latest = new Map<string, QueueStatus>();
  private readonly moves = new Map<string, Move[]>();

  update(status: QueueStatus, keepMs: number): void {
    this.latest.set(status.saleId, status);
    let list = this.moves.get(status.saleId);
    if (!list) this.moves.set(status.saleId, (list = []));
    const last = list.at(-1);
    const joined = status.pre + status.post;
    if (!last || last.serving !== status.serving || last.joined !== joined) list.push({ serving: status.serving, joined, at: status.at });
    const cutoff = status.at - Math.max(keepMs, RATE_WINDOW_MS);
    let drop = 0;
    while (drop < list.length - 1 && list[drop + 1]!.at <= cutoff) drop++;
    if (drop > 0) list.splice(0, drop);
  }

  status(saleId: string): QueueStatus | undefined {
    return this.latest.get(saleId);
  }

  /** Places admitted per second over the last few seconds, and joins per second. */
  rates(saleId: string, now: number): { admitted: number; joins: number } {
    const list = this.moves.get(saleId);
    const status = this.latest.get(saleId);
    if (!list || !status || list.length === 0) return { admitted: 0, joins: 0 };
    const since = now - RATE_WINDOW_MS;
    let first = list[0]!;
    for (const move of list) {
      if (move.at >= since) break;
      first = move;
    }
    const seconds = Math.max(1, now - first.at) / 1000;
    return { admitted: (status.serving - first.serving) / seconds, joins: (status.pre + status.post - first.joined) / seconds };
  }

  /** When the serving counter passed the place (0-based), as far as this worker saw; the oldest move it remembers otherwise. */
  admittedAt(saleId: string, place: number): number | null {
    const list = this.moves.get(saleId);
    if (!list || list.length === 0) return null;
    for (const move of list) if (move.serving > place) return move.at;
    return null;
  }

  /** The 0-based place of an entry; null for a pre-queue entry before the draw. */
  placeOf(admission: QueueAdmission, status: QueueStatus, entry: QueueEntry): number | null {
    if (!entry.pre) return status.pre + entry.number;
    if (!status.drawn) return null;
    return shuffledPlace(admission.shuffleKey, entry.number, status.pre);
  }

  view(admission: QueueAdmission, status: QueueStatus, entry: QueueEntry, now: number): PlaceView {
    const place = this.placeOf(admission, status, entry);
    const { admitted: measured } = this.rates(status.saleId, now);
    const base = { serving: status.serving, admitRate: Math.round(measured * 10) / 10 };
    if (queueSoldOut(status)) return { ...base, state: 'sold_out', place: place === null ? null : place + 1, ahead: null, estimatedWaitSeconds: null, passExpiresAt: null };
    if (place === null) return { ...base, state: 'waiting_for_draw', place: null, ahead: null, estimatedWaitSeconds: null, passExpiresAt: null };
    if (place < status.serving) {
      const at = this.admittedAt(status.saleId, place);
      const passExpiresAt = place < status.expiredBelow || at === null ? null : at + admission.passSeconds * 1000;
      if (passExpiresAt === null || passExpiresAt <= now) return { ...base, state: 'pass_window_over', place: place + 1, ahead: 0, estimatedWaitSeconds: null, passExpiresAt: null };
      return { ...base, state: 'admitted', place: place + 1, ahead: 0, estimatedWaitSeconds: 0, passExpiresAt };
    }
    const ahead = place - status.serving;
    // The measured rate, or the configured one while the line has not moved yet.
    const rate = measured > 0 ? measured : admission.admitPerSecond;
    return { ...base, state: 'waiting', place: place + 1, ahead, estimatedWaitSeconds: Math.ceil((ahead + 1) / rate), passExpiresAt: null };
  }
}
