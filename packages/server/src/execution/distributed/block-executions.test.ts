import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { Runtime } from '../../services/create.js';
import { sleep } from '../../testing/fixtures.js';
import { skipWithoutRedisAndPostgres, startTestApp, startWorkerRuntime, type TestApp } from '../../testing/harness.js';
import { createWorkflowGraph, functionConfig, waitForWorkflowRun } from '../../testing/workflow-graphs.js';

const REDIS_URL = process.env.VERDICT_TEST_REDIS_URL;
const skip = skipWithoutRedisAndPostgres();
const PICKUP_MS = 1500;

const LABEL = 'function transform(input) { return { text: "n=" + input.n }; }';
const RELABEL = 'function transform(input) { return { text: "N is " + input.n }; }';

/** What two answers for the same block execution share: everything but ids, times and the fingerprints that cover ids. */
function comparable(body: any) {
  const { lifecycle, handle_inputs, handle_outputs, routing_decision, block_type, block_config, artifact } = body;
  return { lifecycle, handle_inputs, handle_outputs, routing_decision, block_type, block_config, artifact, keys: Object.keys(body).sort() };
}

/** A completed run of start → label, then the label block's draft config changed; returns what a block execution needs. */
async function runThenEditLabel(app: TestApp) {
  const { workflowId, ids } = await createWorkflowGraph(app, [{ key: 'start', type: 'start_json' }, { key: 'label', type: 'function', config: functionConfig(LABEL) }], [{ from: 'start', to: 'label' }]);
  const created = await app.request('POST', '/v1/workflows/runs', { workflow_id: workflowId, json_inputs: { [ids.start!]: { n: 8 } } });
  assert.equal(created.status, 202, JSON.stringify(created.body));
  const run = await waitForWorkflowRun(app, created.body.id);
  assert.equal(run.lifecycle.status, 'completed', JSON.stringify(run.lifecycle));
  const changed = await app.request('PATCH', `/v1/workflows/blocks/${ids.label}`, { config: functionConfig(RELABEL) });
  assert.equal(changed.status, 200, JSON.stringify(changed.body));
  return { runId: run.id as string, blockId: ids.label! };
}

/**
 * Block executions in a distributed deployment: the API process has no sandbox, so it queues the
 * execution for a worker and answers once the worker wrote its row — or 503 when no worker takes
 * it in time, with nothing queued or written behind the answer.
 */
describe('block executions on the distributed executor (PostgreSQL and Redis)', { skip }, () => {
  let api: TestApp;
  let embedded: TestApp;
  let worker: Runtime | null = null;
  before(async () => {
    api = await startTestApp('postgres', { redisUrl: REDIS_URL!, sandboxThreads: 2, concurrency: 8, worker: false }, { VERDICT_REDIS_PREFIX: `verdict-test-${randomUUID()}`, VERDICT_BLOCK_EXECUTION_PICKUP_MS: String(PICKUP_MS) });
    embedded = await startTestApp('postgres');
  });
  after(async () => {
    await worker?.close();
    await api.close();
    await embedded.close();
  });

  test('a function block execution on an API-only process executes on a worker and answers what embedded mode answers', async () => {
    worker = await startWorkerRuntime(api);
    const source = await runThenEditLabel(api);
    const execution = await api.request('POST', '/v1/workflows/blocks/executions', { run_id: source.runId, block_id: source.blockId });
    assert.equal(execution.status, 201, JSON.stringify(execution.body));
    assert.deepEqual(execution.body.lifecycle, { status: 'completed' });
    assert.deepEqual(execution.body.handle_outputs, { 'output-json-0': { type: 'json', data: { text: 'N is 8' } } });

    const local = await runThenEditLabel(embedded);
    const expected = await embedded.request('POST', '/v1/workflows/blocks/executions', { run_id: local.runId, block_id: local.blockId });
    assert.equal(expected.status, 201, JSON.stringify(expected.body));
    assert.deepEqual(comparable(execution.body), comparable(expected.body));

    const list = await api.request('GET', `/v1/workflows/blocks/executions?run_id=${source.runId}&block_id=${source.blockId}`);
    assert.deepEqual(list.body.data, [execution.body], 'the row the worker wrote is the answer');
  });

  test('with no worker running, the execution is answered 503 workers_unavailable within the bound, and nothing of it executes later', async () => {
    worker ??= await startWorkerRuntime(api);
    const source = await runThenEditLabel(api);
    await worker.close();
    worker = null;

    const startedAt = Date.now();
    const refused = await api.request('POST', '/v1/workflows/blocks/executions', { run_id: source.runId, block_id: source.blockId });
    const tookMs = Date.now() - startedAt;
    assert.equal(refused.status, 503, JSON.stringify(refused.body));
    assert.equal(refused.body.detail.code, 'workers_unavailable');
    assert.match(refused.body.detail.message, /no worker took it within 1500 ms/);
    assert.ok(tookMs < PICKUP_MS + 3000, `answered after ${tookMs} ms`);

    // A worker that starts now finds no job left of the refused execution: no row is ever written for it.
    worker = await startWorkerRuntime(api);
    await sleep(1000);
    const list = await api.request('GET', `/v1/workflows/blocks/executions?run_id=${source.runId}&block_id=${source.blockId}`);
    assert.deepEqual(list.body.data, []);
    const retried = await api.request('POST', '/v1/workflows/blocks/executions', { run_id: source.runId, block_id: source.blockId });
    assert.equal(retried.status, 201, JSON.stringify(retried.body));
    assert.deepEqual(retried.body.lifecycle, { status: 'completed' });
  });
});
