import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { planRun, type RunGraph } from './plan.js';
import { RUN_LIMITS } from './schemas/limits.js';
import { block, edge, fn, mustPlan } from './test-support.js';

function problemsOf(graph: RunGraph, given: { documents?: string[]; json_inputs?: string[] } = {}) {
  const result = planRun(graph, { documents: given.documents ?? [], json_inputs: given.json_inputs ?? [] });
  assert.equal(result.ok, false, 'expected the plan to be refused');
  return result.ok ? [] : result.problems;
}

describe('planRun', () => {
  test('a runnable workflow: notes left out, top-level blocks in dependency order, ties by id', () => {
    const plan = mustPlan({
      blocks: [block('start', 'start_json'), fn('b'), fn('a'), fn('c'), block('readme', 'note')],
      edges: [edge('start', 'b'), edge('start', 'a'), edge('a', 'c')],
    });
    assert.deepEqual(plan.topLevel, ['start', 'a', 'b', 'c']);
    assert.equal(plan.blocks.has('readme'), false);
    assert.deepEqual(plan.blocks.get('start')!.readers, ['a', 'b']);
    assert.deepEqual(plan.blocks.get('c')!.inputs, [{ sourceBlockId: 'a', sourceHandle: 'output-json-0', targetHandle: 'input-json-0', kind: 'value' }]);
  });

  test('types Verdict does not execute are refused, each naming its block', () => {
    const problems = problemsOf({ blocks: [block('p', 'parse'), block('e', 'edit'), block('api', 'api_call', { url: 'https://x' }), block('w', 'while_loop'), block('note', 'note')], edges: [] });
    assert.deepEqual(problems.map((p) => [p.code, p.block_id]), [['unsupported_block_type', 'api'], ['unsupported_block_type', 'e'], ['unsupported_block_type', 'p'], ['unsupported_block_type', 'w']]);
    assert.match(problems[0]!.message, /api_call block "api" cannot run/);
  });

  test('start blocks need their inputs; inputs must name start blocks of the right type', () => {
    const graph = { blocks: [block('doc', 'start_document'), block('payload', 'start_json'), fn('f')], edges: [] };
    const missing = problemsOf(graph);
    assert.deepEqual(missing.map((p) => [p.code, p.block_id, p.field]), [['missing_start_input', 'doc', 'documents.doc'], ['missing_start_input', 'payload', 'json_inputs.payload']]);
    assert.match(missing[0]!.message, /needs a document: pass it as documents\["doc"\]/);
    const wrong = problemsOf(graph, { documents: ['doc', 'payload'], json_inputs: ['payload', 'f', 'ghost'] });
    assert.deepEqual(wrong.map((p) => [p.code, p.field]), [['unexpected_start_input', 'documents.payload'], ['unexpected_start_input', 'json_inputs.f'], ['unexpected_start_input', 'json_inputs.ghost']]);
    assert.equal(planRun(graph, { documents: ['doc'], json_inputs: ['payload'] }).ok, true);
  });

  test('configs that cannot run are refused with the block and the place', () => {
    const problems = problemsOf({
      blocks: [
        block('cond', 'conditional', { conditions: [{ branch_name: 'x', sub_conditions: [{ path: 'data.a', operator: 'bigger' }] }] }),
        block('loop', 'for_each', { map_method: 'split_by_page' }),
        block('f', 'function', { language: 'cobol' }),
      ],
      edges: [],
    });
    assert.deepEqual(problems.map((p) => [p.code, p.block_id]), [['invalid_block_config', 'cond'], ['invalid_block_config', 'f'], ['invalid_block_config', 'loop']]);
    assert.match(problems[0]!.message, /operator must be one of/);
    assert.match(problems[2]!.message, /iterate_array/);
  });

  test('an edge whose handle the block no longer has is refused', () => {
    const problems = problemsOf({ blocks: [block('s', 'start_json'), block('c', 'conditional', { conditions: [] }), fn('f')], edges: [edge('s', 'c'), edge('c', 'f', 'output-json-gone')] }, { json_inputs: ['s'] });
    assert.equal(problems[0]!.code, 'invalid_graph');
    assert.match(problems[0]!.message, /no output handle "output-json-gone"/);
  });

  test('loops: an edge from the loop into its body carries the item; body blocks may read from outside; nothing leaves a body but the loop output', () => {
    const plan = mustPlan({
      blocks: [block('s', 'start_json'), fn('lookup'), block('loop', 'for_each', { map_source_path: 'data.items' }), fn('body', 'loop'), block('merge', 'merge_dicts', { inputs: [{ name: 'item' }, { name: 'ref' }] }, 'loop'), fn('after')],
      edges: [edge('s', 'loop'), edge('s', 'lookup'), edge('loop', 'body'), edge('body', 'merge', undefined, 'input-json-item'), edge('lookup', 'merge', undefined, 'input-json-ref'), edge('loop', 'after')],
    });
    assert.deepEqual(plan.topLevel, ['s', 'lookup', 'loop', 'after'], 'the loop waits for lookup, which its body reads');
    assert.deepEqual(plan.blocks.get('body')!.inputs[0]!.kind, 'item');
    assert.deepEqual(plan.blocks.get('loop')!.forEach!.body, ['body', 'merge']);
    assert.equal(plan.blocks.get('loop')!.forEach!.resultBlockId, 'merge');

    const leaking = problemsOf(
      { blocks: [block('s', 'start_json'), block('loop', 'for_each'), fn('body', 'loop'), fn('outside')], edges: [edge('s', 'loop'), edge('loop', 'body'), edge('body', 'outside')] },
      { json_inputs: ['s'] },
    );
    assert.match(leaking[0]!.message, /inside the for_each "loop" and cannot feed "outside" outside it/);
  });

  test('a loop body must exist and end in one block unless the loop reduces to nothing', () => {
    const empty = problemsOf({ blocks: [block('loop', 'for_each')], edges: [] });
    assert.match(empty[0]!.message, /no blocks inside it/);
    const twoEnds = problemsOf({ blocks: [block('loop', 'for_each'), fn('a', 'loop'), fn('b', 'loop')], edges: [] });
    assert.match(twoEnds[0]!.message, /ends in 2 blocks \(a, b\)/);
    assert.equal(planRun({ blocks: [block('loop', 'for_each', { reduce_strategy: 'none' }), fn('a', 'loop'), fn('b', 'loop')], edges: [] }, { documents: [], json_inputs: [] }).ok, true);
  });

  test('containment that is not a loop, a missing parent and nesting past the limit are refused', () => {
    assert.match(problemsOf({ blocks: [fn('a'), fn('b', 'a')], edges: [] })[0]!.message, /only for_each blocks contain others/);
    assert.match(problemsOf({ blocks: [fn('b', 'ghost')], edges: [] })[0]!.message, /not a block of this workflow/);
    const depth = RUN_LIMITS.maxLoopNesting + 1;
    const loops = Array.from({ length: depth }, (_, index) => block(`l${index}`, 'for_each', null, index === 0 ? null : `l${index - 1}`));
    const nested = problemsOf({ blocks: [...loops, fn('deep', `l${depth - 1}`)], edges: [] });
    assert.ok(nested.some((p) => p.code === 'workflow_too_large' && p.block_id === 'deep'));
  });

  test('a cycle through a loop is found: a body reading a block that reads the loop', () => {
    const problems = problemsOf(
      { blocks: [block('s', 'start_json'), block('loop', 'for_each'), fn('body', 'loop'), fn('after')], edges: [edge('s', 'loop'), edge('loop', 'after'), edge('after', 'body')] },
      { json_inputs: ['s'] },
    );
    assert.equal(problems[0]!.code, 'invalid_graph');
    assert.match(problems[0]!.message, /cycle/);
  });

  test('size limits: blocks, and the longest chain', () => {
    const many = Array.from({ length: RUN_LIMITS.maxBlocks + 1 }, (_, index) => block(`n${index}`, 'note'));
    assert.equal(problemsOf({ blocks: many, edges: [] })[0]!.code, 'workflow_too_large');
    const chain = Array.from({ length: RUN_LIMITS.maxDepth + 1 }, (_, index) => fn(`f${String(index).padStart(3, '0')}`));
    const edges = chain.slice(1).map((b, index) => edge(chain[index]!.id, b.id));
    const problems = problemsOf({ blocks: chain, edges });
    assert.match(problems[0]!.message, /longest chain of blocks is 101 long/);
    assert.equal(planRun({ blocks: chain.slice(1), edges: edges.slice(1) }, { documents: [], json_inputs: [] }).ok, true);
  });
});
