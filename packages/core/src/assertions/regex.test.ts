import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { compileRegex, findUnsupportedConstruct } from './regex.js';

describe('compileRegex', () => {
  test('(a+)+$ on 100,000 characters answers quickly (linear time)', () => {
    const compiled = compileRegex('(a+)+$');
    assert.ok(compiled.ok);
    const subject = 'a'.repeat(100_000) + '!';
    const started = performance.now();
    assert.equal(compiled.regex.test(subject), false);
    assert.ok(performance.now() - started < 2000, 'a backtracking engine would take years');
  });

  test('caches compiled patterns, failures included', () => {
    assert.equal(compileRegex('x+y'), compileRegex('x+y'));
    assert.equal(compileRegex('(?=x)'), compileRegex('(?=x)'));
  });

  test('accepts Python named groups and translates \\Z', () => {
    const named = compileRegex('(?P<id>\\d+)\\Z');
    assert.ok(named.ok);
    assert.equal(named.regex.test('id 42'), true);
    assert.equal(named.regex.test('42 x'), false);
  });

  test('an escaped backslash before Z is not \\Z', () => {
    const compiled = compileRegex('a\\\\Z');
    assert.ok(compiled.ok);
    assert.equal(compiled.regex.test('a\\Z'), true);
  });
});

describe('findUnsupportedConstruct', () => {
  const rows: [string, string | null][] = [
    ['(a)\\1', 'a backreference `\\1`'],
    ['(?P<x>a)(?P=x)', 'a named backreference `(?P=name)`'],
    ['(?<x>a)\\k<x>', 'a named backreference `\\k<name>`'],
    ['a(?=b)', 'a lookahead `(?=…)`'],
    ['a(?!b)', 'a negative lookahead `(?!…)`'],
    ['(?<=a)b', 'a lookbehind `(?<=…)`'],
    ['(?<!a)b', 'a negative lookbehind `(?<!…)`'],
    ['(?>a+)', 'an atomic group `(?>…)`'],
    ['(a)?(?(1)b|c)', 'a conditional group `(?(…)…)`'],
    ['(?x) a b # spaced', 'the verbose flag `(?x)`'],
    ['(?ix:a b)', 'the verbose flag `(?x)`'],
    ['(?i)x', null],
    ['[(?=]x', null],
    ['[]\\1]', null],
    ['\\(?=x\\)', null],
    ['(?P<name>a)', null],
    ['(?i)a', null],
    ['\\\\1', null],
  ];
  for (const [pattern, construct] of rows) {
    test(`${pattern} → ${construct ?? 'supported'}`, () => assert.equal(findUnsupportedConstruct(pattern), construct));
  }
});
