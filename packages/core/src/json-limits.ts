/**
 * Bounds on the shape of JSON that crosses a trust boundary (request bodies, block outputs).
 * Code across the server recurses over JSON values (canonical form, deep equality, rendering,
 * serialisation); a value nested thousands deep would overflow the stack there. Anything deeper
 * than `MAX_JSON_DEPTH` is refused where it enters, so every later recursion is safe.
 */
export const MAX_JSON_DEPTH = 128;

/**
 * The nesting depth of a JSON text (`1` for `[]` or `{}`, `0` for a scalar), read in one linear
 * pass without parsing; the scan stops as soon as the depth passes `stopAbove`. The text is assumed
 * to be JSON: brackets inside strings are skipped, nothing else is validated.
 */
export function jsonTextDepth(text: string, stopAbove = Number.POSITIVE_INFINITY): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (inString) {
      if (code === 0x5c) i++; // backslash: skip the escaped character
      else if (code === 0x22) inString = false;
      continue;
    }
    if (code === 0x22) inString = true;
    else if (code === 0x5b || code === 0x7b) {
      if (++depth > deepest) {
        deepest = depth;
        if (deepest > stopAbove) return deepest;
      }
    } else if (code === 0x5d || code === 0x7d) depth--;
  }
  return deepest;
}

/**
 * The nesting depth of a value made of plain objects and arrays (`0` for a scalar), walked without
 * recursion; the walk stops as soon as the depth passes `stopAbove`.
 */
export function jsonValueDepth(value: unknown, stopAbove = Number.POSITIVE_INFINITY): number {
  let deepest = 0;
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [current, depth] = stack.pop()!;
    if (current === null || typeof current !== 'object') continue;
    const inner = depth + 1;
    if (inner > deepest) {
      deepest = inner;
      if (deepest > stopAbove) return deepest;
    }
    for (const child of Array.isArray(current) ? current : Object.values(current)) {
      if (child !== null && typeof child === 'object') stack.push([child, inner]);
    }
  }
  return deepest;
}

/**
 * The UTF-8 length of `text` (as Node's Buffer encodes it) when it is over `limitBytes`, undefined
 * otherwise. A UTF-16 unit takes at most three bytes, so only text near the limit is counted.
 */
export function utf8LengthOver(text: string, limitBytes: number): number | undefined {
  if (text.length * 3 <= limitBytes) return undefined;
  let bytes = text.length;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) continue;
    if (code < 0x800) bytes += 1;
    else if (code <= 0xdbff && code >= 0xd800 && isLowSurrogate(text.charCodeAt(i + 1))) {
      bytes += 2; // a pair: four bytes for two units
      i++;
    } else bytes += 2; // three bytes, a lone surrogate too (it becomes U+FFFD)
  }
  return bytes > limitBytes ? bytes : undefined;
}

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}
