import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { checkEdge, findCycle, resolveEdgeHandles, validateEdge, type Graph, type GraphBlock } from './edges.js';

const block = (id: string, type: GraphBlock['type'], config: GraphBlock['config'] = null): GraphBlock => ({ id, type, config, parent_id: null });
const blocks = [
  block('doc', 'start_document'),
  block('json', 'start_json'),
  block('ext', 'extract'),
  block('fn', 'function', { code: 'x' }),
  block('fn2', 'function', { code: 'y' }),
  block('cls', 'classifier', { categories: [{ name: 'Invoice' }, { name: 'Receipt' }] }),
  block('merge', 'merge_dicts', { inputs: [{ name: 'a' }, { name: 'b' }] }),
  block('memo', 'note'),
];
const empty: Graph = { blocks, edges: [] };
const wire = (source_block: string, source_handle: string | null, target_block: string, target_handle: string | null) =>
  ({ source_block, source_handle, target_block, target_handle });

function assertProblem(graph: Graph, edge: ReturnType<typeof wire>, code: string, reason: string, fragment: RegExp) {
  const problem = validateEdge(graph, edge);
  assert.ok(problem, 'expected the edge to be refused');
  assert.equal(problem.code, code);
  assert.equal(problem.reason, reason);
  assert.match(problem.message, fragment);
}

describe('validateEdge', () => {
  test('accepts file to file and json to json', () => {
    assert.equal(validateEdge(empty, wire('doc', 'output-file-0', 'ext', 'input-file-document')), null);
    assert.equal(validateEdge(empty, wire('ext', 'output-json-0', 'fn', 'input-json-0')), null);
  });
  test('an unknown source or target block is block_not_found, naming the block', () => {
    assertProblem(empty, wire('ghost', 'output-json-0', 'fn', 'input-json-0'), 'block_not_found', 'unknown_block', /source block "ghost"/);
    assertProblem(empty, wire('json', 'output-json-0', 'ghost', 'input-json-0'), 'block_not_found', 'unknown_block', /target block "ghost"/);
  });
  test('a handle the block lacks is refused with the list of its handles', () => {
    assertProblem(empty, wire('cls', 'output-file-other', 'ext', 'input-file-document'), 'validation_error', 'unknown_handle',
      /classifier block "cls" has no output handle "output-file-other"; its handles are output-file-invoice, output-file-receipt/);
    assertProblem(empty, wire('json', 'output-json-0', 'fn', 'input-json-1'), 'validation_error', 'unknown_handle', /no input handle "input-json-1"; its handles are input-json-0/);
  });
  test('an output handle used as an input is refused', () => {
    assertProblem(empty, wire('json', 'output-json-0', 'fn', 'output-json-0'), 'validation_error', 'unknown_handle', /no input handle "output-json-0"/);
  });
  test('a block without handles says so', () => {
    assertProblem(empty, wire('memo', null, 'fn', null), 'validation_error', 'missing_handle', /note block "memo".*it has none/);
  });
  test('file to json is refused', () => {
    assertProblem(empty, wire('doc', 'output-file-0', 'fn', 'input-json-0'), 'validation_error', 'kind_mismatch', /file output "output-file-0" of "doc" to the json input "input-json-0"/);
  });
  test('an input handle takes one edge', () => {
    const graph = { blocks, edges: [wire('json', 'output-json-0', 'fn', 'input-json-0')] };
    assertProblem(graph, wire('ext', 'output-json-0', 'fn', 'input-json-0'), 'conflict', 'input_taken', /"input-json-0" of "fn" already has an edge/);
  });
  test('an output handle may feed several inputs', () => {
    const graph = { blocks, edges: [wire('json', 'output-json-0', 'fn', 'input-json-0')] };
    assert.equal(validateEdge(graph, wire('json', 'output-json-0', 'fn2', 'input-json-0')), null);
  });
  test('a duplicate edge is a conflict', () => {
    const graph = { blocks, edges: [wire('json', 'output-json-0', 'fn', 'input-json-0')] };
    assertProblem(graph, wire('json', 'output-json-0', 'fn', 'input-json-0'), 'conflict', 'duplicate', /already exists/);
  });
  test('a stored edge without handles still occupies its input', () => {
    const graph = { blocks, edges: [wire('json', null, 'fn', null)] };
    assertProblem(graph, wire('json', 'output-json-0', 'fn', 'input-json-0'), 'conflict', 'duplicate', /already exists/);
  });
  test('a self-loop is refused', () => {
    assertProblem(empty, wire('fn', 'output-json-0', 'fn', 'input-json-0'), 'validation_error', 'self_loop', /"fn" cannot be connected to itself/);
  });
  test('a cycle is refused, naming both ends', () => {
    const graph = { blocks, edges: [wire('fn', 'output-json-0', 'fn2', 'input-json-0'), wire('fn2', 'output-json-0', 'merge', 'input-json-a')] };
    assertProblem(graph, wire('merge', 'output-json-0', 'fn', 'input-json-0'), 'validation_error', 'cycle', /"fn" already leads to "merge"/);
  });
});

describe('resolveEdgeHandles', () => {
  test('fills a missing handle when the block has exactly one of that direction', () => {
    assert.deepEqual(resolveEdgeHandles(empty, wire('doc', null, 'ext', null)), {
      ok: true,
      edge: wire('doc', 'output-file-0', 'ext', 'input-file-document'),
    });
  });
  test('refuses to guess between several handles and lists them', () => {
    const result = resolveEdgeHandles(empty, wire('doc', null, 'merge', null));
    assert.equal(result.ok, false);
    assert.ok(!result.ok);
    assert.equal(result.problem.field, 'target_handle');
    assert.match(result.problem.message, /Name the input handle of merge_dicts block "merge" in target_handle: its handles are input-json-a, input-json-b/);
  });
  test('checkEdge returns the edge with resolved handles', () => {
    const result = checkEdge(empty, { source_block: 'json', target_block: 'fn' });
    assert.deepEqual(result, { ok: true, edge: wire('json', 'output-json-0', 'fn', 'input-json-0') });
  });
});

describe('findCycle', () => {
  const edge = (source_block: string, target_block: string) => ({ source_block, target_block });
  test('returns null for a DAG, including diamonds', () => {
    assert.equal(findCycle([edge('a', 'b'), edge('a', 'c'), edge('b', 'd'), edge('c', 'd')]), null);
    assert.equal(findCycle([]), null);
  });
  test('returns the edges of a cycle in walking order, ignoring edges off the cycle', () => {
    const cycle = findCycle([edge('s', 'a'), edge('a', 'b'), edge('b', 'c'), edge('c', 'a'), edge('c', 'out')]);
    assert.ok(cycle);
    const blocks = cycle.map((e) => e.source_block);
    assert.deepEqual([...blocks].sort(), ['a', 'b', 'c']);
    cycle.forEach((e, i) => assert.equal(e.target_block, cycle[(i + 1) % cycle.length].source_block));
  });
  test('is linear: a chain ten times longer (100,000 edges, listed backwards) costs about ten times as much, not a hundred', () => {
    const chainOf = (length: number) => Array.from({ length }, (_, i) => edge(`b${i}`, `b${i + 1}`)).reverse();
    const long = chainOf(100_000);
    assert.equal(findCycle(long), null);
    assert.ok(findCycle([...long, edge('b100000', 'b0')]));
    // The fastest of three tries of each size: a loaded machine slows some tries, never all of them.
    const fastest = (edges: ReturnType<typeof chainOf>) =>
      Math.min(
        ...[0, 1, 2].map(() => {
          const started = performance.now();
          findCycle(edges);
          return performance.now() - started;
        }),
      );
    const short = fastest(chainOf(10_000));
    const tenTimes = fastest(long);
    assert.ok(tenTimes < short * 40 + 50, `10,000 edges: ${short.toFixed(1)} ms; 100,000: ${tenTimes.toFixed(1)} ms (quadratic would be ~100×)`);
  });
});
