import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestApp, testStores, waitForRun, type TestApp } from '../testing/harness.js';
import { otherOrganizationKey } from '../testing/fixtures.js';
import { createWorkflowGraph, functionConfig, stepsOfRun, waitForWorkflowRun } from '../testing/workflow-graphs.js';


for (const store of testStores()) {
  describe(`tests captured from workflow run steps (${store})`, () => {
    let app: TestApp;
    before(async () => {
      app = await startTestApp(store, { sandboxThreads: 2, concurrency: 4 });
    });
    after(() => app.close());

    test("a test of the run's second step replays the step's recorded inputs to the same output, under both API names", async () => {
      const { workflowId, ids } = await createWorkflowGraph(
        app,
        [
          { key: 'start', type: 'start_json' },
          { key: 'lines', type: 'function', config: functionConfig('function transform(input) { return { lines: input.items.map((item) => item.qty * item.price) }; }') },
          { key: 'total', type: 'function', config: functionConfig('function transform(input) { return { total: input.lines.reduce((a, b) => a + b, 0) }; }') },
        ],
        [
          { from: 'start', to: 'lines' },
          { from: 'lines', to: 'total' },
        ],
      );
      const created = await app.request('POST', '/v1/workflows/runs', { workflow_id: workflowId, json_inputs: { [ids.start!]: { items: [{ qty: 2, price: 3 }, { qty: 1, price: 4 }] } } });
      const run = await waitForWorkflowRun(app, created.body.id);
      assert.equal(run.lifecycle.status, 'completed');
      const step = (await stepsOfRun(app, run.id)).find((candidate) => candidate.block_id === ids.total)!;
      assert.deepEqual(step.handle_inputs, { 'input-json-0': { type: 'json', data: { lines: [6, 4] } } });

      for (const segment of ['tests', 'evals']) {
        const saved = await app.request('POST', `/v1/workflows/${segment}`, {
          workflow_id: workflowId,
          target: { type: 'block', block_id: ids.total },
          source: { type: 'run_step', run_id: run.id },
          assertion: { target: { output_handle_id: 'output-json-0', path: 'total' }, condition: { kind: 'equals', expected: 10 } },
        });
        assert.equal(saved.status, 201, JSON.stringify(saved.body));
        assert.deepEqual(saved.body.source, { type: 'run_step', run_id: run.id, step_id: ids.total });
      }
      // The run goes away; the tests keep what they captured.
      assert.equal((await app.request('DELETE', `/v1/workflows/runs/${run.id}`)).status, 204);

      const testRun = await app.request('POST', '/v1/workflows/tests/runs', { workflow_id: workflowId });
      const finished = await waitForRun(app, testRun.body.id);
      assert.deepEqual(finished.counts.outcome, { passed: 2, failed: 0, blocked: 0 });
      const results = await app.request('GET', `/v1/workflows/tests/results?run_id=${testRun.body.id}`);
      for (const result of results.body.data) {
        assert.deepEqual(result.handle_inputs, step.handle_inputs);
        assert.deepEqual(result.handle_outputs, step.handle_outputs);
      }
    });

    test("a block execution replays a step's recorded inputs through the block's current draft; 409 when the blocks above it changed", async () => {
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
      const created = await app.request('POST', '/v1/workflows/runs', { workflow_id: workflowId, json_inputs: { [ids.start!]: { n: 4 } } });
      const run = await waitForWorkflowRun(app, created.body.id);
      assert.equal(run.lifecycle.status, 'completed');
      const changed = await app.request('PATCH', `/v1/workflows/blocks/${ids.label}`, { config: functionConfig('function transform(input) { return { text: "N is " + input.n }; }') });
      assert.equal(changed.status, 200, JSON.stringify(changed.body));

      const execution = await app.request('POST', '/v1/workflows/blocks/executions', { run_id: run.id, block_id: ids.label });
      assert.equal(execution.status, 201, JSON.stringify(execution.body));
      assert.deepEqual(execution.body.lifecycle, { status: 'completed' });
      assert.deepEqual(execution.body.handle_inputs, { 'input-json-0': { type: 'json', data: { n: 8 } } });
      assert.deepEqual(execution.body.handle_outputs, { 'output-json-0': { type: 'json', data: { text: 'N is 8' } } });
      assert.equal(execution.body.source_run_id, run.id);
      assert.equal(execution.body.source_step_id, ids.label);
      const stepAfter = (await stepsOfRun(app, run.id)).find((step) => step.block_id === ids.label)!;
      assert.deepEqual(stepAfter.handle_outputs['output-json-0'].data, { text: 'n=8' }, 'the run is untouched');

      await app.request('PATCH', `/v1/workflows/blocks/${ids.double}`, { config: functionConfig('function transform(input) { return { n: input.n * 3 }; }') });
      const stale = await app.request('POST', '/v1/workflows/blocks/executions', { run_id: run.id, block_id: ids.label });
      assert.equal(stale.status, 409);
      assert.equal(stale.body.detail.code, 'upstream_changed');
      assert.equal(stale.body.detail.details.reason, 'upstream_changed');
      const anyway = await app.request('POST', '/v1/workflows/blocks/executions', { run_id: run.id, block_id: ids.label, check_eligibility: false });
      assert.equal(anyway.status, 201);

      const list = await app.request('GET', `/v1/workflows/blocks/executions?run_id=${run.id}&block_id=${ids.label}`);
      assert.deepEqual(list.body.data.map((item: any) => item.id), [anyway.body.id, execution.body.id]);
      const start = await app.request('POST', '/v1/workflows/blocks/executions', { run_id: run.id, block_id: ids.start });
      assert.equal(start.status, 422);
      assert.equal((await app.request('POST', '/v1/workflows/blocks/executions', { run_id: 'run_nope', block_id: ids.label })).status, 404);
      assert.equal((await app.request('POST', '/v1/workflows/blocks/executions', { run_id: run.id, block_id: ids.label, n_consensus: 4 })).status, 422);
    });

    test('a run_step source that names no usable step is refused with 422 saying why', async () => {
      const { workflowId, ids } = await createWorkflowGraph(
        app,
        [
          { key: 'start', type: 'start_json' },
          { key: 'route', type: 'conditional', config: { conditions: [{ branch_name: 'yes', sub_conditions: [{ path: 'data.ok', operator: 'is_true' }] }], has_else: false } },
          { key: 'taken', type: 'function', config: functionConfig('function transform(input) { return input; }') },
          { key: 'other', type: 'function', config: functionConfig('function transform(input) { return input; }') },
        ],
        [
          { from: 'start', to: 'route' },
          { from: 'route', to: 'taken', sourceHandle: 'output-json-yes' },
          { from: 'start', to: 'other' },
        ],
      );
      const created = await app.request('POST', '/v1/workflows/runs', { workflow_id: workflowId, json_inputs: { [ids.start!]: { ok: false } } });
      const run = await waitForWorkflowRun(app, created.body.id);
      const source = (block: string, extra: object = {}) => ({
        workflow_id: workflowId,
        target: { type: 'block', block_id: ids[block] },
        source: { type: 'run_step', run_id: run.id, ...extra },
        assertion: { target: { output_handle_id: 'output-json-0', path: null }, condition: { kind: 'exists' } },
      });
      const skipped = await app.request('POST', '/v1/workflows/tests', source('taken'));
      assert.equal(skipped.status, 422);
      assert.match(skipped.body.detail.message, /was skipped/);
      const unknownRun = await app.request('POST', '/v1/workflows/tests', { ...source('other'), source: { type: 'run_step', run_id: 'run_nope' } });
      assert.equal(unknownRun.status, 422);
      assert.equal(unknownRun.body.detail.details.issues[0].path, 'body.source.run_id');
      const wrongStep = await app.request('POST', '/v1/workflows/tests', source('other', { step_id: ids.taken }));
      assert.equal(wrongStep.status, 422);
      assert.equal(wrongStep.body.detail.details.issues[0].path, 'body.source.step_id');
      const otherKey = await otherOrganizationKey(app, 'captured-other');
      const foreign = await app.request('POST', '/v1/workflows/tests', source('other'), { 'api-key': otherKey });
      assert.equal(foreign.status, 404, 'the workflow itself is not theirs');
      const fine = await app.request('POST', '/v1/workflows/tests', source('other'));
      assert.equal(fine.status, 201, JSON.stringify(fine.body));
    });
  });
}
