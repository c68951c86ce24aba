import { describe } from 'node:test';
import { testCases } from '../test-support.js';

const notEquals = (expected: unknown) => ({ kind: 'not_equals', expected });

describe('not_equals', () => {
  testCases([
    { name: 'a different value passes', condition: notEquals('draft'), actual: 'final', outcome: 'passed' },
    { name: 'true differs from 1', condition: notEquals(1), actual: true, outcome: 'passed' },
    {
      name: 'an equal value fails, reasoning___ keys ignored',
      condition: notEquals({ a: 1 }),
      actual: { a: 1, reasoning___a: 'why' },
      outcome: 'failed',
      code: 'condition_not_met',
      message: /expected anything but the object \{"a":1\} at `value`/,
    },
    { name: 'a missing path fails with path_not_found', condition: notEquals(1), outcome: 'failed', code: 'path_not_found' },
  ]);
});
