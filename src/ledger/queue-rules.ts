// The waiting room's rule of admission, written once for TypeScript: the
// embedded ledger's queue tick decides with it (advanceQueue-3.lua states the
// same rule in Lua; the contract suite holds the two to each other).
import type { QueueAdmission } from './types';

export interface AdmissionInput {
  readonly admission: Pick<QueueAdmission, 'admitPerSecond' | 'overAdmit'>;
  readonly now: number;
  readonly opensAt: number | null;
  /** Places in line: pre-queue plus behind it. */
  readonly inLine: number;
  readonly serving: number;
  readonly lastAt: number;
  readonly expiredBelow: number;
  /** Passes spent by places at or above expiredBelow. */
  readonly usedLive: number;
  readonly total: number;
  readonly sold: number;
}

/**
 * The serving counter moves by admitPerSecond since it last moved, but never
 * so far that the unused live passes (admitted within passSeconds, not yet
 * spent) exceed remaining stock x overAdmit, and never past the end of the line.
 */
export function admissionStep(input: AdmissionInput): { serving: number; lastAt: number } {
  const { admission, now } = input;
  const live = input.serving - input.expiredBelow - input.usedLive;
  const cap = Math.floor((input.total - input.sold) * admission.overAdmit + 1e-9);
  const start = Math.max(input.lastAt, input.opensAt ?? 0);
  const credit = Math.floor(((now - start) * admission.admitPerSecond) / 1000);
  const add = Math.min(credit, cap - live, input.inLine - input.serving);
  const serving = add > 0 ? input.serving + add : input.serving;
  // Less than one place earned: keep counting from the same start. Held back
  // by stock or an empty line: bank no credit for a burst later.
  const lastAt = credit < 1 ? start : add < credit ? now : start + Math.floor((add * 1000) / admission.admitPerSecond);
  return { serving, lastAt };
}

/** Whether a sale's wait is over for everyone: no stock and no hold that could come back. */
export function queueSoldOut(figures: { total: number; sold: number; paid: number }): boolean {
  return figures.sold >= figures.total && figures.sold === figures.paid;
}
