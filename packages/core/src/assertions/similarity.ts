import { distance } from 'fastest-levenshtein';

/**
 * Levenshtein is quadratic: past this many cells (after trimming the common prefix and suffix) a
 * comparison would stall the event loop for seconds, so it is refused instead (~0.2 s at the cap).
 */
const MAX_LEVENSHTEIN_CELLS = 1_000_000_000;

export type LevenshteinSimilarity = { ok: true; score: number } | { ok: false; message: string };

/** 1 − distance / max(length a, length b), in UTF-16 code units; 1 when both are empty. */
export function levenshteinSimilarity(a: string, b: string): LevenshteinSimilarity {
  const longest = Math.max(a.length, b.length);
  if (longest === 0 || a === b) return { ok: true, score: 1 };
  const prefix = commonPrefixLength(a, b);
  const suffix = commonSuffixLength(a, b, prefix);
  const restA = a.slice(prefix, a.length - suffix);
  const restB = b.slice(prefix, b.length - suffix);
  if (restA.length * restB.length > MAX_LEVENSHTEIN_CELLS) {
    const sizes = `${a.length} and ${b.length} characters, differing over ${restA.length} and ${restB.length}`;
    return { ok: false, message: `the texts are too long to compare by edit distance (${sizes}); compare a smaller part of the output or use embeddings` };
  }
  return { ok: true, score: 1 - distance(restA, restB) / longest };
}

function commonPrefixLength(a: string, b: string): number {
  const limit = Math.min(a.length, b.length);
  let length = 0;
  while (length < limit && a.charCodeAt(length) === b.charCodeAt(length)) length += 1;
  return length;
}

function commonSuffixLength(a: string, b: string, prefix: number): number {
  const limit = Math.min(a.length, b.length) - prefix;
  let length = 0;
  while (length < limit && a.charCodeAt(a.length - 1 - length) === b.charCodeAt(b.length - 1 - length)) length += 1;
  return length;
}

/** Cosine of the angle between two vectors; null when they cannot be compared (lengths differ, zero vector). */
export function cosineSimilarity(a: readonly number[], b: readonly number[]): number | null {
  if (a.length === 0 || a.length !== b.length) return null;
  let dot = 0;
  let normA = 0;
  let normB = 0;
  for (let index = 0; index < a.length; index++) {
    dot += a[index] * b[index];
    normA += a[index] * a[index];
    normB += b[index] * b[index];
  }
  if (!(normA > 0 && normB > 0) || !Number.isFinite(dot)) return null;
  return Math.max(-1, Math.min(1, dot / Math.sqrt(normA * normB)));
}

/** Scores are floating point: 1 − 1/5 must count as reaching a threshold of 0.8. */
export function reaches(score: number, threshold: number): boolean {
  return score >= threshold - 1e-9;
}
