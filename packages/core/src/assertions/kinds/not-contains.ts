import { notMet, PASSED, type ConditionKindDefinition, type ConditionOf } from '../evaluation.js';
import { checkContainment, presenceMessage } from './contains.js';

export const notContains: ConditionKindDefinition<ConditionOf<'not_contains'>> = {
  expectedValue: (condition) => condition.expected,
  evaluate(condition, actual, context) {
    const contained = checkContainment(condition.expected, actual, context);
    if (typeof contained !== 'boolean') return contained;
    return contained ? notMet(presenceMessage(condition.expected, actual, context.location)) : PASSED;
  },
};
