import { describe } from 'node:test';
import { testCases } from '../test-support.js';

const allItems = (condition: unknown) => ({ kind: 'all_items_match', condition });
const positive = { kind: 'number_compare', op: 'gt', expected: 0 };

describe('all_items_match', () => {
  testCases([
    { name: 'every item matching passes', condition: allItems(positive), actual: [1, 2, 3], outcome: 'passed' },
    { name: 'an empty array passes', condition: allItems(positive), actual: [], outcome: 'passed' },
    {
      name: 'a failing item is named with its index and own message',
      condition: allItems(positive),
      actual: [1, -2, 3, -4],
      outcome: 'failed',
      message: /2 of 4 items at `value` do not match; item 1: expected a number > 0 at `value\[1\]`, found -2/,
      details: { item_index: 1, failed_count: 2 },
    },
    {
      name: 'an item that cannot be evaluated blocks the whole assertion',
      condition: allItems(positive),
      actual: [1, 'two', -3],
      outcome: 'blocked',
      code: 'type_error',
      message: /item 1 could not be evaluated: expected a number at `value\[1\]`, found the string "two"/,
      details: { item_index: 1 },
    },
    { name: 'a blocked item wins over an earlier failure', condition: allItems(positive), actual: [-1, 'x'], outcome: 'blocked', code: 'type_error' },
    { name: 'an invalid inner regex blocks with invalid_regex', condition: allItems({ kind: 'matches_regex', pattern: '(a)\\1' }), actual: ['aa'], outcome: 'blocked', code: 'invalid_regex' },
    {
      name: 'nests at any depth',
      condition: allItems(allItems({ kind: 'object_contains', expected: { ok: true } })),
      actual: [[{ ok: true }], [{ ok: true }, { ok: false }]],
      outcome: 'failed',
      message: /item 1: 1 of 2 items at `value\[1\]` do not match; item 1: expected the boolean true at `value\[1\]\[1\].ok`/,
    },
    { name: 'exists inside an item tests the item itself', condition: allItems({ kind: 'exists' }), actual: [null, 0], outcome: 'passed' },
    { name: 'a non-array is a type error', condition: allItems(positive), actual: { a: 1 }, outcome: 'blocked', code: 'type_error', message: /expected an array at `value`/ },
    { name: 'a missing path fails', condition: allItems(positive), outcome: 'failed', code: 'path_not_found' },
  ]);
});
