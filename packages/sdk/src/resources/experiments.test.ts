import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Verdict } from '../client.js';
import { startFakeServer } from '../test-server.js';

test('experiments: each call reaches its route with its query and body', async () => {
  const server = await startFakeServer(() => ({ json: { data: [], list_metadata: { before: null, after: null } } }));
  try {
    const experiments = new Verdict({ apiKey: 'k', baseUrl: server.baseUrl }).workflows.experiments;
    await experiments.create({ workflow_id: 'wf_1', block_id: 'blk_1', n_consensus: 5, documents: [{ handle_inputs: { 'input-json-0': { type: 'json', data: 1 } } }] });
    await experiments.list({ workflow_id: 'wf_1', block_id: 'blk_1' });
    await experiments.runs.create({ experiment_id: 'exp_1', plan_token: 'p' });
    await experiments.runs.cancel('exprun_1');
    await experiments.results.list('exprun_1', { limit: 10 });
    await experiments.metrics({ run_id: 'exprun_1', view: 'votes', document_id: 'expdoc_1', include_prior: false });
    assert.deepEqual(
      server.requests.map((request) => `${request.method} ${request.path}?${request.query}`),
      [
        'POST /v1/workflows/experiments?',
        'GET /v1/workflows/experiments?workflow_id=wf_1&block_id=blk_1',
        'POST /v1/workflows/experiments/runs?',
        'POST /v1/workflows/experiments/runs/exprun_1/cancel?',
        'GET /v1/workflows/experiments/results?limit=10&run_id=exprun_1',
        'GET /v1/workflows/experiments/metrics?run_id=exprun_1&view=votes&document_id=expdoc_1&include_prior=false',
      ],
    );
    assert.deepEqual(JSON.parse(server.requests[2]!.body), { experiment_id: 'exp_1', plan_token: 'p' });
  } finally {
    await server.close();
  }
});
