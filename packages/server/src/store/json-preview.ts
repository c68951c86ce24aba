/**
 * A bounded view of a JSON object too large to read whole, built from the first and the last
 * characters of its text (a few KiB each, whatever its size). Members that lie wholly inside one of
 * those windows are kept; the member the first window cuts becomes a short preview. A member that
 * starts and ends between the windows is not seen at all: only objects with two or more long
 * members lose one, and their row says that it was truncated.
 *
 * The text is JSON.stringify's (what the store writes): the scans below rely on it being valid JSON.
 */

export interface ObjectPreview {
  /** The members read, in their order; the cut one holds a preview (or null when its type cannot be a string). */
  value: Record<string, unknown>;
  /** Keys whose value is a preview or a placeholder null instead of the stored value. */
  cutKeys: string[];
}

export interface PreviewOptions {
  /** Characters of the cut member's JSON kept in its preview. */
  previewCharacters: number;
  /** Members whose type is an object, which a string preview would contradict: they become null. */
  nullWhenCut: ReadonlySet<string>;
}

const isSpace = (character: string | undefined) => character === ' ' || character === '\n' || character === '\r' || character === '\t';

/** The index just past the string that opens at `start`, or -1 when the text ends first. */
function stringEnd(text: string, start: number): number {
  for (let index = start + 1; index < text.length; index++) {
    const character = text[index];
    if (character === '\\') index++;
    else if (character === '"') return index + 1;
  }
  return -1;
}

/** The index of the `,` or `}` that ends the value starting at `start`, or -1 when the text ends first. */
function valueEnd(text: string, start: number): number {
  let depth = 0;
  for (let index = start; index < text.length; index++) {
    const character = text[index];
    if (character === '"') {
      index = stringEnd(text, index) - 1;
      if (index < 0) return -1;
    } else if (character === '[' || character === '{') depth++;
    else if (character === ']' || character === '}') {
      if (depth === 0) return index;
      depth--;
    } else if (character === ',' && depth === 0) return index;
  }
  return -1;
}

interface Leading {
  /** Complete members as text, `"key":value`. */
  members: string[];
  /** The member the window cuts: its key and the beginning of its value. */
  cut: { key: string; partialValue: string } | null;
  /** The closing brace is inside the window: nothing was cut. */
  complete: boolean;
}

/** Members readable from the first characters of an object's text; null when the text is not an object. */
function leadingMembers(head: string): Leading | null {
  let index = 0;
  while (isSpace(head[index])) index++;
  if (head[index] !== '{') return null;
  const members: string[] = [];
  index++;
  for (;;) {
    while (isSpace(head[index]) || head[index] === ',') index++;
    if (index >= head.length) return { members, cut: null, complete: false };
    if (head[index] === '}') return { members, cut: null, complete: true };
    const memberStart = index;
    const keyEnd = stringEnd(head, memberStart);
    if (keyEnd < 0) return { members, cut: null, complete: false };
    const key = JSON.parse(head.slice(memberStart, keyEnd)) as string;
    index = keyEnd;
    while (isSpace(head[index]) || head[index] === ':') index++;
    const end = valueEnd(head, index);
    if (end < 0) return { members, cut: { key, partialValue: head.slice(index) }, complete: false };
    members.push(head.slice(memberStart, end));
    index = end;
  }
}

/** Whether the `"` at `index` is escaped (preceded by an odd run of backslashes); null when that run may begin before the window. */
function escapedQuote(text: string, index: number): boolean | null {
  let before = index - 1;
  while (before >= 0 && text[before] === '\\') before--;
  if (before < 0) return null;
  return (index - 1 - before) % 2 === 1;
}

/**
 * Members readable from the last characters of an object's text, in their order. Read backwards
 * from the closing brace, which is outside any string, so every quote tells where strings are.
 */
function trailingMembers(tail: string): string[] {
  let index = tail.length - 1;
  while (isSpace(tail[index])) index--;
  if (tail[index] !== '}') return [];
  const members: string[] = [];
  let memberEnd = index;
  let depth = 0;
  let inString = false;
  for (index--; index >= 0; index--) {
    const character = tail[index];
    if (character === '"') {
      const escaped = escapedQuote(tail, index);
      if (escaped === null) break;
      if (!escaped) inString = !inString;
    } else if (inString) continue;
    else if (character === '}' || character === ']') depth++;
    else if ((character === '{' || character === '[') && depth > 0) depth--;
    else if (depth === 0 && (character === ',' || character === '{')) {
      const member = tail.slice(index + 1, memberEnd).trim();
      if (member !== '') members.push(member);
      if (character === '{') break;
      memberEnd = index;
    }
  }
  return members.reverse();
}

function memberEntry(memberText: string): [string, unknown] {
  return Object.entries(JSON.parse(`{${memberText}}`) as Record<string, unknown>)[0]!;
}

/** The start of a value's JSON text, ending in `…`; a string's own characters when the value is a string. */
export function previewOf(partialValue: string, characters: number): string {
  const start = partialValue.slice(0, characters).replace(/\uFFFD+$/, '');
  if (start.startsWith('"')) {
    // The cut may split an escape sequence (at most 6 characters): drop what it left of one.
    for (let dropped = 0; dropped <= 6 && dropped < start.length; dropped++) {
      const text = start.slice(0, start.length - dropped);
      for (const attempt of [`${text}"`, text]) {
        try {
          const value: unknown = JSON.parse(attempt);
          if (typeof value === 'string') return `${value}…`;
        } catch {
          // not yet a whole string
        }
      }
    }
  }
  return `${start}…`;
}

/** The object whose text begins with `head` and ends with `tail`, with its long members cut; null when it is not an object. */
export function previewObject(head: string, tail: string, options: PreviewOptions): ObjectPreview | null {
  const leading = leadingMembers(head);
  if (!leading) return null;
  const entries = new Map<string, unknown>(leading.members.map(memberEntry));
  const cutKeys: string[] = [];
  const trailing = leading.complete ? [] : trailingMembers(tail).map(memberEntry);
  const cut = leading.cut;
  if (cut && !trailing.some(([key]) => key === cut.key)) {
    entries.set(cut.key, options.nullWhenCut.has(cut.key) ? null : previewOf(cut.partialValue, options.previewCharacters));
    cutKeys.push(cut.key);
  }
  for (const [key, value] of trailing) if (!entries.has(key)) entries.set(key, value);
  return { value: Object.fromEntries(entries), cutKeys };
}
