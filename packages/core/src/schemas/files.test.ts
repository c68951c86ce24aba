import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fileForWire, StoredFileDocument } from './files.js';
import { HandleInput, handleInputsForWire, sourceForWire } from './tests.js';

const stored = { original_id: 'file_1', filename: 'a.pdf', mime_type: 'application/pdf', gcs_uri: 'verdict-blob://ab', size_bytes: 3 };

test('a stored file goes out with the keys of both SDK generations', () => {
  const wire = fileForWire(stored);
  assert.deepEqual(wire, { id: 'file_1', original_id: 'file_1', filename: 'a.pdf', mime_type: 'application/pdf', gcs_uri: 'verdict-blob://ab', size_bytes: 3, content_fingerprint: null });
  assert.deepEqual(StoredFileDocument.parse(wire), wire);
});

test('handle inputs and sources render files through fileForWire and keep JSON as it is', () => {
  const inputs = { doc: { type: 'file' as const, document: stored }, data: { type: 'json' as const, data: { a: 1 } } };
  assert.deepEqual(handleInputsForWire(inputs), { doc: { type: 'file', document: fileForWire(stored) }, data: inputs.data });
  assert.deepEqual(sourceForWire({ type: 'run_step', run_id: 'run_1' }), { type: 'run_step', run_id: 'run_1' });
  assert.throws(() => handleInputsForWire({ doc: { type: 'file', document: { id: 'file_1', filename: 'a', mime_type: 'b' } } }), /normalised/);
});

test('a file input without `type` is a file input; a JSON one needs its type', () => {
  assert.deepEqual(HandleInput.parse({ document: { id: 'file_1', filename: 'a.pdf', mime_type: 'application/pdf' } }), {
    type: 'file',
    document: { id: 'file_1', filename: 'a.pdf', mime_type: 'application/pdf' },
  });
  assert.equal(HandleInput.safeParse({ data: { a: 1 } }).success, false);
  const materialized = HandleInput.parse({ type: 'file', document: { original_id: 'file_1', filename: 'a.pdf', mime_type: 'application/pdf' } });
  assert.deepEqual(materialized, { type: 'file', document: { original_id: 'file_1', filename: 'a.pdf', mime_type: 'application/pdf', size_bytes: 0 } });
});
