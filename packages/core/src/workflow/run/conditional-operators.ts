import { compileRegex } from '../../assertions/regex.js';
import { isJsonObject } from '../values.js';
import { canonicalJson } from '../../canonical.js';

/** Retab's conditional operators (retab-workflow-model §2.3), grouped as its docs group them. */
export const CONDITION_OPERATORS = [
  'exists', 'does_not_exist', 'is_empty', 'is_not_empty',
  'is_equal_to', 'is_not_equal_to',
  'contains', 'starts_with', 'ends_with', 'matches_regex',
  'is_greater_than', 'is_less_than', 'is_greater_than_or_equal_to', 'is_less_than_or_equal_to',
  'is_true', 'is_false',
  'length_equal_to', 'length_greater_than', 'length_less_than',
  'is_after', 'is_before', 'is_after_or_equal_to', 'is_before_or_equal_to',
] as const;
export type ConditionOperator = (typeof CONDITION_OPERATORS)[number];

/** Operators that look at the value alone; any `value` in their config is ignored. */
export const UNARY_OPERATORS: readonly ConditionOperator[] = ['exists', 'does_not_exist', 'is_empty', 'is_not_empty', 'is_true', 'is_false'];

/** What a path reached: `found` is false when a key or index along it is missing. */
export interface Operand {
  found: boolean;
  value: unknown;
}

/** Numbers, and strings that are numbers ("12.5"): configs typed in a form hold strings. */
function asNumber(value: unknown): number | null {
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value === 'string' && value.trim() !== '') {
    const number = Number(value);
    return Number.isFinite(number) ? number : null;
  }
  return null;
}

function asInstant(value: unknown): number | null {
  if (typeof value !== 'string' || value.trim() === '') return null;
  const instant = Date.parse(value.trim());
  return Number.isNaN(instant) ? null : instant;
}

/**
 * Equality as a form-typed config needs it: JSON-equal, or equal as numbers when either side is a
 * number and the other a numeric string, or equal as booleans against "true"/"false".
 */
export function looselyEqual(actual: unknown, expected: unknown): boolean {
  if (typeof actual === 'number' || typeof expected === 'number') {
    const [a, b] = [asNumber(actual), asNumber(expected)];
    if (a !== null && b !== null) return a === b;
  }
  if (typeof actual === 'boolean' && typeof expected === 'string') return String(actual) === expected.trim().toLowerCase();
  if (typeof expected === 'boolean' && typeof actual === 'string') return String(expected) === actual.trim().toLowerCase();
  if (typeof actual !== 'object' || typeof expected !== 'object' || actual === null || expected === null) return actual === expected;
  return canonicalJson(actual) === canonicalJson(expected);
}

function isEmpty(operand: Operand): boolean {
  const { found, value } = operand;
  if (!found || value === null || value === '') return true;
  if (Array.isArray(value)) return value.length === 0;
  return isJsonObject(value) && Object.keys(value).length === 0;
}

function lengthOf(value: unknown): number | null {
  if (Array.isArray(value) || typeof value === 'string') return value.length;
  return null;
}

function compareNumbers(actual: unknown, expected: unknown, holds: (a: number, b: number) => boolean): boolean {
  const [a, b] = [asNumber(actual), asNumber(expected)];
  return a !== null && b !== null && holds(a, b);
}

function compareInstants(actual: unknown, expected: unknown, holds: (a: number, b: number) => boolean): boolean {
  const [a, b] = [asInstant(actual), asInstant(expected)];
  return a !== null && b !== null && holds(a, b);
}

function compareLengths(actual: unknown, expected: unknown, holds: (a: number, b: number) => boolean): boolean {
  const [a, b] = [lengthOf(actual), asNumber(expected)];
  return a !== null && b !== null && holds(a, b);
}

function stringTest(actual: unknown, expected: unknown, holds: (a: string, b: string) => boolean): boolean {
  return typeof actual === 'string' && (typeof expected === 'string' || typeof expected === 'number') && holds(actual, String(expected));
}

const gt = (a: number, b: number) => a > b;
const lt = (a: number, b: number) => a < b;
const ge = (a: number, b: number) => a >= b;
const le = (a: number, b: number) => a <= b;
const eq = (a: number, b: number) => a === b;

const OPERATORS: Record<ConditionOperator, (operand: Operand, expected: unknown) => boolean> = {
  exists: ({ found, value }) => found && value !== null,
  does_not_exist: ({ found, value }) => !found || value === null,
  is_empty: (operand) => isEmpty(operand),
  is_not_empty: (operand) => !isEmpty(operand),
  is_equal_to: ({ found, value }, expected) => found && looselyEqual(value, expected),
  is_not_equal_to: ({ found, value }, expected) => !found || !looselyEqual(value, expected),
  contains: ({ value }, expected) =>
    Array.isArray(value) ? value.some((item) => looselyEqual(item, expected)) : stringTest(value, expected, (a, b) => a.includes(b)),
  starts_with: ({ value }, expected) => stringTest(value, expected, (a, b) => a.startsWith(b)),
  ends_with: ({ value }, expected) => stringTest(value, expected, (a, b) => a.endsWith(b)),
  matches_regex: ({ value }, expected) => {
    if (typeof value !== 'string' || typeof expected !== 'string') return false;
    const compiled = compileRegex(expected);
    return compiled.ok && compiled.regex.test(value);
  },
  is_greater_than: ({ value }, expected) => compareNumbers(value, expected, gt),
  is_less_than: ({ value }, expected) => compareNumbers(value, expected, lt),
  is_greater_than_or_equal_to: ({ value }, expected) => compareNumbers(value, expected, ge),
  is_less_than_or_equal_to: ({ value }, expected) => compareNumbers(value, expected, le),
  is_true: ({ value }) => value === true,
  is_false: ({ value }) => value === false,
  length_equal_to: ({ value }, expected) => compareLengths(value, expected, eq),
  length_greater_than: ({ value }, expected) => compareLengths(value, expected, gt),
  length_less_than: ({ value }, expected) => compareLengths(value, expected, lt),
  is_after: ({ value }, expected) => compareInstants(value, expected, gt),
  is_before: ({ value }, expected) => compareInstants(value, expected, lt),
  is_after_or_equal_to: ({ value }, expected) => compareInstants(value, expected, ge),
  is_before_or_equal_to: ({ value }, expected) => compareInstants(value, expected, le),
};

/** Whether `operand` satisfies `operator` against `expected`; never throws. */
export function applyOperator(operator: ConditionOperator, operand: Operand, expected: unknown): boolean {
  return OPERATORS[operator](operand, expected);
}
