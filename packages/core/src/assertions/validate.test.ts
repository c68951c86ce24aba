import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ConditionInputSchema, ConditionSchema, type Condition } from './conditions.js';
import { requiresModelProvider, validateCondition } from './validate.js';

const condition = (raw: unknown): Condition => ConditionSchema.parse(raw);

describe('validateCondition', () => {
  test('accepts sound conditions', () => {
    for (const raw of [
      { kind: 'matches_regex', pattern: '(?P<y>\\d{4})' },
      { kind: 'json_schema_valid', schema: { type: 'object' } },
      { kind: 'json_schema_valid' },
      { kind: 'between', lower: 1, upper: 1 },
      { kind: 'equals', expected: 1 },
    ]) {
      assert.deepEqual(validateCondition(condition(raw)), [], JSON.stringify(raw));
    }
  });

  test('names the unsupported regex construct', () => {
    assert.deepEqual(validateCondition(condition({ kind: 'matches_regex', pattern: '(?<=\\$)\\d+' })), [
      { path: ['pattern'], message: 'the pattern uses a lookbehind `(?<=…)`, which the linear-time regex engine (RE2) does not support' },
    ]);
  });

  test('refuses an invalid JSON Schema with the validator message', () => {
    const [problem] = validateCondition(condition({ kind: 'json_schema_valid', schema: { type: 'nope' } }));
    assert.deepEqual(problem.path, ['schema']);
    assert.match(problem.message, /^the JSON Schema is invalid/);
  });

  test('refuses an empty range', () => {
    assert.deepEqual(validateCondition(condition({ kind: 'between', lower: 5, upper: 1 })), [
      { path: ['lower'], message: 'the lower bound 5 is greater than the upper bound 1' },
    ]);
  });

  test('recurses into item conditions with the full path', () => {
    const nested = condition({ kind: 'all_items_match', condition: { kind: 'any_item_matches', condition: { kind: 'matches_regex', pattern: '(a)\\1' } } });
    const [problem] = validateCondition(nested);
    assert.deepEqual(problem.path, ['condition', 'condition', 'pattern']);
    assert.match(problem.message, /backreference/);
  });
});

describe('requiresModelProvider', () => {
  const rows: [unknown, boolean][] = [
    [{ kind: 'llm_judged_as', rubric: 'r' }, true],
    [{ kind: 'llm_not_judged_as', rubric: 'r' }, true],
    [{ kind: 'similarity_gte', reference: 'a', threshold: 0.5, method: 'embeddings' }, true],
    [{ kind: 'similarity_gte', reference: 'a', threshold: 0.5 }, false],
    [{ kind: 'all_items_match', condition: { kind: 'any_item_matches', condition: { kind: 'llm_judged_as', rubric: 'r' } } }, true],
    [{ kind: 'all_items_match', condition: { kind: 'exists' } }, false],
    [{ kind: 'equals', expected: 'llm_judged_as' }, false],
  ];
  for (const [raw, expected] of rows) {
    test(`${JSON.stringify(raw)} → ${expected}`, () => assert.equal(requiresModelProvider(condition(raw)), expected));
  }
});

test('llm_judged_as conditions accept the Node SDK domain name expectedLabel as expected_label', () => {
  const condition = (raw: unknown): Condition => ConditionInputSchema.parse(raw);
  assert.deepEqual(condition({ kind: 'llm_judged_as', rubric: 'Is it polite?', expectedLabel: 'yes' }), { kind: 'llm_judged_as', rubric: 'Is it polite?', expected_label: 'yes' });
  assert.deepEqual(condition({ kind: 'llm_not_judged_as', rubric: 'r', expectedLabel: 'no', expected_label: 'wire' }), { kind: 'llm_not_judged_as', rubric: 'r', expected_label: 'wire' });
  assert.deepEqual(condition({ kind: 'all_items_match', condition: { kind: 'llm_judged_as', rubric: 'r', expectedLabel: 'x' } }), {
    kind: 'all_items_match',
    condition: { kind: 'llm_judged_as', rubric: 'r', expected_label: 'x' },
  });
});
