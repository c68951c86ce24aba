import { notMet, PASSED, typeMismatch, type ConditionKindDefinition, type ConditionOf } from '../evaluation.js';
import { at } from '../path.js';
import { describeValue } from '../values.js';

export const startsWith: ConditionKindDefinition<ConditionOf<'starts_with'>> = {
  expectedValue: (condition) => condition.expected,
  evaluate(condition, actual, context) {
    if (typeof actual !== 'string') return typeMismatch(context, ['string'], actual);
    if (actual.startsWith(condition.expected)) return PASSED;
    return notMet(`expected a string starting with ${JSON.stringify(condition.expected)} ${at(context.location)}, found ${describeValue(actual)}`);
  },
};
