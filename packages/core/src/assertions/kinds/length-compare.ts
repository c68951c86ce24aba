import { notMet, PASSED, typeMismatch, type ConditionKindDefinition, type ConditionOf } from '../evaluation.js';
import { at } from '../path.js';
import { COMPARE_SYMBOLS, compareNumbers, describeValue, isPlainObject } from '../values.js';

export const lengthCompare: ConditionKindDefinition<ConditionOf<'length_compare'>> = {
  expectedValue: (condition) => condition.expected,
  evaluate(condition, actual, context) {
    const length = lengthOf(actual);
    if (length === null) return typeMismatch(context, ['string', 'array', 'object'], actual);
    if (compareNumbers(condition.op, length, condition.expected)) return PASSED;
    return notMet(
      `expected a length ${COMPARE_SYMBOLS[condition.op]} ${condition.expected} ${at(context.location)}, found ${length} (${describeValue(actual)})`,
      { actual_length: length },
    );
  },
};

/** Unicode code points of a string, items of an array, keys of an object. */
function lengthOf(value: unknown): number | null {
  if (typeof value === 'string') return codePointCount(value);
  if (Array.isArray(value)) return value.length;
  if (isPlainObject(value)) return Object.keys(value).length;
  return null;
}

function codePointCount(text: string): number {
  let count = 0;
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (code >= 0xd800 && code <= 0xdbff && isLowSurrogate(text.charCodeAt(index + 1))) index += 1;
    count += 1;
  }
  return count;
}

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}
