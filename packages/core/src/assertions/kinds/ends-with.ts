import { notMet, PASSED, typeMismatch, type ConditionKindDefinition, type ConditionOf } from '../evaluation.js';
import { at } from '../path.js';
import { describeValue } from '../values.js';

export const endsWith: ConditionKindDefinition<ConditionOf<'ends_with'>> = {
  expectedValue: (condition) => condition.expected,
  evaluate(condition, actual, context) {
    if (typeof actual !== 'string') return typeMismatch(context, ['string'], actual);
    if (actual.endsWith(condition.expected)) return PASSED;
    return notMet(`expected a string ending with ${JSON.stringify(condition.expected)} ${at(context.location)}, found ${describeValue(actual)}`);
  },
};
