import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { HandleInput } from '../schemas/tests.js';
import {
  blockConfigFingerprint,
  executionFingerprint,
  handleInputsFingerprint,
  versionIdFor,
  workflowDraftFingerprint,
  type ExecutableBlock,
} from './fingerprints.js';

const HEX16 = /^[0-9a-f]{16}$/;
const fn: ExecutableBlock = { id: 'b', type: 'function', config: { code: 'x', output_schema: { type: 'object', required: ['a'] } }, parent_id: null };
const start: ExecutableBlock = { id: 'a', type: 'start_json', config: null, parent_id: null };
const edge = { source_block: 'a', source_handle: 'output-json-0', target_block: 'b', target_handle: 'input-json-0' };

describe('blockConfigFingerprint', () => {
  test('is 16 hex characters and stable under key order', () => {
    const reordered = { ...fn, config: { output_schema: { required: ['a'], type: 'object' }, code: 'x' } };
    assert.match(blockConfigFingerprint(fn), HEX16);
    assert.equal(blockConfigFingerprint(reordered), blockConfigFingerprint(fn));
  });
  test('ignores label and position, but not type, config or parent', () => {
    const decorated = { ...fn, label: 'Check', position_x: 40, position_y: 7, width: 100 } as ExecutableBlock;
    assert.equal(blockConfigFingerprint(decorated), blockConfigFingerprint(fn));
    assert.notEqual(blockConfigFingerprint({ ...fn, config: { code: 'y' } }), blockConfigFingerprint(fn));
    assert.notEqual(blockConfigFingerprint({ ...fn, parent_id: 'loop' }), blockConfigFingerprint(fn));
    assert.notEqual(blockConfigFingerprint({ ...fn, type: 'api_call' }), blockConfigFingerprint(fn));
  });
  test('an absent config equals an empty one', () => {
    assert.equal(blockConfigFingerprint({ ...start, config: {} }), blockConfigFingerprint(start));
  });
});

describe('workflowDraftFingerprint', () => {
  const base = workflowDraftFingerprint([fn, start], [edge]);
  test('does not depend on the order of blocks or edges', () => {
    const other = { ...edge, source_block: 'c' };
    assert.equal(workflowDraftFingerprint([start, fn], [edge, other]), workflowDraftFingerprint([fn, start], [other, edge]));
  });
  test('ignores edge ids and block labels', () => {
    assert.equal(workflowDraftFingerprint([fn, { ...start, label: 'In' } as ExecutableBlock], [{ ...edge, id: 'edg_1' } as typeof edge]), base);
  });
  test('changes with any executable part', () => {
    assert.notEqual(workflowDraftFingerprint([fn, start], []), base);
    assert.notEqual(workflowDraftFingerprint([fn, { ...start, id: 'a2' }], [edge]), base);
    assert.notEqual(workflowDraftFingerprint([fn, start], [{ ...edge, target_handle: 'input-json-1' }]), base);
  });
});

describe('handleInputsFingerprint', () => {
  const file = (document: Record<string, unknown>): HandleInput => ({ type: 'file', document } as HandleInput);
  test('a file is identified by content and mime type, not by name or storage location', () => {
    const a = file({ original_id: 'file_1', filename: 'a.pdf', mime_type: 'application/pdf', gcs_uri: 'x', size_bytes: 1, content_fingerprint: 'abc' });
    const b = file({ original_id: 'file_2', filename: 'b.pdf', mime_type: 'application/pdf', gcs_uri: 'y', size_bytes: 1, content_fingerprint: 'abc' });
    const c = file({ original_id: 'file_1', filename: 'a.pdf', mime_type: 'image/png', gcs_uri: 'x', size_bytes: 1, content_fingerprint: 'abc' });
    assert.equal(handleInputsFingerprint({ 'input-file-0': a }), handleInputsFingerprint({ 'input-file-0': b }));
    assert.notEqual(handleInputsFingerprint({ 'input-file-0': a }), handleInputsFingerprint({ 'input-file-0': c }));
  });
  test('without a content fingerprint the original file id decides', () => {
    const a = file({ original_id: 'file_1', filename: 'a.pdf', mime_type: 'application/pdf', gcs_uri: 'x', size_bytes: 0 });
    const b = file({ original_id: 'file_2', filename: 'a.pdf', mime_type: 'application/pdf', gcs_uri: 'x', size_bytes: 0 });
    assert.notEqual(handleInputsFingerprint({ d: a }), handleInputsFingerprint({ d: b }));
  });
  test('json inputs are stable under key order and distinguish values', () => {
    const one = handleInputsFingerprint({ 'input-json-0': { type: 'json', data: { a: 1, b: [1, 2] } } });
    assert.equal(handleInputsFingerprint({ 'input-json-0': { type: 'json', data: { b: [1, 2], a: 1 } } }), one);
    assert.notEqual(handleInputsFingerprint({ 'input-json-0': { type: 'json', data: { a: 1, b: [2, 1] } } }), one);
    assert.notEqual(handleInputsFingerprint({ 'input-json-1': { type: 'json', data: { a: 1, b: [1, 2] } } }), one);
  });
});

test('executionFingerprint depends on each of its three parts', () => {
  const parts = { handle_inputs_fingerprint: '1'.repeat(16), workflow_draft_fingerprint: '2'.repeat(16), block_config_fingerprint: '3'.repeat(16) };
  const base = executionFingerprint(parts);
  assert.match(base, HEX16);
  for (const key of Object.keys(parts) as Array<keyof typeof parts>) {
    assert.notEqual(executionFingerprint({ ...parts, [key]: 'f'.repeat(16) }), base);
  }
});

test('versionIdFor prefixes the draft fingerprint', () => {
  assert.equal(versionIdFor('0123456789abcdef'), 'ver_0123456789abcdef');
});
