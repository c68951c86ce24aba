import { describe } from 'node:test';
import { testCases } from '../test-support.js';

describe('exists', () => {
  testCases([
    { name: 'a present value passes', condition: { kind: 'exists' }, actual: 'x', outcome: 'passed' },
    { name: 'null is a present value', condition: { kind: 'exists' }, actual: null, outcome: 'passed' },
    { name: 'false and 0 are present values', condition: { kind: 'exists' }, actual: 0, outcome: 'passed' },
    {
      name: 'a missing path fails (never blocks) and says what is missing',
      condition: { kind: 'exists' },
      outcome: 'failed',
      code: 'condition_not_met',
      message: /expected a value at `value`, but the output has no key `value`/,
    },
  ]);
});
