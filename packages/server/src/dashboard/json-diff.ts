import { deepEqual, jsonValueDepth, MAX_JSON_DEPTH } from '@verdict/core';

export type DiffChange = 'same' | 'removed' | 'added';

/** One line of pretty-printed JSON, marked as in both values, only in the expected one, or only in the actual one. */
export interface DiffLine {
  change: DiffChange;
  text: string;
}

const INDENT = '  ';

/**
 * Rendering stops at this depth. Nothing deeper enters the server any more, but the store may hold
 * values accepted before that bound, and printing or comparing them would overflow the stack.
 */
export const RENDER_DEPTH_LIMIT = MAX_JSON_DEPTH;
const CUT_MARK = `… nested deeper than ${RENDER_DEPTH_LIMIT} levels`;
/** Stands for a cut container while the value is printed; its printed form is then replaced by `CUT_MARK`. */
const CUT_PLACEHOLDER = '\u0000verdict:cut\u0000';

function cutCopy(value: unknown, depth: number): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (depth >= RENDER_DEPTH_LIMIT) return CUT_PLACEHOLDER;
  if (Array.isArray(value)) return value.map((item) => cutCopy(item, depth + 1));
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, cutCopy(item, depth + 1)]));
}

/** `value` itself, or when it nests past the limit a copy whose containers below it are placeholders. */
function cutPastLimit(value: unknown): unknown {
  return jsonValueDepth(value, RENDER_DEPTH_LIMIT) > RENDER_DEPTH_LIMIT ? cutCopy(value, 0) : value;
}

function printed(value: unknown): string {
  return (JSON.stringify(value, null, INDENT.length) ?? 'null').replaceAll(JSON.stringify(CUT_PLACEHOLDER), CUT_MARK);
}

/** JSON with two-space indentation; containers past the depth limit are shown as `… nested deeper than N levels`. */
export function prettyJson(value: unknown): string {
  return printed(cutPastLimit(value));
}

interface Placement {
  indent: string;
  /** `"key": ` inside an object, empty elsewhere. */
  prefix: string;
  /** `,` unless the entry is the last of its container. */
  suffix: string;
}

type JsonObject = Record<string, unknown>;

const isObject = (value: unknown): value is JsonObject => value !== null && typeof value === 'object' && !Array.isArray(value);

/** Objects and arrays: the values worth a line-by-line diff. */
export function isStructured(value: unknown): boolean {
  return value !== null && typeof value === 'object';
}

/**
 * A git-style diff of two JSON values: both printed with two-space indentation, unchanged parts
 * shared, differing parts shown as the expected lines (`removed`) followed by the actual ones
 * (`added`). Arrays are compared index by index. Equality is the assertion engine's own, so keys
 * it ignores (`reasoning___…`) never show up as differences. Past the depth limit both values are
 * cut, and the cut parts are shown, not compared.
 */
export function jsonDiff(expected: unknown, actual: unknown): DiffLine[] {
  return diffValues(cutPastLimit(expected), cutPastLimit(actual), { indent: '', prefix: '', suffix: '' });
}

function diffValues(expected: unknown, actual: unknown, at: Placement): DiffLine[] {
  if (deepEqual(actual, expected)) return valueLines('same', actual, at);
  if (isObject(expected) && isObject(actual)) return diffObjects(expected, actual, at);
  if (Array.isArray(expected) && Array.isArray(actual)) return diffArrays(expected, actual, at);
  return [...valueLines('removed', expected, at), ...valueLines('added', actual, at)];
}

function diffObjects(expected: JsonObject, actual: JsonObject, at: Placement): DiffLine[] {
  const keys = [...Object.keys(expected), ...Object.keys(actual).filter((key) => !Object.hasOwn(expected, key))];
  const entries = keys.map((key, index) => {
    const entry = { indent: at.indent + INDENT, prefix: `${JSON.stringify(key)}: `, suffix: index < keys.length - 1 ? ',' : '' };
    if (!Object.hasOwn(actual, key)) return valueLines(oneSidedChange('removed', key, expected[key]), expected[key], entry);
    if (!Object.hasOwn(expected, key)) return valueLines(oneSidedChange('added', key, actual[key]), actual[key], entry);
    return diffValues(expected[key], actual[key], entry);
  });
  return bracketed('{', '}', entries.flat(), at);
}

function diffArrays(expected: unknown[], actual: unknown[], at: Placement): DiffLine[] {
  const length = Math.max(expected.length, actual.length);
  const items = Array.from({ length }, (_, index) => {
    const item = { indent: at.indent + INDENT, prefix: '', suffix: index < length - 1 ? ',' : '' };
    if (index >= actual.length) return valueLines('removed', expected[index], item);
    if (index >= expected.length) return valueLines('added', actual[index], item);
    return diffValues(expected[index], actual[index], item);
  });
  return bracketed('[', ']', items.flat(), at);
}

/** A key on one side only is a difference unless the assertion engine ignores it. */
function oneSidedChange(change: DiffChange, key: string, value: unknown): DiffChange {
  return deepEqual({ [key]: value }, {}) ? 'same' : change;
}

function bracketed(open: string, close: string, inner: DiffLine[], at: Placement): DiffLine[] {
  return [{ change: 'same', text: at.indent + at.prefix + open }, ...inner, { change: 'same', text: at.indent + close + at.suffix }];
}

function valueLines(change: DiffChange, value: unknown, at: Placement): DiffLine[] {
  const lines = printed(value).split('\n');
  return lines.map((line, index) => ({
    change,
    text: at.indent + (index === 0 ? at.prefix : '') + line + (index === lines.length - 1 ? at.suffix : ''),
  }));
}
