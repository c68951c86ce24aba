import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { BLOCK_TYPES, type BlockConfig, type BlockType } from '../schemas/workflows.js';
import { deriveHandles, routeHandleKey } from './handles.js';

const ids = (type: BlockType, config: BlockConfig | null = null) => {
  const { inputs, outputs } = deriveHandles(type, config);
  return { inputs: inputs.map((h) => `${h.id}:${h.kind}`), outputs: outputs.map((h) => `${h.id}:${h.kind}`) };
};

describe('deriveHandles', () => {
  const fixed: Array<[BlockType, string[], string[]]> = [
    ['function', ['input-json-0:json'], ['output-json-0:json']],
    ['start_json', [], ['output-json-0:json']],
    ['start_document', [], ['output-file-0:file']],
    ['parse', ['input-file-0:file'], ['output-json-0:json']],
    ['edit', ['input-file-0:file', 'input-json-0:json'], ['output-file-0:file']],
    ['api_call', ['input-json-0:json'], ['output-json-0:json']],
    ['while_loop', ['input-json-0:json'], ['output-json-0:json']],
    ['for_each', ['input-json-0:json'], ['output-json-0:json']],
    ['note', [], []],
    ['review', [], []],
    ['for_each_sentinel_start', [], []],
    ['while_loop_sentinel_end', [], []],
  ];
  for (const [type, inputs, outputs] of fixed) {
    test(`${type} has fixed handles`, () => assert.deepEqual(ids(type), { inputs, outputs }));
  }

  test('extract defaults to one file input named document', () => {
    assert.deepEqual(ids('extract', {}), { inputs: ['input-file-document:file'], outputs: ['output-json-0:json'] });
  });

  test('extract takes one input per configured entry, typed by the entry', () => {
    const config = { inputs: [{ name: 'source_doc', type: 'file', is_primary: true }, { name: 'noisy-label', type: 'json' }] };
    assert.deepEqual(ids('extract', config).inputs, ['input-file-source_doc:file', 'input-json-noisy-label:json']);
  });

  test('extract skips malformed input entries instead of throwing', () => {
    const config = { inputs: [null, 3, { name: 'x', type: 'text' }, { type: 'json' }, { name: 'ok', type: 'json' }] };
    assert.deepEqual(ids('extract', config).inputs, ['input-json-ok:json']);
  });

  test('classifier routes each category to a file output keyed by handle_key or derived name', () => {
    const config = { categories: [{ name: 'Booking Confirmation' }, { name: 'Invoice', handle_key: 'inv' }] };
    assert.deepEqual(ids('classifier', config), {
      inputs: ['input-file-document:file'],
      outputs: ['output-file-booking-confirmation:file', 'output-file-inv:file'],
    });
  });

  test('split has one file output per subdocument plus the splits manifest', () => {
    const config = { subdocuments: [{ name: 'Invoice' }, { name: 'Receipt Page' }] };
    assert.deepEqual(ids('split', config), {
      inputs: ['input-file-0:file'],
      outputs: ['output-file-invoice:file', 'output-file-receipt-page:file', 'output-json-splits:json'],
    });
  });

  test('conditional has one json output per branch plus else unless has_else is false', () => {
    const conditions = [{ branch_name: 'Needs Review' }, { branch_name: 'ok', handle_key: 'fine' }];
    assert.deepEqual(ids('conditional', { conditions }).outputs, ['output-json-needs-review:json', 'output-json-fine:json', 'output-json-else:json']);
    assert.deepEqual(ids('conditional', { conditions, has_else: false }).outputs, ['output-json-needs-review:json', 'output-json-fine:json']);
  });

  test('merge_dicts takes one json input per configured name', () => {
    assert.deepEqual(ids('merge_dicts', { inputs: [{ name: 'a' }, { name: 'b' }] }), {
      inputs: ['input-json-a:json', 'input-json-b:json'],
      outputs: ['output-json-0:json'],
    });
    assert.deepEqual(ids('merge_dicts', null).inputs, []);
  });

  test('for_each over pages or partitions takes a document', () => {
    assert.deepEqual(ids('for_each', { map_method: 'split_by_page' }).inputs, ['input-file-0:file']);
    assert.deepEqual(ids('for_each', { map_method: 'split_by_key' }).inputs, ['input-file-0:file']);
    assert.deepEqual(ids('for_each', { map_method: 'iterate_array' }).inputs, ['input-json-0:json']);
  });

  test('colliding routes yield one handle', () => {
    const config = { categories: [{ name: 'A' }, { name: 'x', handle_key: 'a' }] };
    assert.deepEqual(ids('classifier', config).outputs, ['output-file-a:file']);
  });

  test('never throws on any config shape, for any type', () => {
    const configs: unknown[] = [null, {}, [], 'x', { categories: 'x', subdocuments: {}, inputs: 5, conditions: [1] }];
    for (const type of BLOCK_TYPES) for (const config of configs) deriveHandles(type, config as BlockConfig);
  });
});

test('routeHandleKey lower-cases and hyphenates names only when no handle_key is set', () => {
  assert.equal(routeHandleKey({ name: 'Booking confirmation' }), 'booking-confirmation');
  assert.equal(routeHandleKey({ name: 'X', handle_key: 'Keep_Me' }), 'Keep_Me');
  assert.equal(routeHandleKey({ name: 'X Y', handle_key: '' }), 'x-y');
});
