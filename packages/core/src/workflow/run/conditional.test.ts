import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { evaluateConditional, parseConditionalConfig, type ConditionalConfig } from './conditional.js';
import { RUN_LIMITS } from './schemas/limits.js';

function config(raw: unknown): ConditionalConfig {
  const parsed = parseConditionalConfig(raw);
  assert.ok(parsed.ok, parsed.ok ? '' : parsed.message);
  return parsed.config;
}

const ROUTING = {
  conditions: [
    { branch_name: 'High value', sub_conditions: [{ path: 'data.total', operator: 'is_greater_than', value: 1000 }] },
    {
      branch_name: 'Foreign',
      handle_key: 'abroad',
      logical_operator: 'or',
      sub_conditions: [
        { path: 'data.vendor.country', operator: 'is_not_equal_to', value: 'FR' },
        { path: 'currency', operator: 'is_not_equal_to', value: 'EUR' },
      ],
    },
  ],
};

describe('parseConditionalConfig', () => {
  test('handles come from handle_key or the branch name; else is present unless has_else is false', () => {
    const parsed = config(ROUTING);
    assert.deepEqual(parsed.branches.map((branch) => branch.handleId), ['output-json-high-value', 'output-json-abroad']);
    assert.equal(parsed.elseHandleId, 'output-json-else');
    assert.equal(config({ ...ROUTING, has_else: false }).elseHandleId, null);
    assert.deepEqual(parsed.branches.map((branch) => branch.id), ['condition-0', 'condition-1']);
    assert.equal(parsed.branches[1]!.subConditions[1]!.id, 'condition-1-1');
  });

  test('refuses what cannot run, naming where', () => {
    const refusals: [unknown, RegExp][] = [
      [{ conditions: [{ branch_name: 'a', sub_conditions: [{ path: 'data.x', operator: 'is_bigger', value: 1 }] }] }, /conditions\.0\.sub_conditions\.0\.operator/],
      [{ conditions: [{ branch_name: 'a', sub_conditions: [] }] }, /at least one sub-condition/],
      [{ conditions: [{ branch_name: 'a', sub_conditions: [{ path: 'data..x', operator: 'exists' }] }] }, /sub_conditions\.0\.path/],
      [{ conditions: [{ branch_name: 'a', sub_conditions: [{ path: 'data.x', operator: 'matches_regex', value: '(?<=a)b' }] }] }, /lookbehind/],
      [{ conditions: [{ branch_name: 'a', sub_conditions: [{ path: 'data.x', operator: 'matches_regex' }] }] }, /needs a pattern/],
      [{ has_else: 'yes' }, /has_else/],
      [{ conditions: Array.from({ length: RUN_LIMITS.maxConditions + 1 }, () => ({ branch_name: 'a', sub_conditions: [{ path: 'x', operator: 'exists' }] })) }, /at most/],
    ];
    for (const [raw, message] of refusals) {
      const parsed = parseConditionalConfig(raw);
      assert.equal(parsed.ok, false, JSON.stringify(raw));
      assert.match(parsed.ok ? '' : parsed.message, message);
    }
  });

  test('an absent config is a conditional with only its else branch', () => {
    assert.deepEqual(config(null), { branches: [], elseHandleId: 'output-json-else' });
  });
});

describe('evaluateConditional', () => {
  const routing = config(ROUTING);

  test('the first branch that holds is taken, and evaluation stops there', () => {
    const outcome = evaluateConditional(routing, { total: 5000, vendor: { country: 'DE' } });
    assert.ok(outcome.ok);
    assert.deepEqual(outcome.decision.selectedHandles, ['output-json-high-value']);
    assert.equal(outcome.decision.matchedBranchId, 'condition-0');
    assert.deepEqual(outcome.decision.matchedConditionIds, ['condition-0']);
    assert.equal(outcome.decision.evaluations.length, 1);
    assert.equal(outcome.decision.evaluations[0]!.actual, 5000);
  });

  test('or needs one sub-condition; a path without the data root reads inside data', () => {
    const outcome = evaluateConditional(routing, { total: 10, vendor: { country: 'FR' }, currency: 'USD' });
    assert.ok(outcome.ok);
    assert.deepEqual(outcome.decision.selectedHandles, ['output-json-abroad']);
    const second = outcome.decision.evaluations[1]!;
    assert.deepEqual(second.sub_evaluations!.map((sub) => sub.matched), [false, true]);
    assert.equal(second.details.logical_operator, 'or');
    assert.equal(second.path, '', 'a compound condition has no single path');
  });

  test('no branch holds: the else branch, or nothing when there is none', () => {
    const input = { total: 10, vendor: { country: 'FR' }, currency: 'EUR' };
    const withElse = evaluateConditional(routing, input);
    assert.ok(withElse.ok);
    assert.deepEqual(withElse.decision.selectedHandles, ['output-json-else']);
    assert.equal(withElse.decision.matchedBranchId, 'else');
    assert.deepEqual(withElse.decision.matchedConditionIds, []);
    assert.equal(withElse.decision.evaluations.length, 2);
    const without = evaluateConditional(config({ ...ROUTING, has_else: false }), input);
    assert.ok(without.ok);
    assert.deepEqual(without.decision.selectedHandles, []);
    assert.equal(without.decision.matchedBranchId, null);
  });

  test('a wildcard holds when every item holds, recording each item with its indices', () => {
    const items = config({ conditions: [{ branch_name: 'all priced', sub_conditions: [{ path: 'data.lines.*.price', operator: 'is_greater_than', value: 0 }] }] });
    const allPriced = evaluateConditional(items, { lines: [{ price: 1 }, { price: 2 }] });
    assert.ok(allPriced.ok);
    assert.deepEqual(allPriced.decision.selectedHandles, ['output-json-all-priced']);
    const record = allPriced.decision.evaluations[0]!;
    assert.deepEqual(record.items, [
      { index: 0, indices: [0], actual: 1, matched: true },
      { index: 1, indices: [1], actual: 2, matched: true },
    ]);
    assert.deepEqual(record.per_item, record.items, 'the 2026-05-29 name carries the same breakdown');

    const oneMissing = evaluateConditional(items, { lines: [{ price: 1 }, {}] });
    assert.ok(oneMissing.ok);
    assert.deepEqual(oneMissing.decision.selectedHandles, ['output-json-else']);
    assert.deepEqual(oneMissing.decision.evaluations[0]!.items!.map((item) => [item.actual, item.matched]), [[1, true], [null, false]]);

    for (const lines of [[], 'not an array', undefined]) {
      const none = evaluateConditional(items, { lines });
      assert.ok(none.ok);
      assert.deepEqual(none.decision.selectedHandles, ['output-json-else'], `over ${JSON.stringify(lines)} no item holds`);
    }
  });

  test('nested wildcards record hierarchical indices', () => {
    const nested = config({ conditions: [{ branch_name: 'n', sub_conditions: [{ path: 'data.a.*.b.*', operator: 'is_true' }] }] });
    const outcome = evaluateConditional(nested, { a: [{ b: [true] }, { b: [true, false] }] });
    assert.ok(outcome.ok);
    assert.deepEqual(outcome.decision.evaluations[0]!.items!.map((item) => item.indices), [[0, 0], [1, 0], [1, 1]]);
    assert.equal(outcome.decision.evaluations[0]!.matched, false);
  });

  test('a document whose wildcards reach too many items fails the evaluation instead of walking them', () => {
    const items = config({ conditions: [{ branch_name: 'n', sub_conditions: [{ path: 'data.*', operator: 'exists' }] }] });
    const outcome = evaluateConditional(items, Array.from({ length: RUN_LIMITS.maxWildcardItems + 1 }, () => 1));
    assert.equal(outcome.ok, false);
    assert.match(outcome.ok ? '' : outcome.message, /more than 10000 array items/);
  });

  test('user keys named like Object.prototype members are plain missing keys', () => {
    const proto = config({ conditions: [{ branch_name: 'p', sub_conditions: [{ path: 'data.constructor', operator: 'exists' }] }] });
    const outcome = evaluateConditional(proto, {});
    assert.ok(outcome.ok);
    assert.deepEqual(outcome.decision.selectedHandles, ['output-json-else']);
  });
});
