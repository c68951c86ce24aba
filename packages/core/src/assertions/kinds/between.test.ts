import { describe } from 'node:test';
import { testCases } from '../test-support.js';

const between = (lower: number, upper: number, inclusive?: boolean) => ({ kind: 'between', lower, upper, ...(inclusive === undefined ? {} : { inclusive }) });

describe('between', () => {
  testCases([
    { name: 'inside the range passes', condition: between(1, 10), actual: 5, outcome: 'passed' },
    { name: 'bounds are included by default', condition: between(1, 10), actual: 10, outcome: 'passed' },
    { name: 'bounds are excluded when inclusive is false', condition: between(1, 10, false), actual: 1, outcome: 'failed', message: /between 1 and 10 \(exclusive\)/ },
    { name: 'outside the range fails', condition: between(1, 10), actual: 10.5, outcome: 'failed', code: 'condition_not_met', message: /expected a number between 1 and 10 \(inclusive\) at `value`, found 10.5/ },
    { name: 'a string is a type error', condition: between(1, 10), actual: '5', outcome: 'blocked', code: 'type_error' },
    { name: 'an empty range blocks', condition: between(10, 1), actual: 5, outcome: 'blocked', code: 'execution_error', message: /lower bound 10 is greater than its upper bound 1/ },
    { name: 'a single-point inclusive range holds its point', condition: between(3, 3), actual: 3, outcome: 'passed' },
  ]);
});
