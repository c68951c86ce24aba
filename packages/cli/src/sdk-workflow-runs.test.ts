import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestApp, type TestApp } from '@verdict/server/testing/harness';
import { createWorkflowGraph, functionConfig, lineItemsLoopWorkflow } from '@verdict/server/testing/workflow-graphs';
import { ConflictError, Verdict, type WorkflowRunStep } from '@verdict/sdk';

/** The SDK's fetch, answered by the real server in process (fastify.inject). */
function injectFetch(app: TestApp): typeof fetch {
  return (async (input: string | URL | Request, init: RequestInit = {}) => {
    const url = new URL(String(input));
    const response = await app.app.inject({
      method: (init.method ?? 'GET') as 'GET',
      url: `${url.pathname}${url.search}`,
      headers: Object.fromEntries(new Headers(init.headers).entries()),
      payload: typeof init.body === 'string' ? init.body : undefined,
    });
    const headers = new Headers();
    for (const [name, value] of Object.entries(response.headers)) if (value !== undefined) headers.set(name, String(value));
    return new Response(response.statusCode === 204 ? null : response.body, { status: response.statusCode, headers });
  }) as typeof fetch;
}

/** start_json → function (total) → conditional (big / else) → one function per branch. */
async function routingWorkflow(app: TestApp) {
  return createWorkflowGraph(
    app,
    [
      { key: 'start', type: 'start_json', config: { json_schema: { type: 'object' } } },
      { key: 'total', type: 'function', config: functionConfig('function transform(input) { return { total: input.items.reduce((sum, item) => sum + item.price, 0) }; }') },
      { key: 'route', type: 'conditional', config: { conditions: [{ branch_name: 'big', sub_conditions: [{ path: 'data.total', operator: 'is_greater_than', value: 100 }] }] } },
      { key: 'approve', type: 'function', config: functionConfig('function transform(input) { return { decision: "review" }; }') },
      { key: 'auto', type: 'function', config: functionConfig('function transform(input) { return { decision: "auto" }; }') },
    ],
    [
      { from: 'start', to: 'total' },
      { from: 'total', to: 'route' },
      { from: 'route', to: 'approve', sourceHandle: 'output-json-big' },
      { from: 'route', to: 'auto', sourceHandle: 'output-json-else' },
    ],
  );
}

describe('SDK workflow runs against the server', () => {
  let app: TestApp;
  let client: Verdict;
  before(async () => {
    app = await startTestApp('sqlite', { sandboxThreads: 1, concurrency: 2 });
    client = new Verdict({ apiKey: app.apiKey, baseUrl: 'http://verdict.test', fetch: injectFetch(app), maxRetries: 0 });
  });
  after(() => app.close());

  test('create, wait, steps, artifacts, list by metadata, then delete', async () => {
    const { workflowId, ids } = await routingWorkflow(app);
    const created = await client.workflows.runs.create({ workflow_id: workflowId, json_inputs: { [ids.start!]: { items: [{ price: 70 }, { price: 50 }] } }, version: 'draft', metadata: { batch: 'sdk-test' } });
    assert.equal(created.lifecycle.status, 'pending');

    const statuses: string[] = [];
    const run = await client.workflows.runs.wait(created.id, { pollMs: 20, timeoutMs: 30_000, onProgress: (progress) => statuses.push(progress.lifecycle.status) });
    assert.equal(run.lifecycle.status, 'completed', JSON.stringify(run.lifecycle));
    assert.equal(statuses.at(-1), 'completed');

    const steps: WorkflowRunStep[] = [];
    for await (const step of client.workflows.steps.list({ run_id: run.id, order: 'asc', limit: 2 })) steps.push(step);
    assert.equal(steps.length, 5, 'every block, walked two per page');
    const auto = steps.find((step) => step.block_id === ids.auto)!;
    assert.equal(auto.lifecycle.status, 'skipped');

    const skipped = await client.workflows.steps.list({ run_id: run.id, status: ['skipped'] });
    assert.deepEqual(skipped.data.map((step) => step.block_id), [ids.auto]);
    const approve = await client.workflows.steps.get(ids.approve!, { run_id: run.id });
    assert.deepEqual(approve.handle_outputs, { 'output-json-0': { type: 'json', data: { decision: 'review' } } });

    const route = steps.find((step) => step.block_id === ids.route)!;
    assert.equal(route.artifact?.operation, 'conditional_evaluation');
    const evaluation = await client.workflows.artifacts.get(route.artifact!.id);
    assert.equal(evaluation.operation, 'conditional_evaluation');
    assert.deepEqual(evaluation.operation === 'conditional_evaluation' && evaluation.selected_handles, ['output-json-big']);
    const artifacts = await client.workflows.artifacts.list({ run_id: run.id, operation: 'function_invocation' });
    assert.equal(artifacts.data.length, 2, 'the two functions that ran');

    const listed = await client.workflows.runs.list({ workflow_id: workflowId, metadata: { batch: 'sdk-test' } });
    assert.deepEqual(listed.data.map((item) => item.id), [run.id]);
    const none = await client.workflows.runs.list({ workflow_id: workflowId, metadata: { batch: 'other' } });
    assert.deepEqual(none.data, []);

    const exported = await client.workflows.runs.export({ workflow_id: workflowId, block_id: ids.approve!, delimiter: ',' });
    assert.equal(exported.rows, 1);
    assert.match(exported.csv_data, /review/);

    await client.workflows.runs.delete(run.id);
    await assert.rejects(client.workflows.runs.get(run.id), { name: 'NotFoundError' });
  });

  test('a for_each over line items: one step per item, each with its loop_containers, the reduced array downstream', async () => {
    const { workflowId, ids } = await lineItemsLoopWorkflow(app);
    const created = await client.workflows.runs.create({ workflow_id: workflowId, json_inputs: { [ids.start!]: { line_items: [{ sku: 'a', qty: 2, price: 5 }, { sku: 'b', qty: 1, price: 7 }] } }, version: 'draft' });
    const run = await client.workflows.runs.wait(created.id, { pollMs: 20, timeoutMs: 30_000 });
    assert.equal(run.lifecycle.status, 'completed', JSON.stringify(run.lifecycle));
    const iterations = (await client.workflows.steps.list({ run_id: run.id, block_id: ids.amount! })).data;
    assert.deepEqual(iterations.map((step) => step.loop_containers[0]?.iteration).sort(), [0, 1]);
    assert.deepEqual(new Set(iterations.map((step) => step.step_id)).size, 2, 'each iteration its own step id');
    const sum = (await client.workflows.steps.list({ run_id: run.id, block_id: ids.sum! })).data[0]!;
    assert.deepEqual(sum.handle_outputs, { 'output-json-0': { type: 'json', data: { total: 17, lines: 2 } } });
  });

  test('blocks.executions replays a step with the draft config; 409 upstream_changed is a ConflictError until forced', async () => {
    const { workflowId, ids } = await createWorkflowGraph(
      app,
      [
        { key: 'start', type: 'start_json' },
        { key: 'double', type: 'function', config: functionConfig('function transform(input) { return { n: input.n * 2 }; }') },
        { key: 'label', type: 'function', config: functionConfig('function transform(input) { return { text: "n=" + input.n }; }') },
      ],
      [
        { from: 'start', to: 'double' },
        { from: 'double', to: 'label' },
      ],
    );
    const created = await client.workflows.runs.create({ workflow_id: workflowId, json_inputs: { [ids.start!]: { n: 4 } }, version: 'draft' });
    const run = await client.workflows.runs.wait(created.id, { pollMs: 20, timeoutMs: 30_000 });
    assert.equal(run.lifecycle.status, 'completed');

    await client.workflows.blocks.update(ids.label!, { config: functionConfig('function transform(input) { return { text: "N is " + input.n }; }') });
    const execution = await client.workflows.blocks.executions.create({ run_id: run.id, block_id: ids.label! });
    assert.deepEqual(execution.lifecycle, { status: 'completed' });
    assert.deepEqual(execution.handle_outputs, { 'output-json-0': { type: 'json', data: { text: 'N is 8' } } });
    assert.equal(execution.run_id, run.id);
    assert.equal(execution.source_run_id, run.id);

    await client.workflows.blocks.update(ids.double!, { config: functionConfig('function transform(input) { return { n: input.n * 3 }; }') });
    await assert.rejects(client.workflows.blocks.executions.create({ run_id: run.id, block_id: ids.label! }), (error: unknown) => error instanceof ConflictError && error.code === 'upstream_changed');
    const forced = await client.workflows.blocks.executions.create({ run_id: run.id, block_id: ids.label!, check_eligibility: false });
    assert.equal(forced.lifecycle.status, 'completed');

    const listed: string[] = [];
    for await (const item of client.workflows.blocks.executions.list({ run_id: run.id, block_id: ids.label!, limit: 1 })) listed.push(item.id);
    assert.deepEqual(listed, [forced.id, execution.id], 'newest first, one per page');
  });

  test('a missing start input is refused with a message naming the block', async () => {
    const { workflowId, ids } = await routingWorkflow(app);
    await assert.rejects(client.workflows.runs.create({ workflow_id: workflowId, version: 'draft' }), (error: Error) => error.message.includes(ids.start!));
  });
});
