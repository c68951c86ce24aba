import { describe } from 'node:test';
import { testCases } from '../test-support.js';

describe('not_exists', () => {
  testCases([
    { name: 'a missing path passes', condition: { kind: 'not_exists' }, outcome: 'passed' },
    {
      name: 'a present value fails and shows it',
      condition: { kind: 'not_exists' },
      actual: 'leak',
      outcome: 'failed',
      code: 'condition_not_met',
      message: /expected nothing at `value`, found the string "leak"/,
    },
    { name: 'a present null fails', condition: { kind: 'not_exists' }, actual: null, outcome: 'failed', code: 'condition_not_met' },
  ]);
});
