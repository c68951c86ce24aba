import { distance } from 'fastest-levenshtein';

/**
 * The known name a mistyped one most likely meant (`lable` → `label`), or null when none is close:
 * one edit for words of up to three letters, else two or a third of the word's length, so that
 * swapped letters (two edits) are caught and short words do not match everything.
 */
export function closestName(word: string, known: readonly string[]): string | null {
  const limit = word.length <= 3 ? 1 : Math.max(2, Math.floor(word.length / 3));
  let best: string | null = null;
  let bestDistance = Infinity;
  for (const candidate of known) {
    const edits = distance(word.toLowerCase(), candidate.toLowerCase());
    if (edits <= limit && edits < bestDistance) {
      best = candidate;
      bestDistance = edits;
    }
  }
  return best;
}

/** `Unknown field "lable"; did you mean "label"? Known fields are …` */
export function unknownFieldMessage(key: string, known: readonly string[]): string {
  const guess = closestName(key, known);
  return `Unknown field "${key}"${guess ? `; did you mean "${guess}"?` : '.'} Known fields are ${known.join(', ')}.`;
}
