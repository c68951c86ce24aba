import { describe } from 'node:test';
import { testCases } from '../test-support.js';

const length = (op: string, expected: number) => ({ kind: 'length_compare', op, expected });

describe('length_compare', () => {
  testCases([
    { name: 'string length in code points (emoji count once)', condition: length('eq', 3), actual: 'a😀b', outcome: 'passed' },
    { name: 'array length', condition: length('gte', 2), actual: [1, 2], outcome: 'passed' },
    { name: 'object key count', condition: length('eq', 2), actual: { a: 1, b: 2 }, outcome: 'passed' },
    { name: 'an empty string has length 0', condition: length('eq', 0), actual: '', outcome: 'passed' },
    {
      name: 'a failure reports the length found',
      condition: length('gt', 3),
      actual: [1, 2],
      outcome: 'failed',
      code: 'condition_not_met',
      message: /expected a length > 3 at `value`, found 2 \(the array \[1,2\]\)/,
      details: { actual_length: 2 },
    },
    { name: 'a number has no length', condition: length('eq', 1), actual: 7, outcome: 'blocked', code: 'type_error', message: /expected a string, an array or an object at `value`, found the number 7/ },
    { name: 'null has no length', condition: length('eq', 0), actual: null, outcome: 'blocked', code: 'type_error' },
  ]);
});
