import crypto, { createHash } from 'node:crypto';

/** JSON with object keys sorted at every depth and no whitespace: the input to every fingerprint. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    const encoded = JSON.stringify(value);
    return encoded === undefined ? 'null' : encoded;
  }
  if (Array.isArray(value)) return '[' + value.map(canonicalJson).join(',') + ']';
  const entries = Object.keys(value as Record<string, unknown>)
    .filter((key) => (value as Record<string, unknown>)[key] !== undefined)
    .sort()
    .map((key) => JSON.stringify(key) + ':' + canonicalJson((value as Record<string, unknown>)[key]));
  return '{' + entries.join(',') + '}';
}

/** One-shot hashing (Node 20.12+) takes half the time of a Hash object; older Node 20 falls back. */
const oneShotHash = (crypto as { hash?: (algorithm: string, data: string) => string }).hash;

export function sha256Hex(text: string): string {
  return oneShotHash ? oneShotHash('sha256', text) : createHash('sha256').update(text).digest('hex');
}

/** H(x) of docs/decisions.md §8: the first 16 hex characters of SHA-256 over canonical JSON. */
export function fingerprint(value: unknown): string {
  return sha256Hex(canonicalJson(value)).slice(0, 16);
}
