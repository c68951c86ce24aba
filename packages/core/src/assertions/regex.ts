import { RE2JS } from 're2js';
import { BoundedCache } from './lru.js';

export type CompiledRegex = { ok: true; regex: RE2JS } | { ok: false; message: string };

/** Python and PCRE constructs RE2 does not have (most would break linear time), named so the message says which one. */
const UNSUPPORTED_GROUPS: readonly (readonly [prefix: string, construct: string])[] = [
  ['(?<=', 'a lookbehind `(?<=…)`'],
  ['(?<!', 'a negative lookbehind `(?<!…)`'],
  ['(?=', 'a lookahead `(?=…)`'],
  ['(?!', 'a negative lookahead `(?!…)`'],
  ['(?P=', 'a named backreference `(?P=name)`'],
  ['(?>', 'an atomic group `(?>…)`'],
  ['(?(', 'a conditional group `(?(…)…)`'],
  ['(?#', 'a comment group `(?#…)`'],
];

/** Python's inline flag groups, `(?x)` or `(?ix:…)`, of which RE2 lacks verbose mode. */
const VERBOSE_FLAG = /\(\?[aiLmsu-]*x[aiLmsux-]*[:)]/y;

const compiled = new BoundedCache<string, CompiledRegex>(1024);

/**
 * Compiles a Python-flavoured pattern for RE2 (linear-time matching, so no pattern can hang the
 * server). `(?P<name>…)` works as is; `\Z` is Python's end of input and becomes RE2's `\z`.
 * Results, failures included, are cached by pattern.
 */
export function compileRegex(pattern: string): CompiledRegex {
  let result = compiled.get(pattern);
  if (result === undefined) {
    result = compileUncached(pattern);
    compiled.set(pattern, result);
  }
  return result;
}

function compileUncached(pattern: string): CompiledRegex {
  const construct = findUnsupportedConstruct(pattern);
  if (construct !== null) {
    return { ok: false, message: `the pattern uses ${construct}, which the linear-time regex engine (RE2) does not support` };
  }
  try {
    return { ok: true, regex: RE2JS.compile(translatePythonSyntax(pattern)) };
  } catch (error) {
    return { ok: false, message: `the pattern is not a valid regular expression: ${(error as Error).message}` };
  }
}

/** Walks the pattern outside character classes looking for backreferences and lookaround. */
export function findUnsupportedConstruct(pattern: string): string | null {
  let inClass = false;
  for (let index = 0; index < pattern.length; index++) {
    const char = pattern[index];
    if (char === '\\') {
      const next = pattern[index + 1] ?? '';
      if (!inClass && next >= '1' && next <= '9') return `a backreference \`\\${next}\``;
      if (!inClass && next === 'k' && pattern[index + 2] === '<') return 'a named backreference `\\k<name>`';
      index += 1;
    } else if (inClass) {
      inClass = char !== ']';
    } else if (char === '[') {
      inClass = true;
      index = skipLeadingClassBracket(pattern, index);
    } else if (char === '(' && pattern[index + 1] === '?') {
      const match = UNSUPPORTED_GROUPS.find(([prefix]) => pattern.startsWith(prefix, index));
      if (match) return match[1];
      VERBOSE_FLAG.lastIndex = index;
      if (VERBOSE_FLAG.test(pattern)) return 'the verbose flag `(?x)`';
    }
  }
  return null;
}

/** In `[]…]` and `[^]…]` the first `]` is a literal, not the end of the class. */
function skipLeadingClassBracket(pattern: string, open: number): number {
  let index = open;
  if (pattern[index + 1] === '^') index += 1;
  if (pattern[index + 1] === ']') index += 1;
  return index;
}

function translatePythonSyntax(pattern: string): string {
  return pattern.includes('\\Z') ? pattern.replace(/(?<!\\)((?:\\\\)*)\\Z/g, '$1\\z') : pattern;
}
