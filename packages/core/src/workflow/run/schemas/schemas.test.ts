import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  artifactListItem,
  artifactOperationOfId,
  CreateBlockExecutionRequest,
  CreateWorkflowRunRequest,
  ListWorkflowArtifactsQuery,
  ListWorkflowRunsQuery,
  ListWorkflowStepsQuery,
  WorkflowArtifactRecord,
  WorkflowRun,
  type FunctionInvocation,
} from './index.js';

describe('CreateWorkflowRunRequest', () => {
  test('reads both generations: FileRef and MIMEData documents, null maps, version defaulting to production', () => {
    const old = CreateWorkflowRunRequest.parse({
      workflow_id: 'wf_1',
      documents: { 'start-doc': { id: 'file_1', filename: 'a.pdf', mime_type: 'application/pdf' } },
      json_inputs: { 'start-json': { total: 3 } },
    });
    assert.deepEqual(old.documents['start-doc'], { id: 'file_1', filename: 'a.pdf', mime_type: 'application/pdf' });
    assert.equal(old.version, 'production');
    const newer = CreateWorkflowRunRequest.parse({
      workflow_id: 'wf_1',
      documents: { 'start-doc': { filename: 'a.pdf', url: 'data:application/pdf;base64,JVBERi0=', mime_type: 'application/pdf' } },
      json_inputs: null,
      version: 'ver_0123456789abcdef',
      metadata: { customer: 'acme' },
    });
    assert.deepEqual(newer.documents['start-doc'], { filename: 'a.pdf', url: 'data:application/pdf;base64,JVBERi0=' });
    assert.deepEqual(newer.json_inputs, {});
    assert.equal(newer.version, 'ver_0123456789abcdef');
  });

  test('refuses an unknown version selector, a document with neither id nor url, and oversized metadata', () => {
    assert.equal(CreateWorkflowRunRequest.safeParse({ workflow_id: 'wf_1', version: 'latest' }).success, false);
    assert.equal(CreateWorkflowRunRequest.safeParse({ workflow_id: 'wf_1', documents: { d: { filename: 'a.pdf' } } }).success, false);
    const metadata = Object.fromEntries(Array.from({ length: 65 }, (_, index) => [`k${index}`, 'v']));
    assert.equal(CreateWorkflowRunRequest.safeParse({ workflow_id: 'wf_1', metadata }).success, false);
    assert.equal(CreateWorkflowRunRequest.safeParse({ workflow_id: ' ' }).success, false);
  });
});

describe('WorkflowRun', () => {
  test('an errored run carries stage, category and the failing step', () => {
    const run = WorkflowRun.parse({
      id: 'run_1',
      workflow: { workflow_id: 'wf_1', version_id: 'ver_1' },
      workflow_id: 'wf_1',
      workflow_version_id: 'ver_1',
      trigger: { type: 'api', api_key_id: null },
      lifecycle: { status: 'error', message: 'boom', stage: 'execution', category: 'permanent', details: null, failing_step_id: 'fn' },
      timing: { created_at: null, started_at: null, completed_at: null, duration_ms: null, review_waiting_started_at: null, accumulated_review_waiting_ms: 0 },
      inputs: { documents: {}, json_data: {} },
      metadata: null,
    });
    assert.equal(run.lifecycle.status === 'error' && run.lifecycle.failing_step_id, 'fn');
  });
});

describe('list queries', () => {
  test('runs: metadata is a JSON object of strings; sort_by takes the timing. prefix', () => {
    const query = ListWorkflowRunsQuery.parse({ metadata: '{"customer":"acme"}', sort_by: 'timing.started_at', min_duration_ms: '10' });
    assert.deepEqual(query.metadata, { customer: 'acme' });
    assert.equal(query.sort_by, 'started_at');
    assert.equal(query.min_duration_ms, 10);
    assert.equal(query.limit, 20);
    for (const metadata of ['{', '[1]', '{"a":1}']) assert.equal(ListWorkflowRunsQuery.safeParse({ metadata }).success, false, metadata);
    assert.equal(ListWorkflowRunsQuery.safeParse({ before: 'a', after: 'b' }).success, false);
  });

  test('steps: a repeated parameter is an array, a single one becomes one', () => {
    assert.deepEqual(ListWorkflowStepsQuery.parse({ status: 'skipped' }).status, ['skipped']);
    assert.deepEqual(ListWorkflowStepsQuery.parse({ block_type: ['function', 'conditional'] }).block_type, ['function', 'conditional']);
    assert.equal(ListWorkflowStepsQuery.safeParse({ status: 'bogus' }).success, false);
  });

  test('artifacts need a run or a step', () => {
    assert.equal(ListWorkflowArtifactsQuery.safeParse({}).success, false);
    assert.equal(ListWorkflowArtifactsQuery.parse({ step_id: 's' }).limit, 100);
  });
});

describe('block executions', () => {
  test('n_consensus is 3, 5 or 7; check_eligibility defaults to true', () => {
    assert.equal(CreateBlockExecutionRequest.parse({ run_id: 'run_1', block_id: 'b' }).check_eligibility, true);
    assert.equal(CreateBlockExecutionRequest.parse({ run_id: 'run_1', block_id: 'b', check_eligibility: null }).check_eligibility, true);
    assert.equal(CreateBlockExecutionRequest.parse({ run_id: 'run_1', block_id: 'b', check_eligibility: false }).check_eligibility, false);
    assert.equal(CreateBlockExecutionRequest.safeParse({ run_id: 'run_1', block_id: 'b', n_consensus: 4 }).success, false);
    assert.equal(CreateBlockExecutionRequest.parse({ run_id: 'run_1', block_id: 'b', n_consensus: 5 }).n_consensus, 5);
  });
});

describe('artifacts', () => {
  const invocation: FunctionInvocation = {
    operation: 'function_invocation',
    id: 'finv_1',
    run_id: 'run_1',
    workflow_run_id: 'run_1',
    step_id: 'fn',
    inputs: { 'input-json-0': { a: 1 } },
    output: { b: 2 },
    duration_ms: 3,
    error: null,
    created_at: '2026-12-03T00:00:00.000Z',
  };

  test('the operation is known from the id prefix', () => {
    assert.equal(artifactOperationOfId('finv_1'), 'function_invocation');
    assert.equal(artifactOperationOfId('ceval_1'), 'conditional_evaluation');
    assert.equal(artifactOperationOfId('xyz_1'), null);
  });

  test('a list item carries the fields inline and under additional_properties', () => {
    const item = artifactListItem(WorkflowArtifactRecord.parse(invocation));
    assert.equal(item.operation, 'function_invocation');
    assert.deepEqual(item.additional_properties?.output, { b: 2 });
    assert.deepEqual((item as Record<string, unknown>).output, { b: 2 });
  });
});
