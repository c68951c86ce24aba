import { notMet, PASSED, type ConditionKindDefinition, type ConditionOf } from '../evaluation.js';
import { at } from '../path.js';
import { describeValue } from '../values.js';

export const notExists: ConditionKindDefinition<ConditionOf<'not_exists'>> = {
  expectedValue: () => null,
  whenMissing: () => PASSED,
  evaluate: (_condition, actual, context) => notMet(`expected nothing ${at(context.location)}, found ${describeValue(actual)}`),
};
