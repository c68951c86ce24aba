import { at, childLocation, plural, type PathSegment } from './path.js';
import { describeValue, isPlainObject, REASONING_PREFIX } from './values.js';

/** Where and how two JSON values first differ, for messages that point at the exact spot. */
export type Difference =
  | { kind: 'value'; path: PathSegment[]; actual: unknown; expected: unknown }
  | { kind: 'missing_key'; path: PathSegment[]; expected: unknown }
  | { kind: 'unexpected_key'; path: PathSegment[]; actual: unknown }
  | { kind: 'length'; path: PathSegment[]; actual: unknown[]; expected: unknown[] };

/**
 * Strict deep comparison (`true` ≠ `1`, no coercion) that ignores `reasoning___` keys on both sides;
 * returns null when equal. The path array is shared while walking and copied only on a difference.
 */
export function findDifference(actual: unknown, expected: unknown): Difference | null {
  return differenceAt(actual, expected, []);
}

export function deepEqual(actual: unknown, expected: unknown): boolean {
  return differenceAt(actual, expected, []) === null;
}

function differenceAt(actual: unknown, expected: unknown, path: PathSegment[]): Difference | null {
  if (actual === expected) return null;
  if (Array.isArray(actual) && Array.isArray(expected)) return arrayDifference(actual, expected, path);
  if (isPlainObject(actual) && isPlainObject(expected)) return objectDifference(actual, expected, path);
  return { kind: 'value', path: [...path], actual, expected };
}

function arrayDifference(actual: unknown[], expected: unknown[], path: PathSegment[]): Difference | null {
  if (actual.length !== expected.length) return { kind: 'length', path: [...path], actual, expected };
  for (let index = 0; index < actual.length; index++) {
    path.push(index);
    const difference = differenceAt(actual[index], expected[index], path);
    path.pop();
    if (difference) return difference;
  }
  return null;
}

function objectDifference(actual: Record<string, unknown>, expected: Record<string, unknown>, path: PathSegment[]): Difference | null {
  for (const key in expected) {
    if (isIgnoredEntry(expected, key)) continue;
    if (isIgnoredEntry(actual, key)) return { kind: 'missing_key', path: [...path, key], expected: expected[key] };
    path.push(key);
    const difference = differenceAt(actual[key], expected[key], path);
    path.pop();
    if (difference) return difference;
  }
  for (const key in actual) {
    if (!isIgnoredEntry(actual, key) && isIgnoredEntry(expected, key)) {
      return { kind: 'unexpected_key', path: [...path, key], actual: actual[key] };
    }
  }
  return null;
}

/** A key that takes no part in comparisons: absent, undefined (not JSON) or a `reasoning___` side-car. */
function isIgnoredEntry(object: Record<string, unknown>, key: string): boolean {
  return !Object.hasOwn(object, key) || object[key] === undefined || key.startsWith(REASONING_PREFIX);
}

/**
 * Where `expected`, read as a pattern, first fails to be part of `actual`: every key of an
 * expected object must be in the actual object with a matching value, nested objects matched the
 * same way, anything else (arrays, scalars) compared with strict deep equality.
 */
export function findSubsetDifference(actual: Record<string, unknown>, expected: Record<string, unknown>, path: PathSegment[] = []): Difference | null {
  for (const key in expected) {
    if (isIgnoredEntry(expected, key)) continue;
    if (isIgnoredEntry(actual, key)) return { kind: 'missing_key', path: [...path, key], expected: expected[key] };
    const actualValue = actual[key];
    const expectedValue = expected[key];
    path.push(key);
    const difference =
      isPlainObject(actualValue) && isPlainObject(expectedValue)
        ? findSubsetDifference(actualValue, expectedValue, path)
        : differenceAt(actualValue, expectedValue, path);
    path.pop();
    if (difference) return difference;
  }
  return null;
}

/** The spot where a difference lies, relative to the payload: `items[1].price`. */
export function differenceLocation(difference: Difference, location: string): string {
  return difference.path.reduce<string>(childLocation, location);
}

/** "expected the number 13 at `total`, found the number 12", and the like for keys and lengths. */
export function describeDifference(difference: Difference, location: string): string {
  const where = differenceLocation(difference, location);
  switch (difference.kind) {
    case 'value':
      return `expected ${describeValue(difference.expected)} ${at(where)}, found ${describeValue(difference.actual)}`;
    case 'missing_key':
      return `expected ${describeValue(difference.expected)} ${at(where)}, found no such key`;
    case 'unexpected_key':
      return `found an unexpected key ${at(where)} holding ${describeValue(difference.actual)}`;
    case 'length':
      return `expected ${plural(difference.expected.length, 'item')} ${at(where)}, found ${difference.actual.length}`;
  }
}
