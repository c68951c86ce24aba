import { describe } from 'node:test';
import { testCases } from '../test-support.js';

const regex = (pattern: string) => ({ kind: 'matches_regex', pattern });

describe('matches_regex', () => {
  testCases([
    { name: 'search semantics: the pattern may match anywhere', condition: regex('\\d{4}'), actual: 'invoice 2024 final', outcome: 'passed' },
    { name: 'anchors restrict to the whole string', condition: regex('^\\d{4}$'), actual: 'invoice 2024', outcome: 'failed', code: 'condition_not_met', message: /expected a string matching \/\^\\d\{4\}\$\/ at `value`/ },
    { name: 'Python named groups are accepted', condition: regex('(?P<year>\\d{4})-(?P<month>\\d{2})'), actual: '2024-05', outcome: 'passed' },
    { name: 'inline flags work', condition: regex('(?i)^acme'), actual: 'ACME corp', outcome: 'passed' },
    { name: "Python's \\Z anchors the end of input", condition: regex('corp\\Z'), actual: 'acme corp', outcome: 'passed' },
    { name: 'a backreference blocks, naming the construct', condition: regex('(a)\\1'), actual: 'aa', outcome: 'blocked', code: 'invalid_regex', message: /backreference `\\1`/, details: { pattern: '(a)\\1' } },
    { name: 'a lookahead blocks, naming the construct', condition: regex('foo(?=bar)'), actual: 'foobar', outcome: 'blocked', code: 'invalid_regex', message: /a lookahead `\(\?=…\)`/ },
    { name: 'a negative lookbehind blocks, naming the construct', condition: regex('(?<!x)y'), actual: 'y', outcome: 'blocked', code: 'invalid_regex', message: /negative lookbehind/ },
    { name: 'a syntax error blocks with the parser message', condition: regex('[a-'), actual: 'a', outcome: 'blocked', code: 'invalid_regex', message: /not a valid regular expression: .*missing closing \]/ },
    { name: 'an invalid pattern blocks even on a non-string', condition: regex('(?=x)'), actual: 3, outcome: 'blocked', code: 'invalid_regex' },
    { name: 'a non-string is a type error', condition: regex('\\d'), actual: 3, outcome: 'blocked', code: 'type_error', message: /expected a string at `value`, found the number 3/ },
  ]);
});
