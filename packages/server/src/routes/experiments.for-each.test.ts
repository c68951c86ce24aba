import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startFakeModelServer, type FakeModelServer, type RecordedRequest } from '../testing/fake-model-server.js';
import { startTestApp, testStores, type TestApp } from '../testing/harness.js';
import { waitForExperimentRun } from '../testing/experiment-runs.js';
import { EXPERIMENT_MODELS, violations } from '../testing/sdk-models.js';
import { createWorkflowGraph } from '../testing/workflow-graphs.js';

const LINE_SCHEMA = { type: 'object', properties: { sku: { type: 'string' }, qty: { type: 'number' } }, required: ['sku', 'qty'] };

/** Voter v on the item with sku s: the sku back and qty 1, except the third voter on `a2`, who reads 9. */
function scriptedLines(): (request: RecordedRequest) => { content: string } {
  const seen = new Map<string, number>();
  return (request) => {
    // The item reaches the model as JSON inside the prompt (its quotes escaped once more here).
    const sku = /sku\\*"\s*:\s*\\*"(\w+)/.exec(JSON.stringify(request.body.messages))![1]!;
    const voter = seen.get(sku) ?? 0;
    seen.set(sku, voter + 1);
    return { content: JSON.stringify({ sku, qty: sku === 'a2' && voter % 3 === 2 ? 9 : 1 }) };
  };
}

const close = (actual: number | null | undefined, expected: number, label: string) =>
  assert.ok(typeof actual === 'number' && Math.abs(actual - expected) < 1e-9, `${label}: got ${actual}, expected ${expected}`);

function assertShape(body: unknown, model: keyof typeof EXPERIMENT_MODELS) {
  const problems = violations(body, EXPERIMENT_MODELS[model]);
  assert.deepEqual(problems, [], `${model}: ${problems.join('\n')}`);
}

for (const store of testStores()) {
  describe(`for_each experiments through the API (${store})`, () => {
    let model: FakeModelServer;
    let app: TestApp;

    before(async () => {
      model = await startFakeModelServer({ chat: scriptedLines() });
      app = await startTestApp(store, {}, { VERDICT_MODEL_BASE_URL: model.baseURL, VERDICT_MODEL: 'fake-model' });
    });
    after(async () => {
      await app.close();
      await model.close();
    });

    test('each document\'s items run through the loop body with every voter; a vote is the loop\'s output from one voter; metrics per item field; a body edit makes it stale', async () => {
      const { workflowId, ids } = await createWorkflowGraph(
        app,
        [
          { key: 'start', type: 'start_json' },
          { key: 'loop', type: 'for_each', config: { map_method: 'iterate_array', map_source_path: 'data.items', reduce_strategy: 'concat_array' } },
          { key: 'line', type: 'extract', parent: 'loop', config: { json_schema: LINE_SCHEMA, inputs: [{ name: 'item', type: 'json' }] } },
        ],
        [
          { from: 'start', to: 'loop' },
          { from: 'loop', to: 'line', targetHandle: 'input-json-item' },
        ],
      );
      const documents = [[{ sku: 'a1' }, { sku: 'a2' }], [{ sku: 'b1' }]].map((items) => ({ handle_inputs: { 'input-json-0': { type: 'json', data: { items } } } }));
      const created = await app.request('POST', '/v1/workflows/experiments', { workflow_id: workflowId, block_id: ids.loop, n_consensus: 3, documents });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      assert.equal(created.body.block_type, 'for_each');
      const run = await waitForExperimentRun(app, (await app.request('POST', '/v1/workflows/experiments/runs', { experiment_id: created.body.id })).body.id);
      const results = (await app.request('GET', `/v1/workflows/experiments/results?run_id=${run.id}&order=asc`)).body.data;
      assert.equal(run.lifecycle.status, 'completed', JSON.stringify(results.map((result: any) => result.lifecycle)));
      assertShape(run, 'run');

      for (const result of results) assertShape(result, 'result');
      const [first, second] = results;
      assert.deepEqual(first.votes, [0, 1, 2].map((voter) => [{ sku: 'a1', qty: 1 }, { sku: 'a2', qty: voter === 2 ? 9 : 1 }]), 'voter k\'s answers for each item, concatenated as the loop reduces them');
      assert.deepEqual(first.handle_outputs['output-json-0'].data, [{ sku: 'a1', qty: 1 }, { sku: 'a2', qty: 1 }], 'the output is the loop\'s output from each item\'s consensus');
      assert.deepEqual(second.votes, [0, 1, 2].map(() => [{ sku: 'b1', qty: 1 }]));
      assert.equal(first.artifact, null, 'a for_each over a JSON array produces no artifact of its own');

      // By hand: document a has four leaf paths, 1.qty agreed by 2 of 3; document b two, all agreed.
      const summary = (await app.request('GET', `/v1/workflows/experiments/metrics?run_id=${run.id}`)).body;
      assertShape(summary, 'summaryMetrics');
      close(summary.documents[0].score, (1 + 1 + 1 + 2 / 3) / 4, 'document a');
      close(summary.documents[1].score, 1, 'document b');
      close(summary.score, ((1 + 1 + 1 + 2 / 3) / 4 + 1) / 2, 'run score');
      close(summary.aggregate.likelihoods['1.qty'], 2 / 3, 'likelihood of the second item\'s qty');
      close(summary.aggregate.likelihoods['0.qty'], 1, 'likelihood of the first item\'s qty');
      const votes = (await app.request('GET', `/v1/workflows/experiments/metrics?run_id=${run.id}&view=votes&document_id=${first.document_id}&target_path=1.qty`)).body;
      assertShape(votes, 'votesMetrics');
      assert.deepEqual(votes.rows.map((row: any) => [row.consensus, row.votes]), [[1, [1, 1, 9]]]);

      // The loop body's schema is part of what the runs measured.
      const edited = await app.request('PATCH', `/v1/workflows/blocks/${ids.line}`, { config: { json_schema: { ...LINE_SCHEMA, properties: { ...LINE_SCHEMA.properties, price: { type: 'number' } } } } });
      assert.equal(edited.status, 200, JSON.stringify(edited.body));
      const stale = (await app.request('GET', `/v1/workflows/experiments/metrics?run_id=${run.id}`)).body;
      assertShape(stale, 'staleMetrics');
      assert.deepEqual(stale.stale_reasons, ['block_config_changed']);
    });

    test('a for_each whose body is not one model block fed by the loop cannot run: 422 experiment_not_runnable, saying why', async () => {
      const { workflowId, ids } = await createWorkflowGraph(
        app,
        [
          { key: 'start', type: 'start_json' },
          { key: 'loop', type: 'for_each', config: { map_method: 'iterate_array', map_source_path: 'data.items' } },
        ],
        [{ from: 'start', to: 'loop' }],
      );
      const created = await app.request('POST', '/v1/workflows/experiments', { workflow_id: workflowId, block_id: ids.loop, n_consensus: 3, documents: [{ handle_inputs: { 'input-json-0': { type: 'json', data: { items: [] } } } }] });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      const refused = await app.request('POST', '/v1/workflows/experiments/runs', { experiment_id: created.body.id });
      assert.equal(refused.status, 422, JSON.stringify(refused.body));
      assert.equal(refused.body.detail.code, 'experiment_not_runnable');
      assert.match(refused.body.detail.message, /body of `.+` is empty/);
      const runs = (await app.request('GET', `/v1/workflows/experiments/runs?experiment_id=${created.body.id}`)).body.data;
      assert.deepEqual(runs, [], 'nothing was created');
    });
  });
}
