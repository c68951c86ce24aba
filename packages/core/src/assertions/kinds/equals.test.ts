import { describe } from 'node:test';
import { testCases } from '../test-support.js';

const equals = (expected: unknown) => ({ kind: 'equals', expected });

describe('equals', () => {
  testCases([
    { name: 'equal numbers pass', condition: equals(1234.56), actual: 1234.56, outcome: 'passed' },
    { name: 'equal nested documents pass whatever the key order', condition: equals({ a: 1, b: [1, { c: null }] }), actual: { b: [1, { c: null }], a: 1 }, outcome: 'passed' },
    { name: 'true is not 1', condition: equals(1), actual: true, outcome: 'failed', code: 'condition_not_met', message: /expected the number 1 at `value`, found the boolean true/ },
    { name: 'false is not 0', condition: equals(false), actual: 0, outcome: 'failed', code: 'condition_not_met' },
    { name: 'a numeric string is not a number', condition: equals(12), actual: '12', outcome: 'failed', message: /found the string "12"/ },
    { name: 'null is not a missing key', condition: equals({ a: null }), actual: {}, outcome: 'failed', message: /expected null at `value.a`, found no such key/ },
    {
      name: 'reasoning___ keys are ignored at any depth',
      condition: equals({ total: 3, lines: [{ price: 1 }] }),
      actual: { total: 3, reasoning___total: 'summed', lines: [{ price: 1, reasoning___price: 'read from row 1' }] },
      outcome: 'passed',
    },
    {
      name: 'the message points at the first difference',
      condition: equals({ items: [{ price: 1 }, { price: 4 }] }),
      actual: { items: [{ price: 1 }, { price: 3 }] },
      outcome: 'failed',
      message: /expected the number 4 at `value.items\[1\].price`, found the number 3/,
      details: { difference_path: 'value.items[1].price', difference: 'value' },
    },
    { name: 'an extra key is a difference', condition: equals({ a: 1 }), actual: { a: 1, b: 2 }, outcome: 'failed', message: /unexpected key at `value.b` holding the number 2/ },
    { name: 'arrays of different lengths differ', condition: equals([1, 2]), actual: [1, 2, 3], outcome: 'failed', message: /expected 2 items at `value`, found 3/ },
    { name: 'an array is not an object', condition: equals({}), actual: [], outcome: 'failed', code: 'condition_not_met' },
    { name: 'a missing path fails with path_not_found', condition: equals(1), outcome: 'failed', code: 'path_not_found', message: /nothing at `value`/ },
  ]);
});
