import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestApp, testStores, waitForRun, type TestApp } from '../testing/harness.js';
import { otherOrganizationKey, sleep } from '../testing/fixtures.js';
import { createWorkflowGraph, functionConfig, lineItemsLoopWorkflow, stepsOfRun, waitForWorkflowRun } from '../testing/workflow-graphs.js';


/** start_json → function (total) → conditional (big / else) → one function per branch. */
async function routingWorkflow(app: TestApp) {
  return createWorkflowGraph(
    app,
    [
      { key: 'start', type: 'start_json', config: { json_schema: { type: 'object' } } },
      { key: 'total', type: 'function', config: functionConfig('function transform(input) { return { total: input.items.reduce((sum, item) => sum + item.price, 0) }; }') },
      {
        key: 'route',
        type: 'conditional',
        config: { conditions: [{ branch_name: 'big', sub_conditions: [{ path: 'data.total', operator: 'is_greater_than', value: 100 }], logical_operator: 'and' }], has_else: true },
      },
      { key: 'approve', type: 'function', config: functionConfig('function transform(input) { return { decision: "review", total: input.total }; }') },
      { key: 'auto', type: 'function', config: functionConfig('function transform(input) { return { decision: "auto", total: input.total }; }') },
      { key: 'note', type: 'note', config: {} },
    ],
    [
      { from: 'start', to: 'total' },
      { from: 'total', to: 'route' },
      { from: 'route', to: 'approve', sourceHandle: 'output-json-big' },
      { from: 'route', to: 'auto', sourceHandle: 'output-json-else' },
    ],
  );
}

for (const store of testStores()) {
  describe(`workflow runs through the API (${store})`, () => {
    let app: TestApp;
    before(async () => {
      app = await startTestApp(store, { sandboxThreads: 2, concurrency: 4 });
    });
    after(() => app.close());

    test('start_json → function → conditional → the branch taken runs, the other is skipped, each step recorded', async () => {
      const { workflowId, ids } = await routingWorkflow(app);
      const created = await app.request('POST', '/v1/workflows/runs', { workflow_id: workflowId, json_inputs: { [ids.start!]: { items: [{ price: 70 }, { price: 50 }] } }, metadata: { customer: 'acme' } });
      assert.equal(created.status, 202, JSON.stringify(created.body));
      assert.equal(created.body.lifecycle.status, 'pending');
      assert.equal(created.body.workflow_id, workflowId);
      assert.deepEqual(created.body.inputs.json_data, { [ids.start!]: { items: [{ price: 70 }, { price: 50 }] } });

      const run = await waitForWorkflowRun(app, created.body.id);
      assert.equal(run.lifecycle.status, 'completed', JSON.stringify(run.lifecycle));
      assert.ok(run.timing.started_at && run.timing.completed_at);

      const steps = await stepsOfRun(app, run.id);
      const byBlock = new Map(steps.map((step) => [step.block_id, step]));
      assert.equal(steps.length, 5, 'the note never runs');
      assert.ok(!byBlock.has(ids.note));
      const total = byBlock.get(ids.total!);
      assert.deepEqual(total.handle_inputs, { 'input-json-0': { type: 'json', data: { items: [{ price: 70 }, { price: 50 }] } } });
      assert.deepEqual(total.handle_outputs, { 'output-json-0': { type: 'json', data: { total: 120 } } });
      assert.equal(total.step_id, ids.total);
      assert.deepEqual(total.loop_containers, []);
      assert.equal(total.artifact.operation, 'function_invocation');
      assert.deepEqual(byBlock.get(ids.route!).handle_outputs, { 'output-json-big': { type: 'json', data: { total: 120 } } });
      assert.deepEqual(byBlock.get(ids.approve!).handle_outputs, { 'output-json-0': { type: 'json', data: { decision: 'review', total: 120 } } });
      const skipped = byBlock.get(ids.auto!);
      assert.equal(skipped.lifecycle.status, 'skipped');
      assert.match(skipped.lifecycle.reason, /did not route to output-json-else/);

      const evaluation = await app.request('GET', `/v1/workflows/artifacts/${byBlock.get(ids.route!).artifact.id}`);
      assert.equal(evaluation.status, 200, JSON.stringify(evaluation.body));
      assert.equal(evaluation.body.operation, 'conditional_evaluation');
      assert.deepEqual(evaluation.body.selected_handles, ['output-json-big']);
      assert.equal(evaluation.body.run_id, run.id);
      const invocation = await app.request('GET', `/v1/workflows/artifacts/${total.artifact.id}`);
      assert.deepEqual(invocation.body.output, { total: 120 });
      const artifacts = await app.request('GET', `/v1/workflows/artifacts?run_id=${run.id}`);
      assert.deepEqual(artifacts.body.data.map((artifact: any) => artifact.operation).sort(), ['conditional_evaluation', 'function_invocation', 'function_invocation']);

      const one = await app.request('GET', `/v1/workflows/steps/${ids.total}?run_id=${run.id}`);
      assert.deepEqual(one.body, total);
      const skippedOnly = await app.request('GET', `/v1/workflows/steps?run_id=${run.id}&status=skipped`);
      assert.deepEqual(skippedOnly.body.data.map((step: any) => step.block_id), [ids.auto]);

      const small = await app.request('POST', '/v1/workflows/runs', { workflow_id: workflowId, json_inputs: { [ids.start!]: { items: [{ price: 5 }] } } });
      const smallRun = await waitForWorkflowRun(app, small.body.id);
      assert.equal(smallRun.lifecycle.status, 'completed');
      const smallSteps = new Map((await stepsOfRun(app, smallRun.id)).map((step) => [step.block_id, step]));
      assert.equal(smallSteps.get(ids.approve!).lifecycle.status, 'skipped');
      assert.deepEqual(smallSteps.get(ids.auto!).handle_outputs['output-json-0'].data, { decision: 'auto', total: 5 });

      const list = await app.request('GET', `/v1/workflows/runs?workflow_id=${workflowId}&limit=1`);
      assert.equal(list.status, 200);
      assert.deepEqual(list.body.data.map((item: any) => item.id), [smallRun.id]);
      const next = await app.request('GET', `/v1/workflows/runs?workflow_id=${workflowId}&limit=1&after=${list.body.list_metadata.after}`);
      assert.deepEqual(next.body.data.map((item: any) => item.id), [run.id]);
      const byMetadata = await app.request('GET', `/v1/workflows/runs?workflow_id=${workflowId}&metadata=${encodeURIComponent('{"customer":"acme"}')}`);
      assert.deepEqual(byMetadata.body.data.map((item: any) => item.id), [run.id]);

      const csv = await app.request('POST', '/v1/workflows/runs/export', { workflow_id: workflowId, block_id: ids.total, export_source: 'outputs' });
      assert.equal(csv.status, 200, JSON.stringify(csv.body));
      assert.equal(csv.body.rows, 2);
      assert.equal(csv.body.csv_data.split('\n')[0], 'run_id;step_id;created_at;status;total');

      const otherKey = await otherOrganizationKey(app, 'wfruns-other');
      const foreign = await app.request('GET', `/v1/workflows/runs/${run.id}`, undefined, { 'api-key': otherKey });
      assert.equal(foreign.status, 404);
      assert.equal(foreign.body.detail.code, 'workflow_run_not_found');
      const foreignSteps = await app.request('GET', `/v1/workflows/steps?run_id=${run.id}`, undefined, { 'api-key': otherKey });
      assert.deepEqual(foreignSteps.body.data, []);

      const deleted = await app.request('DELETE', `/v1/workflows/runs/${run.id}`);
      assert.equal(deleted.status, 204);
      assert.equal((await app.request('GET', `/v1/workflows/runs/${run.id}`)).status, 404);
      assert.deepEqual((await app.request('GET', `/v1/workflows/steps?run_id=${run.id}`)).body.data, []);
    });

    test('a for_each over line items: one step per iteration with its loop_containers, the reduced array flows on', async () => {
      const { workflowId, ids } = await lineItemsLoopWorkflow(app);
      const items = [{ sku: 'a', qty: 2, price: 5 }, { sku: 'b', qty: 1, price: 7 }, { sku: 'c', qty: 3, price: 1 }];
      const created = await app.request('POST', '/v1/workflows/runs', { workflow_id: workflowId, json_inputs: { [ids.start!]: { line_items: items } } });
      assert.equal(created.status, 202, JSON.stringify(created.body));
      const run = await waitForWorkflowRun(app, created.body.id);
      assert.equal(run.lifecycle.status, 'completed', JSON.stringify(run.lifecycle));
      const steps = await stepsOfRun(app, run.id);
      const iterations = steps.filter((step) => step.block_id === ids.amount).sort((a, b) => a.loop_containers[0].iteration - b.loop_containers[0].iteration);
      assert.equal(iterations.length, 3);
      assert.equal(new Set(iterations.map((step) => step.step_id)).size, 3, 'each iteration its own step id');
      for (const [index, step] of iterations.entries()) {
        assert.deepEqual(step.loop_containers, [{ container_id: ids.loop, iteration: index, is_parallel: true, parallel_item_index: index }]);
        assert.deepEqual(step.handle_inputs, { 'input-json-0': { type: 'json', data: items[index] } });
      }
      const loop = steps.find((step) => step.block_id === ids.loop);
      assert.deepEqual(loop.handle_outputs['output-json-0'].data, [
        { sku: 'a', amount: 10 },
        { sku: 'b', amount: 7 },
        { sku: 'c', amount: 3 },
      ]);
      assert.deepEqual(steps.find((step) => step.block_id === ids.sum).handle_outputs['output-json-0'].data, { total: 20, lines: 3 });
      const oneIteration = await app.request('GET', `/v1/workflows/steps?run_id=${run.id}&step_id=${encodeURIComponent(iterations[1].step_id)}`);
      assert.deepEqual(oneIteration.body.data, [iterations[1]]);

      // A test of the loop body must say which iteration it copies.
      const body = {
        workflow_id: workflowId,
        target: { type: 'block', block_id: ids.amount },
        assertion: { target: { output_handle_id: 'output-json-0', path: 'amount' }, condition: { kind: 'equals', expected: 7 } },
      };
      const ambiguous = await app.request('POST', '/v1/workflows/tests', { ...body, source: { type: 'run_step', run_id: run.id } });
      assert.equal(ambiguous.status, 422);
      assert.equal(ambiguous.body.detail.details.issues[0].path, 'body.source.step_id');
      assert.deepEqual(ambiguous.body.detail.details.available_iterations.sort(), iterations.map((step) => step.step_id).sort());
      const chosen = await app.request('POST', '/v1/workflows/tests', { ...body, source: { type: 'run_step', run_id: run.id, step_id: iterations[1].step_id } });
      assert.equal(chosen.status, 201, JSON.stringify(chosen.body));
      assert.deepEqual(chosen.body.source, { type: 'run_step', run_id: run.id, step_id: iterations[1].step_id });
      const testRun = await app.request('POST', '/v1/workflows/tests/runs', { workflow_id: workflowId });
      const finished = await waitForRun(app, testRun.body.id);
      assert.deepEqual(finished.counts.outcome, { passed: 1, failed: 0, blocked: 0 });

      const tooMany = await app.request('POST', '/v1/workflows/runs', { workflow_id: workflowId, json_inputs: { [ids.start!]: { line_items: Array.from({ length: 101 }, () => items[0]) } } });
      const failed = await waitForWorkflowRun(app, tooMany.body.id);
      assert.equal(failed.lifecycle.status, 'error');
      assert.equal(failed.lifecycle.failing_step_id, ids.loop);
      assert.match(failed.lifecycle.message, /max_iterations/);
    });

    test('a failing block errors the run, naming its step; the blocks below it do not run and say why', async () => {
      const { workflowId, ids } = await createWorkflowGraph(
        app,
        [
          { key: 'start', type: 'start_json' },
          { key: 'boom', type: 'function', config: functionConfig('function transform(input) { throw new Error("no total"); }') },
          { key: 'after', type: 'function', config: functionConfig('function transform(input) { return input; }') },
        ],
        [
          { from: 'start', to: 'boom' },
          { from: 'boom', to: 'after' },
        ],
      );
      const created = await app.request('POST', '/v1/workflows/runs', { workflow_id: workflowId, json_inputs: { [ids.start!]: {} } });
      const run = await waitForWorkflowRun(app, created.body.id);
      assert.equal(run.lifecycle.status, 'error');
      assert.equal(run.lifecycle.failing_step_id, ids.boom);
      assert.equal(run.lifecycle.stage, 'execution');
      assert.match(run.lifecycle.message, /no total/);
      const steps = await stepsOfRun(app, run.id);
      assert.deepEqual(
        steps.map((step) => [step.block_id, step.lifecycle.status]),
        [
          [ids.start, 'completed'],
          [ids.boom, 'error'],
          [ids.after, 'cancelled'],
        ],
      );
      assert.match(steps[2].lifecycle.reason, new RegExp(`step "${ids.boom}" failed`));
    });

    test('bad input is a 4xx naming what is wrong', async () => {
      const { workflowId, ids } = await routingWorkflow(app);
      const missing = await app.request('POST', '/v1/workflows/runs', { workflow_id: workflowId });
      assert.equal(missing.status, 400);
      assert.equal(missing.body.detail.code, 'missing_run_inputs');
      assert.deepEqual(missing.body.detail.details.block_ids, [ids.start]);
      assert.match(missing.body.detail.message, new RegExp(ids.start!));

      const notStart = await app.request('POST', '/v1/workflows/runs', { workflow_id: workflowId, json_inputs: { [ids.start!]: {}, [ids.total!]: {} } });
      assert.equal(notStart.status, 422);
      assert.match(notStart.body.detail.message, new RegExp(`json_inputs\\["${ids.total}"\\] names no start_json block`));
      assert.equal(notStart.body.detail.details.issues[0].path, `body.json_inputs.${ids.total}`);

      const unknown = await app.request('POST', '/v1/workflows/runs', { workflow_id: 'wf_nope', json_inputs: {} });
      assert.equal(unknown.status, 404);
      const badVersion = await app.request('POST', '/v1/workflows/runs', { workflow_id: workflowId, version: 'latest' });
      assert.equal(badVersion.status, 422);
      const absentVersion = await app.request('POST', '/v1/workflows/runs', { workflow_id: workflowId, version: 'ver_nope', json_inputs: { [ids.start!]: {} } });
      assert.equal(absentVersion.status, 404);

      const { workflowId: withParse, ids: parseIds } = await createWorkflowGraph(app, [{ key: 'doc', type: 'start_document' }, { key: 'parse', type: 'parse', label: 'Parse it' }], [{ from: 'doc', to: 'parse' }]);
      const refused = await app.request('POST', '/v1/workflows/runs', { workflow_id: withParse, documents: { [parseIds.doc!]: { filename: 'a.txt', url: 'data:text/plain;base64,aGk=' } } });
      assert.equal(refused.status, 422);
      assert.match(refused.body.detail.message, new RegExp(`parse block "${parseIds.parse}" \\(Parse it\\) cannot run`));
      assert.equal(refused.body.detail.details.issues[0].path, `workflow.blocks.${parseIds.parse}`);

      assert.equal((await app.request('GET', '/v1/workflows/runs/run_nope')).status, 404);
      assert.equal((await app.request('GET', '/v1/workflows/steps/blk_nope?run_id=run_nope')).body.detail.code, 'step_not_found');
      assert.equal((await app.request('GET', '/v1/workflows/artifacts/finv_nope')).body.detail.code, 'artifact_not_found');
      assert.equal((await app.request('GET', '/v1/workflows/runs?after=run_nope')).status, 422);
    });

    test('cancel mid-run: the answer is final, nothing is recorded after it, a retry with the same command_id answers the same', async () => {
      const { workflowId, ids } = await createWorkflowGraph(
        app,
        [
          { key: 'start', type: 'start_json' },
          { key: 'quick', type: 'function', config: functionConfig('function transform(input) { return { n: 1 }; }') },
          { key: 'spin', type: 'function', config: functionConfig('function transform(input) { while (true) {} }') },
          { key: 'after', type: 'function', config: functionConfig('function transform(input) { return input; }') },
        ],
        [
          { from: 'start', to: 'quick' },
          { from: 'quick', to: 'spin' },
          { from: 'spin', to: 'after' },
        ],
      );
      const created = await app.request('POST', '/v1/workflows/runs', { workflow_id: workflowId, json_inputs: { [ids.start!]: {} } });
      for (;;) {
        const steps = await stepsOfRun(app, created.body.id);
        if (steps.some((step) => step.block_id === ids.quick)) break;
        await sleep(10);
      }
      await sleep(50);
      const cancel = await app.request('POST', `/v1/workflows/runs/${created.body.id}/cancel`, { command_id: 'cmd-1' });
      assert.equal(cancel.status, 200, JSON.stringify(cancel.body));
      assert.equal(cancel.body.run.lifecycle.status, 'cancelled');
      assert.equal(cancel.body.cancellation_status, 'cancelled');
      assert.equal(cancel.body.redis_available, false, 'embedded: the run executes in this process, no Redis');
      const stepsAtCancel = await stepsOfRun(app, created.body.id);
      assert.deepEqual(
        stepsAtCancel.map((step) => step.block_id),
        [ids.start, ids.quick],
      );
      await sleep(500);
      assert.deepEqual(await stepsOfRun(app, created.body.id), stepsAtCancel, 'nothing recorded after the cancel');
      const later = await app.request('GET', `/v1/workflows/runs/${created.body.id}`);
      assert.deepEqual(later.body, cancel.body.run);
      const retry = await app.request('POST', `/v1/workflows/runs/${created.body.id}/cancel`, { command_id: 'cmd-1' });
      assert.equal(retry.status, 200);
      assert.deepEqual(retry.body.run, cancel.body.run);

      const done = await app.request('POST', '/v1/workflows/runs', { workflow_id: (await routingWorkflow(app)).workflowId, json_inputs: {} });
      assert.equal(done.status, 400);
      assert.equal((await app.request('POST', '/v1/workflows/runs/run_nope/cancel')).status, 404);
    });
  });
}
