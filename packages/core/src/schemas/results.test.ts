import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { typedHandleOutputs } from './results.js';
import { replayedHandleInputs } from './tests.js';
import { RunScope, singleScopeTestId } from './runs.js';

describe('result and run shapes of both API generations', () => {
  test('handle_outputs wraps JSON payloads and turns a file handle\'s payload into a FileRef document, keeping the pages it carries', () => {
    const file = { type: 'file', id: 'file_1', filename: 'invoice.pdf', mime_type: 'application/pdf', pages: [1, 2] };
    assert.deepEqual(typedHandleOutputs({ 'output-json-0': { total: 1 }, 'output-file-invoice': file, 'output-json-splits': file }), {
      'output-json-0': { type: 'json', data: { total: 1 } },
      'output-file-invoice': { type: 'file', document: { id: 'file_1', filename: 'invoice.pdf', mime_type: 'application/pdf' }, pages: [1, 2] },
      // A JSON handle whose value happens to look like a file stays JSON.
      'output-json-splits': { type: 'json', data: file },
    });
    assert.deepEqual(typedHandleOutputs({ 'output-file-0': 'a list preview' }), { 'output-file-0': { type: 'json', data: 'a list preview' } });
    const { pages: _pages, ...whole } = file;
    assert.deepEqual(typedHandleOutputs({ 'output-file-0': whole })!['output-file-0'], { type: 'file', document: { id: 'file_1', filename: 'invoice.pdf', mime_type: 'application/pdf' } }, 'no pages: the whole file');
    assert.deepEqual(typedHandleOutputs({ 'output-file-0': { ...file, pages: [2, 1] } })!['output-file-0'], { type: 'file', document: { id: 'file_1', filename: 'invoice.pdf', mime_type: 'application/pdf' } }, 'pages that are not a subset are not passed on');
    assert.equal(typedHandleOutputs(null), null);
  });

  test('handle_inputs are those of a manual source, or those a run_step source captured from its step', () => {
    const inputs = { 'input-json-0': { type: 'json' as const, data: { n: 1 } } };
    assert.deepEqual(replayedHandleInputs({ type: 'manual', handle_inputs: inputs }), inputs);
    assert.deepEqual(replayedHandleInputs({ type: 'run_step', run_id: 'run_1', handle_inputs: inputs } as never), inputs);
    assert.deepEqual(replayedHandleInputs({ type: 'run_step', run_id: 'run_1' }), {});
  });

  test('a single scope names its test as eval_id or test_id, not two different ones', () => {
    const single = (scope: object) => RunScope.parse({ type: 'single', ...scope }) as Extract<RunScope, { type: 'single' }>;
    assert.equal(singleScopeTestId(single({ eval_id: 'a' })), 'a');
    assert.equal(singleScopeTestId(single({ test_id: 'a' })), 'a');
    assert.equal(singleScopeTestId(single({ test_id: 'a', eval_id: 'a' })), 'a');
    assert.equal(RunScope.safeParse({ type: 'single' }).success, false);
    assert.equal(RunScope.safeParse({ type: 'single', test_id: 'a', eval_id: 'b' }).success, false);
  });
});
