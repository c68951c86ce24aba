import { canonicalJson } from '../canonical.js';
import type { CompareOp } from './conditions.js';

/** LLM extractors add side-car keys with this prefix; comparisons ignore them at any depth. */
export const REASONING_PREFIX = 'reasoning___';

export type JsonType = 'null' | 'boolean' | 'number' | 'string' | 'array' | 'object';

export function jsonType(value: unknown): JsonType {
  if (value === null || value === undefined) return 'null';
  if (Array.isArray(value)) return 'array';
  switch (typeof value) {
    case 'boolean':
      return 'boolean';
    case 'number':
      return 'number';
    case 'string':
      return 'string';
    default:
      return 'object';
  }
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** "a number", "an array", … for messages such as "expected a number at `total`". */
export function typeNoun(type: JsonType): string {
  return type === 'null' ? 'null' : type === 'array' || type === 'object' ? `an ${type}` : `a ${type}`;
}

/** Names a value for a message: `the string "12"`, `the number 3`, `the object {"a":1}`, `null`. */
export function describeValue(value: unknown): string {
  const type = jsonType(value);
  return type === 'null' ? 'null' : `the ${type} ${previewJson(value)}`;
}

/** JSON of `value` cut after about `limit` characters, without serialising the rest of a large value. */
export function previewJson(value: unknown, limit = 80): string {
  const parts: string[] = [];
  let length = 0;
  const emit = (text: string): boolean => {
    parts.push(text);
    length += text.length;
    return length <= limit;
  };
  const write = (node: unknown): boolean => {
    if (Array.isArray(node)) {
      if (!emit('[')) return false;
      for (let index = 0; index < node.length; index++) {
        if ((index > 0 && !emit(',')) || !write(node[index])) return false;
      }
      return emit(']');
    }
    if (isPlainObject(node)) {
      if (!emit('{')) return false;
      let first = true;
      for (const key in node) {
        if (node[key] === undefined) continue;
        if ((!first && !emit(',')) || !emit(JSON.stringify(key) + ':') || !write(node[key])) return false;
        first = false;
      }
      return emit('}');
    }
    return emit(JSON.stringify(node) ?? 'null');
  };
  const complete = write(value);
  const text = parts.join('');
  return complete ? text : text.slice(0, limit) + '…';
}

/** Strings as they are, anything else as canonical JSON: how text metrics see a value. */
export function comparableText(value: unknown): string {
  return typeof value === 'string' ? value : canonicalJson(value);
}

export const COMPARE_SYMBOLS: Record<CompareOp, string> = { gt: '>', gte: '>=', lt: '<', lte: '<=', eq: '==', neq: '!=' };

export function compareNumbers(op: CompareOp, actual: number, expected: number): boolean {
  switch (op) {
    case 'gt':
      return actual > expected;
    case 'gte':
      return actual >= expected;
    case 'lt':
      return actual < expected;
    case 'lte':
      return actual <= expected;
    case 'eq':
      return actual === expected;
    case 'neq':
      return actual !== expected;
  }
}
