import { blocked, notMet, PASSED, typeMismatch, type ConditionKindDefinition, type ConditionOf } from '../evaluation.js';
import { at } from '../path.js';

type BetweenCondition = ConditionOf<'between'>;

export const between: ConditionKindDefinition<BetweenCondition> = {
  expectedValue: ({ lower, upper, inclusive }) => ({ lower, upper, inclusive }),
  evaluate(condition, actual, context) {
    const { lower, upper } = condition;
    if (lower > upper) {
      return blocked('execution_error', `the range is empty: its lower bound ${lower} is greater than its upper bound ${upper}`, { lower, upper });
    }
    if (typeof actual !== 'number') return typeMismatch(context, ['number'], actual);
    if (isWithin(condition, actual)) return PASSED;
    return notMet(`expected a number ${describeRange(condition)} ${at(context.location)}, found ${actual}`);
  },
};

function isWithin({ lower, upper, inclusive }: BetweenCondition, value: number): boolean {
  return inclusive ? lower <= value && value <= upper : lower < value && value < upper;
}

function describeRange({ lower, upper, inclusive }: BetweenCondition): string {
  return `between ${lower} and ${upper} (${inclusive ? 'inclusive' : 'exclusive'})`;
}
