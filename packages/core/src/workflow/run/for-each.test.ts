import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { loopContainersFor, parseForEachConfig, planIterations, reduceIterations, stepIdFor, type ForEachConfig } from './for-each.js';

function config(raw: unknown): ForEachConfig {
  const parsed = parseForEachConfig(raw);
  assert.ok(parsed.ok, parsed.ok ? '' : parsed.message);
  return parsed.config;
}

describe('parseForEachConfig', () => {
  test('defaults: the whole input, 100 iterations, concat_array', () => {
    assert.deepEqual(config(null), { sourcePath: '', maxIterations: 100, reduceStrategy: 'concat_array', itemKey: null, dataKey: null });
  });

  test('refuses document loops, wildcard sources and unbounded iteration counts', () => {
    for (const [raw, message] of [
      [{ map_method: 'split_by_page' }, /iterate_array/],
      [{ map_source_path: 'data.items.*' }, /not allowed/],
      [{ max_iterations: 1_000_000 }, /at most 1000/],
      [{ max_iterations: 0 }, /max_iterations/],
      [{ reduce_strategy: 'sum' }, /reduce_strategy/],
    ] as const) {
      const parsed = parseForEachConfig(raw);
      assert.equal(parsed.ok, false);
      assert.match(parsed.ok ? '' : parsed.message, message);
    }
  });
});

describe('planIterations', () => {
  test('the array at the source path, with or without the data root', () => {
    const input = { line_items: [{ sku: 'a' }, { sku: 'b' }] };
    for (const path of ['data.line_items', 'line_items']) {
      const plan = planIterations(config({ map_source_path: path }), input);
      assert.ok(plan.ok);
      assert.deepEqual(plan.items, input.line_items);
    }
    const whole = planIterations(config({}), [1, 2, 3]);
    assert.ok(whole.ok);
    assert.deepEqual(whole.items, [1, 2, 3]);
  });

  test('no array there, or more items than max_iterations, fails the loop with a message', () => {
    const cases: [unknown, unknown, RegExp][] = [
      [{ map_source_path: 'data.items' }, { items: { a: 1 } }, /is an object/],
      [{ map_source_path: 'data.items' }, {}, /is missing/],
      [{ map_source_path: 'data.items' }, { items: 'abc' }, /is "abc"/],
      [{ map_source_path: 'data.items', max_iterations: 2 }, { items: [1, 2, 3] }, /3 items, more than max_iterations \(2\)/],
    ];
    for (const [raw, input, message] of cases) {
      const plan = planIterations(config(raw), input);
      assert.equal(plan.ok, false);
      assert.match(plan.ok ? '' : plan.message, message);
    }
  });
});

describe('reduceIterations', () => {
  const results = [{ total: 1, sku: 'a' }, { total: 2, sku: 'b' }];
  test('each strategy', () => {
    assert.deepEqual(reduceIterations(config({}), results), results);
    assert.deepEqual(reduceIterations(config({ reduce_concat_item_key: 'total' }), results), [1, 2]);
    assert.deepEqual(reduceIterations(config({ reduce_concat_item_key: 'total', reduce_concat_data_key: 'totals' }), results), { totals: [1, 2] });
    assert.deepEqual(reduceIterations(config({ reduce_strategy: 'first' }), results), results[0]);
    assert.deepEqual(reduceIterations(config({ reduce_strategy: 'last' }), results), results[1]);
    assert.equal(reduceIterations(config({ reduce_strategy: 'last' }), []), null);
    assert.equal(reduceIterations(config({ reduce_strategy: 'none' }), results), null);
    assert.deepEqual(reduceIterations(config({ reduce_concat_item_key: 'missing' }), [1, { missing: 2 }]), [null, 2]);
  });
});

describe('step ids and loop containers', () => {
  test('top-level steps are their block ids; loop bodies carry each enclosing iteration', () => {
    assert.equal(stepIdFor('fn', []), 'fn');
    const outer = { loopBlockId: 'outer', loopStepId: 'outer', iteration: 0 };
    assert.equal(stepIdFor('inner', [outer]), 'outer/0/inner');
    const inner = { loopBlockId: 'inner', loopStepId: 'outer/0/inner', iteration: 3 };
    assert.equal(stepIdFor('fn', [outer, inner]), 'outer/0/inner/3/fn');
    assert.deepEqual(loopContainersFor([outer, inner]), [
      { container_id: 'outer', iteration: 0, is_parallel: true, parallel_item_index: 0 },
      { container_id: 'inner', iteration: 3, is_parallel: true, parallel_item_index: 3 },
    ]);
  });
});
