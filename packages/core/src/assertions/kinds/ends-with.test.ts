import { describe } from 'node:test';
import { testCases } from '../test-support.js';

describe('ends_with', () => {
  testCases([
    { name: 'a matching suffix passes', condition: { kind: 'ends_with', expected: '.pdf' }, actual: 'scan.pdf', outcome: 'passed' },
    { name: 'a different suffix fails', condition: { kind: 'ends_with', expected: '.pdf' }, actual: 'scan.PDF', outcome: 'failed', code: 'condition_not_met', message: /expected a string ending with ".pdf" at `value`, found the string "scan.PDF"/ },
    { name: 'an array is a type error', condition: { kind: 'ends_with', expected: 'x' }, actual: ['x'], outcome: 'blocked', code: 'type_error' },
  ]);
});
