// The `admission` field of a new sale: `{mode: 'open'}` (or absent) sells
// directly as before; `{mode: 'queue', ...}` puts a waiting room in front,
// with defaults from the config and a fresh shuffle key for its draw.
import { randomBytes } from 'node:crypto';
import type { AdmissionConfig } from '../config/config';
import { spikeError } from '../errors/errors';
import type { QueueAdmission } from '../ledger';

function invalid(field: string, allowed: string) {
  return spikeError('INVALID_FIELD', { field: `admission.${field}`, allowed });
}

function numberField(body: Record<string, unknown>, field: string, min: number, max: number, fallback: number, integer = true): number {
  const value = body[field];
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || (integer && !Number.isInteger(value)) || !Number.isFinite(value) || value < min || value > max) {
    throw invalid(field, `${integer ? 'an integer' : 'a number'} from ${min} to ${max}`);
  }
  return value;
}

const FIELDS = new Set(['mode', 'admitPerSecond', 'overAdmit', 'passSeconds', 'difficulty', 'maxDifficulty']);

export function parseAdmission(value: unknown, defaults: AdmissionConfig): QueueAdmission | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) throw spikeError('INVALID_FIELD', { field: 'admission', allowed: `an object {mode: "open"} or {mode: "queue", admitPerSecond?, overAdmit?, passSeconds?, difficulty?, maxDifficulty?}` });
  const body = value as Record<string, unknown>;
  for (const key of Object.keys(body)) if (!FIELDS.has(key)) throw invalid(key, `absent: admission takes ${[...FIELDS].join(', ')}`);
  if (body.mode === 'open' || body.mode === undefined) {
    if (Object.keys(body).some((key) => key !== 'mode')) throw invalid('mode', '"queue" for these settings to apply');
    return undefined;
  }
  if (body.mode !== 'queue') throw invalid('mode', '"open" or "queue"');
  const difficulty = numberField(body, 'difficulty', 0, 32, defaults.difficulty);
  return {
    mode: 'queue',
    admitPerSecond: numberField(body, 'admitPerSecond', 1, 1_000_000, defaults.admitPerSecond),
    overAdmit: numberField(body, 'overAdmit', 1, 10, defaults.overAdmit, false),
    passSeconds: numberField(body, 'passSeconds', 5, 86_400, defaults.passSeconds),
    difficulty,
    maxDifficulty: numberField(body, 'maxDifficulty', difficulty, 32, difficulty),
    // Made here, kept by the ledger, published only once the sale has opened.
    shuffleKey: randomBytes(32).toString('hex'),
  };
}
