import { describe } from 'node:test';
import { testCases } from '../test-support.js';

const contains = (expected: unknown) => ({ kind: 'contains', expected });

describe('contains', () => {
  testCases([
    { name: 'a substring of a string passes', condition: contains('Acme'), actual: 'Invoice from Acme Corp', outcome: 'passed' },
    { name: 'substring search is case-sensitive', condition: contains('acme'), actual: 'Acme', outcome: 'failed', code: 'condition_not_met', message: /`value` does not contain the string "acme"; found the string "Acme"/ },
    { name: 'an array element equal to expected passes', condition: contains({ sku: 'A1' }), actual: [{ sku: 'B2' }, { sku: 'A1', reasoning___sku: 'x' }], outcome: 'passed' },
    { name: 'array elements compare strictly (1 is not true)', condition: contains(1), actual: [true, '1'], outcome: 'failed', code: 'condition_not_met' },
    { name: 'a key of an object passes', condition: contains('vendor'), actual: { vendor: null }, outcome: 'passed' },
    { name: 'a missing key of an object fails', condition: contains('zip'), actual: { vendor: 'x' }, outcome: 'failed', message: /`value` has no key `zip`/ },
    { name: 'a non-string needle in a string blocks', condition: contains(3), actual: 'abc3', outcome: 'blocked', code: 'type_error', message: /the string at `value` can only be searched for a substring, so the expected value must be a string; it is the number 3/ },
    { name: 'a non-string key for an object blocks', condition: contains(1), actual: { 1: 'x' }, outcome: 'blocked', code: 'type_error', message: /the object at `value` can only be searched for a key/ },
    { name: 'a number cannot contain anything', condition: contains('1'), actual: 123, outcome: 'blocked', code: 'type_error', message: /expected a string, an array or an object at `value`, found the number 123/ },
    { name: 'a missing path fails', condition: contains('x'), outcome: 'failed', code: 'path_not_found' },
  ]);
});
