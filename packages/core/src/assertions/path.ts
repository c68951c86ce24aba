import { BoundedCache } from './lru.js';

/** A key of an object, or (when a number) an index into an array or a key made of digits. */
export type PathSegment = string | number;

export type ParsedPath = { ok: true; segments: readonly PathSegment[] } | { ok: false; message: string };

export type PathResolution = { found: true; value: unknown } | { found: false; missing: string };

const ROOT: ParsedPath = { ok: true, segments: [] };
const CANONICAL_INDEX = /^(?:0|[1-9]\d*)$/;
const parsedPaths = new BoundedCache<string, ParsedPath>(2048);

/**
 * Parses a dotted path (`items.0.price`, `items[0].price`, `[2]`); null, empty or blank means the
 * whole payload. Malformed paths (`items[x`, `a..b`) are reported, never thrown.
 */
export function parsePath(path: string | null | undefined): ParsedPath {
  if (path == null || path.trim() === '') return ROOT;
  let parsed = parsedPaths.get(path);
  if (parsed === undefined) {
    parsed = parseUncached(path);
    parsedPaths.set(path, parsed);
  }
  return parsed;
}

function parseUncached(path: string): ParsedPath {
  const segments: PathSegment[] = [];
  const malformed = (reason: string): ParsedPath => ({ ok: false, message: `the path \`${path}\` is malformed: ${reason}` });
  let position = 0;
  while (position < path.length) {
    if (path[position] === '[') {
      const close = path.indexOf(']', position);
      if (close === -1) return malformed(`the \`[\` at position ${position + 1} is never closed`);
      const index = path.slice(position + 1, close);
      if (!CANONICAL_INDEX.test(index)) return malformed(`\`[${index}]\` is not an array index (write a non-negative integer such as \`[0]\`)`);
      segments.push(Number(index));
      position = close + 1;
    } else {
      const end = endOfName(path, position);
      if (end === position) return malformed(emptySegmentReason(path, position));
      const name = path.slice(position, end);
      segments.push(CANONICAL_INDEX.test(name) ? Number(name) : name);
      position = end;
    }
    if (position === path.length) break;
    if (path[position] === '.') {
      position += 1;
      if (position === path.length) return malformed('it ends with a dot');
    } else if (path[position] === ']') {
      return malformed(unmatchedCloseReason(position));
    } else if (path[position] !== '[') {
      return malformed(`expected \`.\` or \`[\` at position ${position + 1}, found \`${path[position]}\``);
    }
  }
  return { ok: true, segments };
}

function endOfName(path: string, start: number): number {
  let end = start;
  while (end < path.length && path[end] !== '.' && path[end] !== '[' && path[end] !== ']') end += 1;
  return end;
}

function unmatchedCloseReason(position: number): string {
  return `the \`]\` at position ${position + 1} has no matching \`[\``;
}

function emptySegmentReason(path: string, position: number): string {
  if (path[position] === ']') return unmatchedCloseReason(position);
  return position === 0 ? 'it starts with a dot' : `there is an empty segment at position ${position + 1}`;
}

/** Finds the value at `path` inside `payload`; walking through null, a missing key or an index out of range finds nothing. */
export function resolvePath(payload: unknown, path: string | null | undefined): PathResolution {
  const parsed = parsePath(path);
  return parsed.ok ? walkPath(payload, parsed.segments) : { found: false, missing: parsed.message };
}

export function walkPath(payload: unknown, segments: readonly PathSegment[]): PathResolution {
  let current = payload;
  for (let depth = 0; depth < segments.length; depth++) {
    const next = child(current, segments[depth]);
    if (next === undefined) return { found: false, missing: describeMissing(current, segments, depth) };
    current = next;
  }
  return current === undefined ? { found: false, missing: 'the output is empty' } : { found: true, value: current };
}

function child(container: unknown, segment: PathSegment): unknown {
  if (Array.isArray(container)) return typeof segment === 'number' ? container[segment] : undefined;
  if (container !== null && typeof container === 'object') {
    const key = String(segment);
    return Object.hasOwn(container, key) ? (container as Record<string, unknown>)[key] : undefined;
  }
  return undefined;
}

function describeMissing(container: unknown, segments: readonly PathSegment[], depth: number): string {
  const where = describeLocation(formatPath(segments.slice(0, depth)));
  const segment = segments[depth];
  if (container === null) return `${where} is null`;
  if (Array.isArray(container)) {
    return typeof segment === 'number'
      ? `${where} has ${plural(container.length, 'item')}, so index ${segment} is out of range`
      : `${where} is an array, so it has no key \`${segment}\``;
  }
  if (typeof container === 'object') return `${where} has no key \`${segment}\``;
  return `${where} is a ${typeof container}, not an object or array`;
}

/** The canonical spelling of a path: dotted keys, `[n]` for indices (`items[0].price`); '' for the payload itself. */
export function formatPath(segments: readonly PathSegment[]): string {
  let text = '';
  for (const segment of segments) text = childLocation(text, segment);
  return text;
}

export function childLocation(location: string, segment: PathSegment): string {
  if (typeof segment === 'number') return `${location}[${segment}]`;
  return location === '' ? segment : `${location}.${segment}`;
}

/** How messages name a location: "`vendor.name`", or "the output" for the whole payload. */
export function describeLocation(location: string): string {
  return location === '' ? 'the output' : `\`${location}\``;
}

/** "at `total`", or "in the output" when the assertion targets the whole payload. */
export function at(location: string): string {
  return location === '' ? 'in the output' : `at ${describeLocation(location)}`;
}

export function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}
