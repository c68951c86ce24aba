import { describe } from 'node:test';
import { testCases } from '../test-support.js';

const anyItem = (condition: unknown) => ({ kind: 'any_item_matches', condition });
const isPaid = { kind: 'equals', expected: 'paid' };

describe('any_item_matches', () => {
  testCases([
    { name: 'one matching item passes', condition: anyItem(isPaid), actual: ['due', 'paid'], outcome: 'passed' },
    { name: 'an empty array fails', condition: anyItem(isPaid), actual: [], outcome: 'failed', message: /expected at least one matching item at `value`, but the array is empty/ },
    {
      name: 'no matching item fails with the first item failure',
      condition: anyItem(isPaid),
      actual: ['due', 'late'],
      outcome: 'failed',
      message: /none of the 2 items at `value` matches; item 0: expected the string "paid" at `value\[0\]`, found the string "due"/,
      details: { item_index: 0, failed_count: 2 },
    },
    { name: 'a blocked item blocks even when another matches', condition: anyItem({ kind: 'starts_with', expected: 'p' }), actual: ['paid', 3], outcome: 'blocked', code: 'type_error', details: { item_index: 1 } },
    { name: 'nests inside all_items_match', condition: { kind: 'all_items_match', condition: anyItem(isPaid) }, actual: [['paid'], ['due', 'paid']], outcome: 'passed' },
    { name: 'a string is a type error', condition: anyItem(isPaid), actual: 'paid', outcome: 'blocked', code: 'type_error' },
  ]);
});
