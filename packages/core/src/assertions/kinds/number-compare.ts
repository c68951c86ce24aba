import { notMet, PASSED, typeMismatch, type ConditionKindDefinition, type ConditionOf } from '../evaluation.js';
import { at } from '../path.js';
import { COMPARE_SYMBOLS, compareNumbers } from '../values.js';

export const numberCompare: ConditionKindDefinition<ConditionOf<'number_compare'>> = {
  expectedValue: (condition) => condition.expected,
  evaluate(condition, actual, context) {
    if (typeof actual !== 'number') return typeMismatch(context, ['number'], actual);
    if (compareNumbers(condition.op, actual, condition.expected)) return PASSED;
    return notMet(`expected a number ${COMPARE_SYMBOLS[condition.op]} ${condition.expected} ${at(context.location)}, found ${actual}`);
  },
};
