import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { EVALS_GENERATION_MODELS, TESTS_GENERATION_MODELS, violations } from './sdk-models.js';

// The result of Retab's own Python test of the evals SDK (61d9c44e), as the delta notes quote it.
const RETAB_EVAL_RESULT = {
  id: 'wfresult_abc',
  workflow_eval_run_id: 'wfevalrun_q1z2',
  eval_id: 'wfnodeeval_abc',
  workflow_id: 'wf_abc123',
  block_id: 'block_extract',
  block_type: 'function',
  lifecycle: { status: 'completed' },
  timing: { created_at: '2026-06-20T10:00:00Z' },
  execution_fingerprint: 'f1',
  handle_outputs: { 'output-json-0': { type: 'json', data: { total: 1234.56 } } },
  warnings: [],
  verdict: 'passed',
};

const RUN = {
  id: 'wftestrun_1',
  workflow: { workflow_id: 'wf_1', version_id: 'ver_1' },
  workflow_id: 'wf_1',
  workflow_version_id: 'ver_1',
  trigger: { type: 'schedule', schedule_id: 'sch_1' },
  lifecycle: { status: 'pending' },
  timing: { created_at: '2026-06-20T10:00:00Z', started_at: null, completed_at: null, duration_ms: null },
  total_tests: 1,
  total_evals: 1,
};

describe('the SDK model checker refuses what an SDK would', () => {
  test("Retab's own eval result validates as an eval result, and not as an old test result", () => {
    assert.deepEqual(violations(RETAB_EVAL_RESULT, EVALS_GENERATION_MODELS.result), []);
    const old = violations(RETAB_EVAL_RESULT, TESTS_GENERATION_MODELS.result);
    assert.ok(old.includes('$.test_id: required, missing') && old.includes('$.target: required, missing') && old.includes('$.source: required, missing'), old.join('\n'));
  });

  test('a run with both generations\' keys validates as both; each key missing is named', () => {
    assert.deepEqual(violations(RUN, TESTS_GENERATION_MODELS.run), []);
    assert.deepEqual(violations(RUN, EVALS_GENERATION_MODELS.run), []);
    const { total_evals: _evals, ...withoutTotalEvals } = RUN;
    assert.deepEqual(violations(withoutTotalEvals, EVALS_GENERATION_MODELS.run), ['$.total_evals: required, missing']);
    const { workflow: _workflow, ...flatOnly } = RUN;
    assert.deepEqual(violations(flatOnly, TESTS_GENERATION_MODELS.run), ['$.workflow: required, missing']);
  });

  test('the old SDK needs the full trigger variant and knows no custom trigger; the new one reads only the type', () => {
    assert.equal(violations({ ...RUN, trigger: { type: 'schedule' } }, TESTS_GENERATION_MODELS.run).length, 1);
    assert.equal(violations({ ...RUN, trigger: { type: 'custom' } }, TESTS_GENERATION_MODELS.run).length, 1);
    assert.deepEqual(violations({ ...RUN, trigger: { type: 'custom' } }, EVALS_GENERATION_MODELS.run), []);
  });

  test('a run freshness, when sent, carries its three nullable keys', () => {
    const full = { status: 'unknown', reasons: [], validity_fingerprint: null, input_fingerprint: null, baseline_run_id: null };
    assert.deepEqual(violations({ ...RUN, freshness: full }, EVALS_GENERATION_MODELS.run), []);
    const { baseline_run_id: _baseline, ...partial } = full;
    assert.deepEqual(violations({ ...RUN, freshness: partial }, EVALS_GENERATION_MODELS.run), ['$.freshness.baseline_run_id: required, missing']);
  });

  test("a summary's started_at is required and a datetime", () => {
    const summary = { run_record_id: 'r', status: 'cancelled', started_at: null };
    const testObject = { id: 't', workflow_id: 'w', target: { type: 'block', block_id: 'b' }, source: { type: 'manual', handle_inputs: {} }, latest_run_summary: summary };
    assert.deepEqual(violations(testObject, TESTS_GENERATION_MODELS.test), ['$.latest_run_summary.started_at: expected a datetime, got null']);
    assert.deepEqual(violations(testObject, EVALS_GENERATION_MODELS.test), ['$.latest_run_summary.started_at: expected a datetime, got null']);
  });

  test('file inputs: the old SDK reads a MaterializedDocument, the new one a FileRef', () => {
    const materialized = { type: 'file', document: { original_id: 'file_1', filename: 'a.pdf', mime_type: 'application/pdf', gcs_uri: 'verdict-blob://x' } };
    const source = { type: 'manual', handle_inputs: { 'input-file-document': materialized } };
    const testObject = { id: 't', workflow_id: 'w', target: { block_id: 'b' }, source };
    assert.deepEqual(violations(testObject, TESTS_GENERATION_MODELS.test), []);
    assert.equal(violations(testObject, EVALS_GENERATION_MODELS.test).length, 1);
    const both = { ...testObject, source: { ...source, handle_inputs: { 'input-file-document': { ...materialized, document: { ...materialized.document, id: 'file_1' } } } } };
    assert.deepEqual(violations(both, EVALS_GENERATION_MODELS.test), []);
  });
});
