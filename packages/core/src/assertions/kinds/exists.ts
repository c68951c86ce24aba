import { notMet, PASSED, type ConditionKindDefinition, type ConditionOf } from '../evaluation.js';
import { at } from '../path.js';

export const exists: ConditionKindDefinition<ConditionOf<'exists'>> = {
  expectedValue: () => null,
  whenMissing: (_condition, missing, context) => notMet(`expected a value ${at(context.location)}, but ${missing}`, { missing }),
  evaluate: () => PASSED,
};
