import { describeDifference, differenceLocation, findSubsetDifference } from '../difference.js';
import { notMet, PASSED, typeMismatch, type ConditionKindDefinition, type ConditionOf } from '../evaluation.js';
import { isPlainObject } from '../values.js';

export const objectContains: ConditionKindDefinition<ConditionOf<'object_contains'>> = {
  expectedValue: (condition) => condition.expected,
  evaluate(condition, actual, context) {
    if (!isPlainObject(actual)) return typeMismatch(context, ['object'], actual);
    const difference = findSubsetDifference(actual, condition.expected);
    if (difference === null) return PASSED;
    return notMet(describeDifference(difference, context.location), {
      difference_path: differenceLocation(difference, context.location),
      difference: difference.kind,
    });
  },
};
