import { describe } from 'node:test';
import { testCases } from '../test-support.js';

const arrayContains = (expected: Record<string, unknown>) => ({ kind: 'array_contains', expected });
const lines = [{ sku: 'A1', qty: 2 }, 'note', { sku: 'B2', qty: 1, meta: { taxed: true } }];

describe('array_contains', () => {
  testCases([
    { name: 'an item holding the pattern passes', condition: arrayContains({ sku: 'B2' }), actual: lines, outcome: 'passed' },
    { name: 'items are matched as object subsets, nested too', condition: arrayContains({ meta: { taxed: true } }), actual: lines, outcome: 'passed' },
    { name: 'no matching item fails', condition: arrayContains({ sku: 'C3' }), actual: lines, outcome: 'failed', message: /expected an item containing \{"sku":"C3"\} at `value`, but none of its 3 items does/, details: { item_count: 3 } },
    { name: 'keys must match in the same item', condition: arrayContains({ sku: 'A1', qty: 1 }), actual: lines, outcome: 'failed' },
    { name: 'an empty array fails', condition: arrayContains({}), actual: [], outcome: 'failed', message: /the array is empty/ },
    { name: 'an object is a type error', condition: arrayContains({ sku: 'A1' }), actual: { sku: 'A1' }, outcome: 'blocked', code: 'type_error', message: /expected an array at `value`/ },
  ]);
});
