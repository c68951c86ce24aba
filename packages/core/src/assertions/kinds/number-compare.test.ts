import { describe } from 'node:test';
import { testCases, type Case } from '../test-support.js';

const compare = (op: string, expected: number) => ({ kind: 'number_compare', op, expected });

const operatorRows: Case[] = [
  ['gt', 5, 4, 'passed'],
  ['gt', 4, 4, 'failed'],
  ['gte', 4, 4, 'passed'],
  ['gte', 3.99, 4, 'failed'],
  ['lt', 3, 4, 'passed'],
  ['lt', 4, 4, 'failed'],
  ['lte', 4, 4, 'passed'],
  ['lte', 4.01, 4, 'failed'],
  ['eq', 4, 4, 'passed'],
  ['eq', 4.5, 4, 'failed'],
  ['neq', 5, 4, 'passed'],
  ['neq', 4, 4, 'failed'],
].map(([op, actual, expected, outcome]) => ({
  name: `${actual} ${op} ${expected} → ${outcome}`,
  condition: compare(op as string, expected as number),
  actual,
  outcome: outcome as Case['outcome'],
  code: outcome === 'failed' ? 'condition_not_met' : undefined,
}));

describe('number_compare', () => {
  testCases(operatorRows);
  testCases([
    { name: 'the failure names the comparison', condition: compare('gt', 100), actual: 12, outcome: 'failed', message: /expected a number > 100 at `value`, found 12/ },
    {
      name: 'a numeric string is a type error, not coerced',
      condition: compare('gt', 3),
      actual: '12',
      outcome: 'blocked',
      code: 'type_error',
      message: /^expected a number at `value`, found the string "12"$/,
      details: { actual_type: 'string' },
    },
    { name: 'a boolean is a type error', condition: compare('eq', 1), actual: true, outcome: 'blocked', code: 'type_error' },
    { name: 'null is a type error', condition: compare('eq', 0), actual: null, outcome: 'blocked', code: 'type_error', message: /found null/ },
    { name: 'a missing path fails', condition: compare('eq', 0), outcome: 'failed', code: 'path_not_found' },
  ]);
});
