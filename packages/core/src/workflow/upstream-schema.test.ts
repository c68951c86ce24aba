import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { BlockType } from '../schemas/workflows.js';
import { upstreamJsonSchema, type SchemaGraph } from './upstream-schema.js';

const INVOICE = { type: 'object', properties: { invoice_id: { type: 'string' } } };
const OUT = { type: 'object', properties: { ok: { type: 'boolean' } } };

function graph(blocks: Array<[string, BlockType, Record<string, unknown> | null]>, edges: Array<[string, string, string, string]>): SchemaGraph {
  return {
    blocks: blocks.map(([id, type, config]) => ({ id, type, config })),
    edges: edges.map(([source_block, source_handle, target_block, target_handle]) => ({ source_block, source_handle, target_block, target_handle })),
  };
}

describe('upstreamJsonSchema', () => {
  const cases: Array<[string, SchemaGraph, unknown]> = [
    ['a start_json block gives its json_schema', graph([['in', 'start_json', { json_schema: INVOICE }], ['fn', 'function', {}]], [['in', 'output-json-0', 'fn', 'input-json-0']]), INVOICE],
    ['a function gives its output_schema', graph([['a', 'function', { output_schema: OUT }], ['fn', 'function', {}]], [['a', 'output-json-0', 'fn', 'input-json-0']]), OUT],
    ['an extract block gives its json_schema', graph([['x', 'extract', { json_schema: INVOICE }], ['fn', 'function', {}]], [['x', 'output-json-0', 'fn', 'input-json-0']]), INVOICE],
    ['an api_call gives its output_schema', graph([['x', 'api_call', { output_schema: OUT }], ['fn', 'function', {}]], [['x', 'output-json-0', 'fn', 'input-json-0']]), OUT],
    ['a conditional passes on what reaches it', graph([['in', 'start_json', { json_schema: INVOICE }], ['if', 'conditional', {}], ['fn', 'function', {}]], [['in', 'output-json-0', 'if', 'input-json-0'], ['if', 'output-json-else', 'fn', 'input-json-0']]), INVOICE],
    ['a split manifest has its fixed shape', graph([['s', 'split', {}], ['fn', 'function', {}]], [['s', 'output-json-splits', 'fn', 'input-json-0']]), { type: 'object', properties: { splits: { type: 'array', items: { type: 'object', properties: { name: { type: 'string' }, pages: { type: 'array', items: { type: 'integer' } } } } } } }],
    ['merge_dicts maps each input name to what reaches it', graph([['in', 'start_json', { json_schema: INVOICE }], ['m', 'merge_dicts', { inputs: [{ name: 'a' }, { name: 'b' }] }], ['fn', 'function', {}]], [['in', 'output-json-0', 'm', 'input-json-a'], ['m', 'output-json-0', 'fn', 'input-json-0']]), { type: 'object', properties: { a: INVOICE, b: {} } }],
    ['nothing connected: null', graph([['fn', 'function', {}]], []), null],
    ['a start_json without a schema: null', graph([['in', 'start_json', null], ['fn', 'function', {}]], [['in', 'output-json-0', 'fn', 'input-json-0']]), null],
    ['a schema that is not an object: null', graph([['in', 'start_json', { json_schema: 'invoice' }], ['fn', 'function', {}]], [['in', 'output-json-0', 'fn', 'input-json-0']]), null],
    ['a block type with no declared output: null', graph([['loop', 'while_loop', {}], ['fn', 'function', {}]], [['loop', 'output-json-0', 'fn', 'input-json-0']]), null],
  ];
  for (const [name, workflow, expected] of cases) test(name, () => assert.deepEqual(upstreamJsonSchema(workflow, 'fn'), expected));

  test('a cycle through conditionals ends with null instead of recursing forever', () => {
    const cyclic = graph([['a', 'conditional', {}], ['b', 'conditional', {}], ['fn', 'function', {}]], [['a', 'output-json-else', 'b', 'input-json-0'], ['b', 'output-json-else', 'a', 'input-json-0'], ['b', 'output-json-else', 'fn', 'input-json-0']]);
    assert.equal(upstreamJsonSchema(cyclic, 'fn'), null);
  });
});
