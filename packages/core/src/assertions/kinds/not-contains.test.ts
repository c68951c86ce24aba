import { describe } from 'node:test';
import { testCases } from '../test-support.js';

const notContains = (expected: unknown) => ({ kind: 'not_contains', expected });

describe('not_contains', () => {
  testCases([
    { name: 'an absent substring passes', condition: notContains('ERROR'), actual: 'all good', outcome: 'passed' },
    { name: 'a present substring fails', condition: notContains('ERROR'), actual: 'ERROR: x', outcome: 'failed', code: 'condition_not_met', message: /`value` contains the string "ERROR", which it must not/ },
    { name: 'an absent array element passes', condition: notContains('b'), actual: ['a'], outcome: 'passed' },
    { name: 'a present key fails', condition: notContains('ssn'), actual: { ssn: '1' }, outcome: 'failed', message: /`value` has the key `ssn`, which it must not/ },
    { name: 'blocks where contains blocks', condition: notContains('x'), actual: true, outcome: 'blocked', code: 'type_error' },
    { name: 'a missing path fails', condition: notContains('x'), outcome: 'failed', code: 'path_not_found' },
  ]);
});
