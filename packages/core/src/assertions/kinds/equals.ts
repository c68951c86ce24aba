import { describeDifference, differenceLocation, findDifference } from '../difference.js';
import { notMet, PASSED, type ConditionKindDefinition, type ConditionOf } from '../evaluation.js';

export const equals: ConditionKindDefinition<ConditionOf<'equals'>> = {
  expectedValue: (condition) => condition.expected,
  evaluate(condition, actual, context) {
    const difference = findDifference(actual, condition.expected);
    if (difference === null) return PASSED;
    return notMet(describeDifference(difference, context.location), {
      difference_path: differenceLocation(difference, context.location),
      difference: difference.kind,
    });
  },
};
