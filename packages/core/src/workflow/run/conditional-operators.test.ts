import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { applyOperator, CONDITION_OPERATORS, type ConditionOperator } from './conditional-operators.js';

const present = (value: unknown) => ({ found: true, value });
const MISSING = { found: false, value: undefined };

describe('conditional operators', () => {
  const cases: [ConditionOperator, { found: boolean; value: unknown }, unknown, boolean][] = [
    ['exists', present(0), null, true],
    ['exists', present(null), null, false],
    ['exists', MISSING, null, false],
    ['does_not_exist', MISSING, null, true],
    ['does_not_exist', present(null), null, true],
    ['does_not_exist', present(''), null, false],
    ['is_empty', present(''), null, true],
    ['is_empty', present([]), null, true],
    ['is_empty', present({}), null, true],
    ['is_empty', MISSING, null, true],
    ['is_empty', present(0), null, false],
    ['is_not_empty', present([1]), null, true],
    ['is_not_empty', present(' '), null, true],
    ['is_equal_to', present(100), '100', true],
    ['is_equal_to', present('100'), 100, true],
    ['is_equal_to', present('FR'), 'FR', true],
    ['is_equal_to', present('fr'), 'FR', false],
    ['is_equal_to', present(true), 'true', true],
    ['is_equal_to', present({ b: 1, a: 2 }), { a: 2, b: 1 }, true],
    ['is_equal_to', MISSING, null, false],
    ['is_not_equal_to', MISSING, 'x', true],
    ['is_not_equal_to', present('x'), 'x', false],
    ['contains', present('invoice 42'), '42', true],
    ['contains', present('invoice'), 42, false],
    ['contains', present(['a', 'b']), 'b', true],
    ['contains', present([1, 2]), '2', true],
    ['contains', present({ a: 1 }), 'a', false],
    ['starts_with', present('INV-1'), 'INV', true],
    ['starts_with', present(12), '1', false],
    ['ends_with', present('a.pdf'), '.pdf', true],
    ['matches_regex', present('INV-123'), '^INV-\\d+$', true],
    ['matches_regex', present('xINV-123'), '^INV', false],
    ['matches_regex', present('abc'), '(a)\\1', false],
    ['is_greater_than', present(10), '9.5', true],
    ['is_greater_than', present('10'), 10, false],
    ['is_greater_than', present('ten'), 1, false],
    ['is_less_than', present(-1), 0, true],
    ['is_greater_than_or_equal_to', present(3), 3, true],
    ['is_less_than_or_equal_to', present(3), 2, false],
    ['is_less_than', MISSING, 0, false],
    ['is_true', present(true), null, true],
    ['is_true', present('true'), null, false],
    ['is_false', present(false), null, true],
    ['is_false', MISSING, null, false],
    ['length_equal_to', present([1, 2]), 2, true],
    ['length_equal_to', present('abc'), '3', true],
    ['length_greater_than', present([1, 2]), 1, true],
    ['length_less_than', present({ a: 1 }), 5, false],
    ['is_after', present('2026-06-01'), '2026-05-31', true],
    ['is_after', present('2026-06-01T00:00:00Z'), '2026-06-01T00:00:00Z', false],
    ['is_after_or_equal_to', present('2026-06-01T00:00:00Z'), '2026-06-01', true],
    ['is_before', present('2026-01-01'), '2026-06-01', true],
    ['is_before', present('not a date'), '2026-06-01', false],
    ['is_before_or_equal_to', present('2026-06-01'), '2026-06-01', true],
  ];
  for (const [operator, operand, expected, holds] of cases) {
    test(`${operator} ${JSON.stringify(operand.value) ?? '(missing)'} ${JSON.stringify(expected)} → ${holds}`, () => {
      assert.equal(applyOperator(operator, operand, expected), holds);
    });
  }

  test('every operator has a case above', () => {
    const covered = new Set(cases.map(([operator]) => operator));
    assert.deepEqual(CONDITION_OPERATORS.filter((operator) => !covered.has(operator)), []);
  });
});
