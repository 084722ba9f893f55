// Every JSON body names only fields its route knows: a misspelled field is a
// 400 naming it (and the field it was probably meant to be), never silently
// ignored, so `opensat` cannot leave a sale open by mistake.
import { distance } from 'fastest-levenshtein';
import { spikeError } from '../errors/errors';

/** The known field a client most likely meant: same letters in another case, or at most 2 edits away. */
export function closestField(field: string, known: readonly string[]): string | undefined {
  const lower = field.toLowerCase();
  const sameLetters = known.find((name) => name.toLowerCase() === lower);
  if (sameLetters) return sameLetters;
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const name of known) {
    const d = distance(lower, name.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [name, d];
  }
  // Two edits of a two-letter word is another word, not a typo.
  return bestDistance <= 2 && bestDistance < field.length ? best : undefined;
}

/** Throws 400 invalid_field for the first field of the body that is not in `known`. */
export function checkKnownFields(body: Record<string, unknown>, known: readonly string[]): void {
  for (const field of Object.keys(body)) {
    if (known.includes(field)) continue;
    const shown = field.length > 64 ? `${field.slice(0, 64)}...` : field;
    const suggestion = closestField(field, known);
    const list = known.join(', ');
    throw suggestion ? spikeError('UNKNOWN_FIELD_NEAR', { field: shown, suggestion, known: list }) : spikeError('UNKNOWN_FIELD', { field: shown, known: list });
  }
}
