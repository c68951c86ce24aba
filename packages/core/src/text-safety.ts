/**
 * Text that cannot be stored as it was sent: NUL (PostgreSQL's `text` refuses it) and UTF-16
 * surrogates without their pair (UTF-8 has no form for them, so drivers silently write U+FFFD).
 * Every entry point refuses both, naming where they are.
 */

/** NUL, a high surrogate not followed by a low one, or a low surrogate not preceded by a high one. */
const UNSAFE_CHARACTER = /\0|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const UNSAFE_CHARACTERS = new RegExp(UNSAFE_CHARACTER.source, 'g');

export interface UnsafeText {
  /** Keys and indexes from the root; a key holding an unsafe character is written with escapes (`\u0000`). */
  path: (string | number)[];
  message: string;
}

const escaped = (character: string) => `\\u${character.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`;

function describe(character: string): string {
  if (character === '\0') return 'contains a NUL character (\\u0000), which Verdict does not accept in text; remove it';
  return `contains an unpaired UTF-16 surrogate (${escaped(character)}), which is not Unicode text; send well-formed UTF-8`;
}

/** A key as it can be shown in a path: its unsafe characters written as escapes. */
function printable(key: string): string {
  return key.replace(UNSAFE_CHARACTERS, escaped);
}

interface Place {
  parent: Place | null;
  key: string | number;
}

function pathOf(place: Place | null): (string | number)[] {
  const path: (string | number)[] = [];
  for (let at = place; at !== null; at = at.parent) path.push(at.key);
  return path.reverse();
}

/**
 * Strings of `value` (object keys included) holding an unsafe character, up to `limit` of them.
 * Walks without recursion, and makes nothing for numbers and clean strings, since a 10 MiB body
 * can hold a million of them.
 */
export function findUnsafeText(value: unknown, limit = 20): UnsafeText[] {
  const found: UnsafeText[] = [];
  const pending: [object, Place | null][] = [];
  // Places are made only for what is reported or walked: most members are numbers or clean strings.
  const visit = (child: unknown, parent: Place | null, key: string | number | null) => {
    const place = () => (key === null ? parent : { parent, key });
    if (typeof child === 'string') {
      const character = UNSAFE_CHARACTER.exec(child)?.[0];
      if (character !== undefined && found.length < limit) found.push({ path: pathOf(place()), message: describe(character) });
    } else if (child !== null && typeof child === 'object' && !ArrayBuffer.isView(child)) pending.push([child, place()]);
  };
  visit(value, null, null);
  // Breadth first, so that issues come in the order a reader meets them.
  for (let next = 0; next < pending.length && found.length < limit; next++) {
    const [current, parent] = pending[next]!;
    if (Array.isArray(current)) {
      for (let index = 0; index < current.length; index++) visit(current[index], parent, index);
      continue;
    }
    for (const key of Object.keys(current)) {
      const character = UNSAFE_CHARACTER.exec(key)?.[0];
      if (character === undefined) {
        visit((current as Record<string, unknown>)[key], parent, key);
        continue;
      }
      const place = { parent, key: printable(key) };
      if (found.length < limit) found.push({ path: pathOf(place), message: `is a key that ${describe(character)}` });
      visit((current as Record<string, unknown>)[key], parent, place.key);
    }
  }
  return found;
}
