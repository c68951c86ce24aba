import { findSubsetDifference } from '../difference.js';
import { notMet, PASSED, typeMismatch, type ConditionKindDefinition, type ConditionOf } from '../evaluation.js';
import { at, plural } from '../path.js';
import { isPlainObject, previewJson } from '../values.js';

/** Passes when some element is an object holding every key of `expected` (matched as `object_contains`). */
export const arrayContains: ConditionKindDefinition<ConditionOf<'array_contains'>> = {
  expectedValue: (condition) => condition.expected,
  evaluate(condition, actual, context) {
    if (!Array.isArray(actual)) return typeMismatch(context, ['array'], actual);
    if (actual.some((item) => isPlainObject(item) && findSubsetDifference(item, condition.expected) === null)) return PASSED;
    const found = actual.length === 0 ? 'the array is empty' : `none of its ${plural(actual.length, 'item')} does`;
    return notMet(`expected an item containing ${previewJson(condition.expected)} ${at(context.location)}, but ${found}`, { item_count: actual.length });
  },
};
