import { describe } from 'node:test';
import { testCases } from '../test-support.js';

describe('starts_with', () => {
  testCases([
    { name: 'a matching prefix passes', condition: { kind: 'starts_with', expected: 'INV-' }, actual: 'INV-001', outcome: 'passed' },
    { name: 'the empty prefix always passes', condition: { kind: 'starts_with', expected: '' }, actual: 'x', outcome: 'passed' },
    { name: 'prefixes are case-sensitive', condition: { kind: 'starts_with', expected: 'inv-' }, actual: 'INV-001', outcome: 'failed', code: 'condition_not_met', message: /expected a string starting with "inv-" at `value`, found the string "INV-001"/ },
    { name: 'a number is a type error', condition: { kind: 'starts_with', expected: '1' }, actual: 123, outcome: 'blocked', code: 'type_error', message: /expected a string at `value`, found the number 123/ },
  ]);
});
