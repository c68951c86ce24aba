import assert from 'node:assert/strict';
import { test } from 'node:test';
import { derivedTestName } from './test-names.js';

test('a derived test name is the case, the condition kind and where it looks (the default output handle left out)', () => {
  assert.equal(derivedTestName('large-invoice', { target: { output_handle_id: 'output-json-0', path: 'is_valid' }, condition: { kind: 'equals' } }), 'large-invoice · equals is_valid');
  assert.equal(derivedTestName('split', { target: { output_handle_id: 'output-file-1' }, condition: { kind: 'exists' } }), 'split · exists output-file-1');
  assert.equal(derivedTestName('whole', { target: { output_handle_id: 'output-json-0', path: null }, condition: { kind: 'json_schema_valid' } }), 'whole · json_schema_valid');
});
