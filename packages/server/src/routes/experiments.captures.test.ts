import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { answerJson, startFakeModelServer, type FakeModelServer } from '../testing/fake-model-server.js';
import { otherOrganizationKey } from '../testing/fixtures.js';
import { startTestApp, testStores, type TestApp } from '../testing/harness.js';
import { waitForExperimentRun } from '../testing/experiment-runs.js';
import { createWorkflowGraph, stepsOfRun, waitForWorkflowRun } from '../testing/workflow-graphs.js';

/**
 * Experiment documents captured from workflow runs (`document_captures`, retab-api-delta §4.5):
 * a workflow is run through the API, its steps are captured, and the experiment's results must
 * show the very inputs those steps recorded.
 */

const INVOICE_SCHEMA = { type: 'object', properties: { vendor: { type: 'string' }, total: { type: 'number' } }, required: ['vendor', 'total'] };
const ANSWER = { vendor: 'Acme', total: 12 };
const dataUrl = (text: string) => `data:text/plain;base64,${Buffer.from(text).toString('base64')}`;
/** An extract block that reads one JSON input, `input-json-item`. */
const jsonExtract = { json_schema: INVOICE_SCHEMA, inputs: [{ name: 'item', type: 'json' }] };

/** Runs the experiment to completion and returns its results in document order. */
async function resultsOfRun(app: TestApp, experimentId: string): Promise<any[]> {
  const started = await app.request('POST', '/v1/workflows/experiments/runs', { experiment_id: experimentId });
  assert.equal(started.status, 202, JSON.stringify(started.body));
  const run = await waitForExperimentRun(app, started.body.id);
  assert.equal(run.lifecycle.status, 'completed', JSON.stringify(run));
  const results = await app.request('GET', `/v1/workflows/experiments/results?run_id=${run.id}&order=asc`);
  assert.equal(results.status, 200, JSON.stringify(results.body));
  return results.body.data;
}

async function completedRun(app: TestApp, body: object): Promise<any> {
  const created = await app.request('POST', '/v1/workflows/runs', body);
  assert.equal(created.status, 202, JSON.stringify(created.body));
  const run = await waitForWorkflowRun(app, created.body.id);
  assert.equal(run.lifecycle.status, 'completed', JSON.stringify(run.lifecycle));
  return run;
}

/**
 * A result's handle inputs cut to the keys the step shows: a step answers a file as a FileRef
 * `{id, filename, mime_type}`; a result answers the same stored file in the shape both SDK
 * generations parse (fileForWire), which carries those keys and more.
 */
function asStepShows(resultInputs: Record<string, any>, stepInputs: Record<string, any>): Record<string, any> {
  return Object.fromEntries(
    Object.entries(resultInputs).map(([handleId, input]) => {
      const shown = stepInputs[handleId];
      if (input.type !== 'file' || shown?.type !== 'file') return [handleId, input];
      return [handleId, { type: 'file', document: Object.fromEntries(Object.keys(shown.document).map((key) => [key, input.document[key]])) }];
    }),
  );
}

const provenance = (runId: string, stepId: string) => ({ run_id: runId, workflow_run_id: runId, step_id: stepId });

for (const store of testStores()) {
  describe(`experiment documents captured from workflow runs (${store})`, () => {
    let model: FakeModelServer;
    let app: TestApp;

    before(async () => {
      model = await startFakeModelServer({ chat: answerJson(ANSWER) });
      app = await startTestApp(store, {}, { VERDICT_MODEL_BASE_URL: model.baseURL, VERDICT_MODEL: 'fake-model' });
    });
    after(async () => {
      await app?.close();
      await model?.close();
    });

    test("captured documents replay the files the run's extract steps saw, keep their provenance through a duplicate, and outlive the run", async () => {
      const { workflowId, ids } = await createWorkflowGraph(
        app,
        [
          { key: 'doc', type: 'start_document' },
          { key: 'invoice', type: 'extract', config: { json_schema: INVOICE_SCHEMA } },
        ],
        [{ from: 'doc', to: 'invoice' }],
      );
      const runs = [];
      for (const name of ['first', 'second']) {
        runs.push(await completedRun(app, { workflow_id: workflowId, documents: { [ids.doc!]: { filename: `${name}.txt`, url: dataUrl(`Invoice ${name}`) } } }));
      }
      const steps = await Promise.all(runs.map(async (run) => (await stepsOfRun(app, run.id)).find((step) => step.block_id === ids.invoice)));
      assert.equal(steps[0].handle_inputs['input-file-document'].type, 'file');

      // Both generations' keys: 61d9c44e's run_id, 393edb37's workflow_run_id (with the step named).
      const created = await app.request('POST', '/v1/workflows/experiments', {
        workflow_id: workflowId,
        block_id: ids.invoice,
        n_consensus: 3,
        document_captures: [{ run_id: runs[0].id }, { workflow_run_id: runs[1].id, step_id: steps[1].step_id }],
      });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      assert.equal(created.body.document_count, 2);

      // The runs go away: the experiment keeps what it captured.
      for (const run of runs) assert.equal((await app.request('DELETE', `/v1/workflows/runs/${run.id}`)).status, 204);
      const results = await resultsOfRun(app, created.body.id);
      assert.equal(results.length, 2);
      for (const [index, result] of results.entries()) {
        assert.deepEqual(asStepShows(result.handle_inputs, steps[index].handle_inputs), steps[index].handle_inputs, `document ${index} replays step ${steps[index].step_id}`);
        assert.equal(result.handle_inputs['input-file-document'].document.filename, index === 0 ? 'first.txt' : 'second.txt');
        assert.deepEqual(result.provenance, provenance(runs[index].id, steps[index].step_id));
        assert.deepEqual(result.handle_outputs['output-json-0'].data, ANSWER);
      }

      const copy = await app.request('POST', '/v1/workflows/experiments', { workflow_id: workflowId, source_experiment_id: created.body.id });
      assert.equal(copy.status, 201, JSON.stringify(copy.body));
      const copied = await resultsOfRun(app, copy.body.id);
      assert.deepEqual(
        copied.map((result) => [result.handle_inputs, result.provenance]),
        results.map((result) => [result.handle_inputs, result.provenance]),
      );
    });

    test('PATCH replaces the documents with captures and explicit documents together; a loop body needs the iteration, listed when missing', async () => {
      const { workflowId, ids } = await createWorkflowGraph(
        app,
        [
          { key: 'start', type: 'start_json' },
          { key: 'loop', type: 'for_each', config: { map_method: 'iterate_array', map_source_path: 'data.items', reduce_strategy: 'concat_array' } },
          { key: 'line', type: 'extract', parent: 'loop', config: jsonExtract },
        ],
        [
          { from: 'start', to: 'loop' },
          { from: 'loop', to: 'line', targetHandle: 'input-json-item' },
        ],
      );
      const items = [{ sku: 'a' }, { sku: 'b' }, { sku: 'c' }];
      const run = await completedRun(app, { workflow_id: workflowId, json_inputs: { [ids.start!]: { items } } });
      const iterations = (await stepsOfRun(app, run.id)).filter((step) => step.block_id === ids.line);
      assert.equal(iterations.length, 3);
      const explicit = { handle_inputs: { 'input-json-item': { type: 'json', data: { sku: 'z' } } } };
      const created = await app.request('POST', '/v1/workflows/experiments', { workflow_id: workflowId, block_id: ids.line, documents: [explicit] });
      assert.equal(created.status, 201, JSON.stringify(created.body));

      const ambiguous = await app.request('PATCH', `/v1/workflows/experiments/${created.body.id}`, { document_captures: [{ run_id: run.id }] });
      assert.equal(ambiguous.status, 422, JSON.stringify(ambiguous.body));
      assert.equal(ambiguous.body.detail.code, 'validation_error');
      assert.equal(ambiguous.body.detail.details.issues[0].path, 'body.document_captures.0.step_id');
      assert.match(ambiguous.body.detail.message, /ran 3 times .* give step_id/);
      assert.deepEqual([...ambiguous.body.detail.details.available_iterations].sort(), iterations.map((step) => step.step_id).sort());

      const chosen = [iterations[2], iterations[0]];
      const patched = await app.request('PATCH', `/v1/workflows/experiments/${created.body.id}`, {
        document_captures: chosen.map((step) => ({ run_id: run.id, step_id: step.step_id })),
        documents: [explicit],
      });
      assert.equal(patched.status, 200, JSON.stringify(patched.body));
      assert.equal(patched.body.document_count, 3);
      const results = await resultsOfRun(app, created.body.id);
      assert.deepEqual(
        results.map((result) => [result.handle_inputs, result.provenance]),
        [...chosen.map((step) => [step.handle_inputs, provenance(run.id, step.step_id)]), [explicit.handle_inputs, null]],
      );
      assert.deepEqual(results[0].handle_inputs, { 'input-json-item': { type: 'json', data: items[chosen[0].loop_containers[0].iteration] } }, 'the item of the iteration chosen');
    });

    test('a step whose block failed recorded the inputs it failed on: they are captured, to replay the documents the block fails on', async () => {
      const { workflowId, ids } = await createWorkflowGraph(
        app,
        [
          { key: 'start', type: 'start_json' },
          { key: 'line', type: 'extract', config: jsonExtract },
        ],
        [{ from: 'start', to: 'line', targetHandle: 'input-json-item' }],
      );
      model.setChatHandler(() => ({ status: 400, body: { error: { message: 'this input is refused', type: 'invalid_request_error' } } }));
      const created = await app.request('POST', '/v1/workflows/runs', { workflow_id: workflowId, json_inputs: { [ids.start!]: { sku: 'broken' } } });
      const run = await waitForWorkflowRun(app, created.body.id).finally(() => model.setChatHandler(answerJson(ANSWER)));
      assert.equal(run.lifecycle.status, 'error', JSON.stringify(run.lifecycle));
      const step = (await stepsOfRun(app, run.id)).find((candidate) => candidate.block_id === ids.line);
      assert.equal(step.lifecycle.status, 'error');
      const experiment = await app.request('POST', '/v1/workflows/experiments', { workflow_id: workflowId, block_id: ids.line, document_captures: [{ run_id: run.id }] });
      assert.equal(experiment.status, 201, JSON.stringify(experiment.body));
      const [result] = await resultsOfRun(app, experiment.body.id);
      assert.deepEqual(result.handle_inputs, { 'input-json-item': { type: 'json', data: { sku: 'broken' } } });
      assert.deepEqual(result.provenance, provenance(run.id, step.step_id));
    });

    test('a capture that names no usable step refuses the whole request with 422 saying what to fix, and writes nothing', async () => {
      const { workflowId, ids } = await createWorkflowGraph(
        app,
        [
          { key: 'start', type: 'start_json' },
          { key: 'route', type: 'conditional', config: { conditions: [{ branch_name: 'yes', sub_conditions: [{ path: 'data.ok', operator: 'is_true' }] }], has_else: false } },
          { key: 'taken', type: 'extract', config: jsonExtract },
          { key: 'other', type: 'extract', config: jsonExtract },
        ],
        [
          { from: 'start', to: 'route' },
          { from: 'route', to: 'taken', sourceHandle: 'output-json-yes', targetHandle: 'input-json-item' },
          { from: 'start', to: 'other', targetHandle: 'input-json-item' },
        ],
      );
      const run = await completedRun(app, { workflow_id: workflowId, json_inputs: { [ids.start!]: { ok: false } } });
      const steps = await stepsOfRun(app, run.id);
      const stepOf = (key: string) => steps.find((step) => step.block_id === ids[key]);
      assert.equal(stepOf('taken').lifecycle.status, 'skipped');
      const experiment = (await app.request('POST', '/v1/workflows/experiments', { workflow_id: workflowId, block_id: ids.other, document_captures: [{ run_id: run.id }] })).body;
      assert.equal(experiment.document_count, 1, JSON.stringify(experiment));
      const create = (block: string, captures: object[], headers?: Record<string, string>) =>
        app.request('POST', '/v1/workflows/experiments', { workflow_id: workflowId, block_id: ids[block], document_captures: captures }, headers);
      const refused = (response: { status: number; body: any }, path: string, message: RegExp) => {
        assert.equal(response.status, 422, JSON.stringify(response.body));
        assert.equal(response.body.detail.code, 'validation_error');
        assert.equal(response.body.detail.details.issues[0].path, path);
        assert.match(response.body.detail.message, message);
      };

      refused(await create('taken', [{ run_id: run.id }]), 'body.document_captures.0', /was skipped: it recorded no inputs/);
      refused(await create('other', [{ run_id: run.id, step_id: stepOf('route').step_id }]), 'body.document_captures.0.step_id', new RegExp(`a step of block \`${ids.route}\`, not of block \`${ids.other}\``));
      refused(await create('other', [{ run_id: run.id }, { run_id: 'run_nope' }]), 'body.document_captures.1.run_id', /no workflow run `run_nope` in this organization/);
      refused(
        await create('other', [{ run_id: run.id, workflow_run_id: 'run_else' }]),
        'body.document_captures.0',
        /name the same run under its two names/,
      );

      // Another organization naming this run is answered exactly as a run that does not exist.
      const otherKey = await otherOrganizationKey(app, 'captures-other');
      const theirs = await createWorkflowGraph(
        { ...app, request: (method, url, body, headers = {}) => app.request(method, url, body, { 'api-key': otherKey, ...headers }) },
        [{ key: 'other', type: 'extract', config: jsonExtract }],
        [],
      );
      const probe = (runId: string) => app.request('POST', '/v1/workflows/experiments', { workflow_id: theirs.workflowId, block_id: theirs.ids.other, document_captures: [{ run_id: runId }] }, { 'api-key': otherKey });
      const foreign = await probe(run.id);
      const unknown = await probe('run_unknown00000000');
      assert.equal(foreign.status, 422);
      assert.deepEqual(JSON.parse(JSON.stringify(foreign.body).replaceAll(run.id, 'RUN')), JSON.parse(JSON.stringify(unknown.body).replaceAll('run_unknown00000000', 'RUN')));

      // Bounded as documents are: 500 in all, captures and documents together.
      const capture = { run_id: run.id };
      refused(await create('other', Array.from({ length: 501 }, () => capture)), 'body.document_captures', /at most 500|500/);
      const mixed = await app.request('POST', '/v1/workflows/experiments', {
        workflow_id: workflowId,
        block_id: ids.other,
        document_captures: Array.from({ length: 400 }, () => capture),
        documents: Array.from({ length: 101 }, () => ({ handle_inputs: { 'input-json-item': { type: 'json', data: 1 } } })),
      });
      refused(mixed, 'body.document_captures', /at most 500 documents; 400 captures and 101 documents make 501/);

      // Nothing half-written: the good capture before the bad one is not saved either.
      const before = await app.request('GET', `/v1/workflows/experiments/${experiment.id}`);
      const half = await app.request('PATCH', `/v1/workflows/experiments/${experiment.id}`, { document_captures: [capture, capture, { run_id: run.id, step_id: 'step_nope' }] });
      refused(half, 'body.document_captures.2.step_id', /No step `step_nope` in workflow run/);
      assert.deepEqual((await app.request('GET', `/v1/workflows/experiments/${experiment.id}`)).body, before.body);
      const listed = await app.request('GET', `/v1/workflows/experiments?workflow_id=${workflowId}`);
      assert.deepEqual(listed.body.data.map((item: any) => item.id), [experiment.id], 'no refused create left an experiment behind');
    });
  });
}
