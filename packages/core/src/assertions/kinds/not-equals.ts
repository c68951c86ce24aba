import { deepEqual } from '../difference.js';
import { notMet, PASSED, type ConditionKindDefinition, type ConditionOf } from '../evaluation.js';
import { at } from '../path.js';
import { describeValue } from '../values.js';

export const notEquals: ConditionKindDefinition<ConditionOf<'not_equals'>> = {
  expectedValue: (condition) => condition.expected,
  evaluate(condition, actual, context) {
    if (!deepEqual(actual, condition.expected)) return PASSED;
    return notMet(`expected anything but ${describeValue(condition.expected)} ${at(context.location)}, found exactly that`);
  },
};
