import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { WorkflowRun } from '@verdict/core';
import { Verdict } from './client.js';
import { ConflictError, TimeoutError } from './errors.js';
import { startFakeServer, type Reply, type SeenRequest } from './test-server.js';

function workflowRun(status: 'pending' | 'running' | 'completed'): WorkflowRun {
  return {
    id: 'run_1',
    workflow: { workflow_id: 'wf_1', version_id: 'ver_1' },
    workflow_id: 'wf_1',
    workflow_version_id: 'ver_1',
    trigger: { type: 'api', api_key_id: null },
    lifecycle: { status },
    timing: { created_at: '2026-12-03T00:00:00.000Z', started_at: null, completed_at: null, duration_ms: null, review_waiting_started_at: null, accumulated_review_waiting_ms: 0 },
    inputs: { documents: {}, json_data: { start: { total: 1 } } },
    metadata: null,
  };
}

async function withServer(answer: (request: SeenRequest, index: number) => Reply, body: (client: Verdict, requests: SeenRequest[]) => Promise<void>): Promise<void> {
  const server = await startFakeServer(answer);
  try {
    await body(new Verdict({ apiKey: 'k', baseUrl: server.baseUrl, maxRetries: 0 }), server.requests);
  } finally {
    await server.close();
  }
}

const page = (data: unknown[], after: string | null = null) => ({ json: { data, list_metadata: { before: null, after } } });

describe('workflows.runs', () => {
  test('create, get, delete, cancel and export send what Retab’s API takes', async () => {
    await withServer(
      (request) => (request.method === 'DELETE' ? { status: 204 } : request.path.endsWith('/export') ? { json: { csv_data: 'a;b', rows: 1, columns: 2 } } : request.path.endsWith('/cancel') ? { json: { run: workflowRun('running'), redis_available: true, cancellation_status: 'cancelled' } } : { status: request.method === 'POST' ? 202 : 200, json: workflowRun('pending') }),
      async (client, requests) => {
        const created = await client.workflows.runs.create({ workflow_id: 'wf_1', json_inputs: { start: { total: 1 } }, documents: { doc: { filename: 'a.pdf', url: 'data:application/pdf;base64,JVBERi0=' } }, version: 'draft' });
        assert.equal(created.id, 'run_1');
        await client.workflows.runs.get('run/1');
        await client.workflows.runs.delete('run_1');
        const cancelled = await client.workflows.runs.cancel('run_1', { command_id: 'cmd-1' });
        assert.equal(cancelled.cancellation_status, 'cancelled');
        const exported = await client.workflows.runs.export({ workflow_id: 'wf_1', block_id: 'fn', export_source: 'inputs' });
        assert.equal(exported.rows, 1);
        assert.deepEqual(requests.map((request) => `${request.method} ${request.path}`), [
          'POST /v1/workflows/runs',
          'GET /v1/workflows/runs/run%2F1',
          'DELETE /v1/workflows/runs/run_1',
          'POST /v1/workflows/runs/run_1/cancel',
          'POST /v1/workflows/runs/export',
        ]);
        assert.deepEqual(JSON.parse(requests[0]!.body), { workflow_id: 'wf_1', json_inputs: { start: { total: 1 } }, documents: { doc: { filename: 'a.pdf', url: 'data:application/pdf;base64,JVBERi0=' } }, version: 'draft' });
        assert.deepEqual(JSON.parse(requests[3]!.body), { command_id: 'cmd-1' });
      },
    );
  });

  test('list sends its filters, metadata as a JSON object, and walks the pages', async () => {
    await withServer(
      (request) => (request.query.get('after') ? page([{ id: 'run_2' }]) : page([{ id: 'run_1' }], 'run_1')),
      async (client, requests) => {
        const ids: string[] = [];
        for await (const run of client.workflows.runs.list({ workflow_id: 'wf_1', status: 'error', metadata: { customer: 'acme' }, from_date: '2026-12-01', limit: 1 })) ids.push(run.id);
        assert.deepEqual(ids, ['run_1', 'run_2']);
        assert.deepEqual(Object.fromEntries(requests[0]!.query), { workflow_id: 'wf_1', status: 'error', metadata: '{"customer":"acme"}', from_date: '2026-12-01', limit: '1' });
        assert.equal(requests[1]!.query.get('after'), 'run_1');
        assert.equal(requests[1]!.query.get('metadata'), '{"customer":"acme"}');
      },
    );
  });

  test('wait polls until the run is terminal, reporting each status once; it gives up after timeoutMs', async () => {
    const states = [workflowRun('pending'), workflowRun('running'), workflowRun('running'), workflowRun('completed')];
    await withServer(
      (_, index) => ({ json: states[Math.min(index, states.length - 1)] }),
      async (client, requests) => {
        const seen: string[] = [];
        const final = await client.workflows.runs.wait('run_1', { pollMs: 5, onProgress: (run) => seen.push(run.lifecycle.status) });
        assert.equal(final.lifecycle.status, 'completed');
        assert.deepEqual(seen, ['pending', 'running', 'completed']);
        assert.equal(requests.length, 4);
      },
    );
    await withServer(
      () => ({ json: workflowRun('running') }),
      async (client) => {
        await assert.rejects(client.workflows.runs.wait('run_1', { pollMs: 10, timeoutMs: 60 }), (error: unknown) => error instanceof TimeoutError && error.code === 'wait_timeout');
      },
    );
  });
});

describe('workflows.steps and workflows.artifacts', () => {
  test('steps: repeated filters become repeated parameters; get names the run', async () => {
    await withServer(
      (request) => (request.path === '/v1/workflows/steps' ? page([]) : { json: { step_id: 'loop/0/fn' } }),
      async (client, requests) => {
        await client.workflows.steps.list({ run_id: 'run_1', status: ['skipped', 'error'], block_type: 'function' });
        await client.workflows.steps.get('loop/0/fn', { run_id: 'run_1' });
        assert.deepEqual(requests[0]!.query.getAll('status'), ['skipped', 'error']);
        assert.deepEqual(requests[0]!.query.getAll('block_type'), ['function']);
        assert.equal(requests[1]!.path, '/v1/workflows/steps/loop%2F0%2Ffn');
        assert.equal(requests[1]!.query.get('run_id'), 'run_1');
      },
    );
  });

  test('artifacts: list by run, get by id', async () => {
    await withServer(
      (request) => (request.path === '/v1/workflows/artifacts' ? page([{ operation: 'function_invocation', id: 'finv_1' }]) : { json: { operation: 'conditional_evaluation', id: 'ceval_1' } }),
      async (client, requests) => {
        const first = await client.workflows.artifacts.list({ run_id: 'run_1', operation: 'function_invocation' });
        assert.equal(first.data[0]!.id, 'finv_1');
        const artifact = await client.workflows.artifacts.get('ceval_1');
        assert.equal(artifact.operation, 'conditional_evaluation');
        assert.deepEqual(Object.fromEntries(requests[0]!.query), { run_id: 'run_1', operation: 'function_invocation' });
        assert.equal(requests[1]!.path, '/v1/workflows/artifacts/ceval_1');
      },
    );
  });
});

describe('workflows.blocks.executions', () => {
  test('create posts the replay request; 409 upstream_changed is a ConflictError carrying the reason', async () => {
    await withServer(
      (request) =>
        request.method === 'GET'
          ? page([{ id: 'wfsim_1' }])
          : JSON.parse(request.body).check_eligibility === false
            ? { status: 201, json: { id: 'wfsim_2', lifecycle: { status: 'completed' } } }
            : { status: 409, json: { detail: { code: 'upstream_changed', message: 'The blocks above "fn" changed since run_1.', details: { reason: 'upstream_changed' } } } },
      async (client, requests) => {
        await assert.rejects(client.workflows.blocks.executions.create({ run_id: 'run_1', block_id: 'fn' }), (error: unknown) => error instanceof ConflictError && error.code === 'upstream_changed');
        const forced = await client.workflows.blocks.executions.create({ run_id: 'run_1', block_id: 'fn', step_id: 'loop/1/fn', check_eligibility: false });
        assert.equal(forced.id, 'wfsim_2');
        const listed = await client.workflows.blocks.executions.list({ run_id: 'run_1', block_id: 'fn' });
        assert.equal(listed.data[0]!.id, 'wfsim_1');
        assert.deepEqual(JSON.parse(requests[1]!.body), { run_id: 'run_1', block_id: 'fn', step_id: 'loop/1/fn', check_eligibility: false });
        assert.deepEqual(Object.fromEntries(requests[2]!.query), { run_id: 'run_1', block_id: 'fn' });
      },
    );
  });
});
