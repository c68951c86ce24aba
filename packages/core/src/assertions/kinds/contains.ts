import { deepEqual } from '../difference.js';
import { blocked, notMet, PASSED, typeMismatch, type ConditionKindDefinition, type ConditionOf, type Evaluation, type EvaluationContext } from '../evaluation.js';
import { at, describeLocation } from '../path.js';
import { describeValue, isPlainObject, jsonType } from '../values.js';

/**
 * What `contains` means for the value found: a substring of a string, a deep-equal element of an
 * array, a key of an object. Any other pairing cannot be evaluated and comes back as `blocked`.
 */
export function checkContainment(expected: unknown, actual: unknown, context: EvaluationContext): boolean | Evaluation {
  if (typeof actual === 'string') {
    return typeof expected === 'string' ? actual.includes(expected) : wrongNeedle(context, actual, 'a substring', expected);
  }
  if (Array.isArray(actual)) return actual.some((item) => deepEqual(item, expected));
  if (isPlainObject(actual)) {
    if (typeof expected !== 'string') return wrongNeedle(context, actual, 'a key', expected);
    return Object.hasOwn(actual, expected) && actual[expected] !== undefined;
  }
  return typeMismatch(context, ['string', 'array', 'object'], actual);
}

function wrongNeedle(context: EvaluationContext, actual: string | object, soughtThing: string, expected: unknown): Evaluation {
  const haystack = `the ${jsonType(actual)} ${at(context.location)}`;
  const message = `${haystack} can only be searched for ${soughtThing}, so the expected value must be a string; it is ${describeValue(expected)}`;
  return blocked('type_error', message, { expected_type: 'string' });
}

/** "`tags` does not contain the string \"urgent\"; found …", or "`vendor` has no key `zip`; found …". */
function absenceMessage(expected: unknown, actual: unknown, location: string): string {
  const subject = describeLocation(location);
  const absence = isPlainObject(actual) ? `has no key \`${String(expected)}\`` : `does not contain ${describeValue(expected)}`;
  return `${subject} ${absence}; found ${describeValue(actual)}`;
}

/** "`tags` contains the string \"spam\", which it must not", or "`vendor` has the key `ssn`, which it must not". */
export function presenceMessage(expected: unknown, actual: unknown, location: string): string {
  const subject = describeLocation(location);
  const presence = isPlainObject(actual) ? `has the key \`${String(expected)}\`` : `contains ${describeValue(expected)}`;
  return `${subject} ${presence}, which it must not`;
}

export const contains: ConditionKindDefinition<ConditionOf<'contains'>> = {
  expectedValue: (condition) => condition.expected,
  evaluate(condition, actual, context) {
    const contained = checkContainment(condition.expected, actual, context);
    if (typeof contained !== 'boolean') return contained;
    return contained ? PASSED : notMet(absenceMessage(condition.expected, actual, context.location));
  },
};
