import { blocked, notMet, PASSED, typeMismatch, type ConditionKindDefinition, type ConditionOf } from '../evaluation.js';
import { at } from '../path.js';
import { compileRegex } from '../regex.js';
import { describeValue } from '../values.js';

/** Search semantics, as Python's `re.search`: the pattern may match anywhere; anchor it with `^…$`. */
export const matchesRegex: ConditionKindDefinition<ConditionOf<'matches_regex'>> = {
  expectedValue: (condition) => condition.pattern,
  evaluate(condition, actual, context) {
    const compiled = compileRegex(condition.pattern);
    if (!compiled.ok) return blocked('invalid_regex', compiled.message, { pattern: condition.pattern });
    if (typeof actual !== 'string') return typeMismatch(context, ['string'], actual);
    if (compiled.regex.test(actual)) return PASSED;
    return notMet(`expected a string matching /${condition.pattern}/ ${at(context.location)}, found ${describeValue(actual)}`);
  },
};
