import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestApp, testStores, waitForRun, type TestApp } from '../testing/harness.js';
import { createFunctionWorkflow, createTests, type FunctionWorkflow } from '../testing/fixtures.js';
import { EVALS_GENERATION_MODELS, TESTS_GENERATION_MODELS, violations, type ModelName } from '../testing/sdk-models.js';

const DOUBLE = 'function transform(input) { return { n: input.n, twice: input.n * 2 }; }';
const SPIN_FOREVER = 'function transform(input) { while (true) {} }';
const SEGMENTS = ['tests', 'evals'] as const;
const MODELS = { tests: TESTS_GENERATION_MODELS, evals: EVALS_GENERATION_MODELS };

/** The answer validates as both SDK generations read it, whichever path served it. */
function validForBothGenerations(value: unknown, model: ModelName, where: string) {
  for (const segment of SEGMENTS) {
    assert.deepEqual(violations(value, MODELS[segment][model]), [], `${where}: a ${model} as the ${segment === 'tests' ? '2026-05-29' : '2026-08-07'} SDK reads it`);
  }
}

function listValidForBothGenerations(page: any, model: ModelName, where: string) {
  assert.ok(Array.isArray(page.data) && page.data.length > 0, `${where}: a non-empty list`);
  assert.ok('before' in page.list_metadata && 'after' in page.list_metadata, `${where}: list_metadata`);
  page.data.forEach((item: unknown, n: number) => validForBothGenerations(item, model, `${where} [${n}]`));
}

for (const store of testStores()) {
  describe(`the tests API under both names, tests and evals, over one store (${store})`, () => {
    let app: TestApp;
    let fixture: FunctionWorkflow;
    before(async () => {
      app = await startTestApp(store);
      fixture = await createFunctionWorkflow(app, DOUBLE);
    });
    after(() => app.close());

    const evalBody = (n: number, name: string) => ({
      workflow_id: fixture.workflowId,
      name,
      target: { type: 'block', block_id: fixture.blockId },
      source: { type: 'manual', handle_inputs: { 'input-json-0': { type: 'json', data: { n } } } },
      assertion: { target: { output_handle_id: 'output-json-0', path: 'twice' }, condition: { kind: 'equals', expected: n * 2 } },
    });

    test('a test created under /tests is read, renamed, run, cancelled and deleted under /evals, and the other way round', async () => {
      const [testId] = await createTests(app, fixture, [{ name: 'made as a test', input: { n: 4 }, path: 'twice', condition: { kind: 'equals', expected: 8 } }]);

      const read = await app.request('GET', `/v1/workflows/evals/${testId}`);
      assert.equal(read.status, 200);
      assert.equal(read.body.id, testId);
      const renamed = await app.request('PATCH', `/v1/workflows/evals/${testId}`, { name: 'renamed as an eval' });
      assert.equal(renamed.status, 200);
      assert.equal((await app.request('GET', `/v1/workflows/tests/${testId}`)).body.name, 'renamed as an eval');

      const created = await app.request('POST', '/v1/workflows/evals/runs', { workflow_id: fixture.workflowId, scope: { type: 'single', eval_id: testId } });
      assert.equal(created.status, 202, JSON.stringify(created.body));
      assert.equal(created.body.eval_id, testId);
      assert.equal(created.body.test_id, testId);
      assert.equal(created.body.total_evals, 1);
      assert.equal(created.body.total_tests, 1);
      const run = await waitForRun(app, created.body.id, 30_000, 'evals');
      assert.equal(run.lifecycle.status, 'completed');
      assert.deepEqual(run.counts.outcome, { passed: 1, failed: 0, blocked: 0 });
      assert.deepEqual((await app.request('GET', `/v1/workflows/tests/runs/${run.id}`)).body, run, 'the same run under the old name');

      const byEval = await app.request('GET', `/v1/workflows/evals/runs?workflow_id=${fixture.workflowId}&eval_id=${testId}`);
      assert.deepEqual(byEval.body.data.map((item: any) => item.id), [run.id]);
      const byTestOnEvals = await app.request('GET', `/v1/workflows/evals/runs?workflow_id=${fixture.workflowId}&test_id=${testId}`);
      assert.deepEqual(byTestOnEvals.body.data.map((item: any) => item.id), [run.id]);
      const otherEval = await app.request('GET', `/v1/workflows/evals/runs?workflow_id=${fixture.workflowId}&eval_id=wfnodetest_none`);
      assert.deepEqual(otherEval.body.data, [], 'the eval_id filter filters');

      const results = await app.request('GET', `/v1/workflows/evals/results?run_id=${run.id}`);
      assert.equal(results.status, 200);
      const [result] = results.body.data;
      assert.equal(result.eval_id, testId);
      assert.equal(result.workflow_eval_run_id, run.id);
      assert.equal(result.verdict, 'passed');
      assert.deepEqual((await app.request('GET', `/v1/workflows/tests/results/${result.id}`)).body, (await app.request('GET', `/v1/workflows/evals/results/${result.id}`)).body);

      const summary = (await app.request('GET', `/v1/workflows/tests/${testId}`)).body.latest_run_summary;
      assert.equal(summary.run_record_id, result.id);
      assert.equal(summary.outcome, 'passed');

      const deleted = await app.app.inject({ method: 'DELETE', url: `/v1/workflows/evals/${testId}`, headers: { 'api-key': app.apiKey } });
      assert.equal(deleted.statusCode, 204);
      assert.equal(deleted.body, '');
      const gone = await app.request('GET', `/v1/workflows/tests/${testId}`);
      assert.equal(gone.status, 404);
      assert.equal(gone.body.detail.code, 'test_not_found');
      assert.equal((await app.request('DELETE', `/v1/workflows/evals/${testId}`)).status, 404);
      assert.equal((await app.request('GET', `/v1/workflows/evals/results/${result.id}`)).status, 200, 'results outlive their test under both names');

      const madeAsEval = await app.request('POST', '/v1/workflows/evals', evalBody(5, 'made as an eval'));
      assert.equal(madeAsEval.status, 201);
      const listedAsTest = await app.request('GET', `/v1/workflows/tests?workflow_id=${fixture.workflowId}`);
      assert.ok(listedAsTest.body.data.some((item: any) => item.id === madeAsEval.body.id));
      assert.equal((await app.request('DELETE', `/v1/workflows/tests/${madeAsEval.body.id}`)).status, 204);
      assert.equal((await app.request('GET', `/v1/workflows/evals/${madeAsEval.body.id}`)).status, 404);
    });

    for (const segment of SEGMENTS) {
      test(`every route under /${segment} answers what both SDK generations require`, async () => {
        const base = `/v1/workflows/${segment}`;
        const created = await app.request('POST', base, evalBody(3, `shapes under ${segment}`));
        assert.equal(created.status, 201, JSON.stringify(created.body));
        validForBothGenerations(created.body, 'test', `POST ${base}`);
        const id = created.body.id;

        const runCreated = await app.request('POST', `${base}/runs`, { workflow_id: fixture.workflowId, scope: { type: 'single', [segment === 'tests' ? 'test_id' : 'eval_id']: id } });
        assert.equal(runCreated.status, 202);
        validForBothGenerations(runCreated.body, 'run', `POST ${base}/runs`);
        assert.deepEqual(runCreated.body.trigger, { type: 'api', api_key_id: runCreated.body.trigger.api_key_id }, 'the full trigger variant, which the old SDK requires');
        assert.equal(runCreated.body.workflow.workflow_id, runCreated.body.workflow_id);
        assert.equal(runCreated.body.workflow.version_id, runCreated.body.workflow_version_id);
        await waitForRun(app, runCreated.body.id, 30_000, segment);

        const run = await app.request('GET', `${base}/runs/${runCreated.body.id}`);
        assert.equal(run.status, 200);
        validForBothGenerations(run.body, 'run', `GET ${base}/runs/{id}`);
        assert.equal(run.body.total_evals, run.body.total_tests);
        assert.equal(run.body.eval_id, id);
        listValidForBothGenerations((await app.request('GET', `${base}/runs?workflow_id=${fixture.workflowId}`)).body, 'run', `GET ${base}/runs`);

        const results = await app.request('GET', `${base}/results?run_id=${run.body.id}`);
        assert.equal(results.status, 200);
        listValidForBothGenerations(results.body, 'result', `GET ${base}/results`);
        const result = (await app.request('GET', `${base}/results/${results.body.data[0].id}`)).body;
        validForBothGenerations(result, 'result', `GET ${base}/results/{id}`);
        // Keys the newer SDK reads, which its models default: present, with what the block saw and made.
        assert.deepEqual(result.handle_inputs, { 'input-json-0': { type: 'json', data: { n: 3 } } });
        assert.deepEqual(result.handle_outputs, { 'output-json-0': { type: 'json', data: { n: 3, twice: 6 } } });
        assert.deepEqual(result.outputs, { 'output-json-0': { n: 3, twice: 6 } });
        assert.equal(result.artifact, null);
        assert.match(result.block_execution_fingerprint, /^[0-9a-f]{16}$/);
        assert.equal(result.block_execution_fingerprint, result.block_config_fingerprint);
        assert.deepEqual(result.routing_decisions, result.routing_decision);
        assert.equal(result.verdict_summary.passed, true);
        assert.equal(result.verdict_summary.result, true);
        assert.deepEqual(result.target, { type: 'block', block_id: fixture.blockId });
        assert.equal(result.block_id, fixture.blockId);
        assert.equal(result.block_type, 'function');

        const read = await app.request('GET', `${base}/${id}`);
        assert.equal(read.status, 200);
        validForBothGenerations(read.body, 'test', `GET ${base}/{id}`);
        const summary = read.body.latest_run_summary;
        assert.equal(summary.run_record_id, result.id);
        assert.equal(summary.block_execution_fingerprint, summary.block_config_fingerprint);
        assert.ok('validity_fingerprint' in summary && 'handle_inputs_fingerprint' in summary);
        listValidForBothGenerations((await app.request('GET', `${base}?workflow_id=${fixture.workflowId}`)).body, 'test', `GET ${base}`);
        const patched = await app.request('PATCH', `${base}/${id}`, { name: 'patched' });
        assert.equal(patched.status, 200);
        validForBothGenerations(patched.body, 'test', `PATCH ${base}/{id}`);

        const deleted = await app.app.inject({ method: 'DELETE', url: `${base}/${id}`, headers: { 'api-key': app.apiKey } });
        assert.equal(deleted.statusCode, 204);
        assert.equal(deleted.body, '');
      });

      test(`cancelling under /${segment} answers the run in both generations' shapes`, async () => {
        const spinning = await createFunctionWorkflow(app, SPIN_FOREVER, { timeoutSeconds: 60 });
        await createTests(app, spinning, [{ input: { n: 1 }, condition: { kind: 'exists' } }]);
        const other = segment === 'tests' ? 'evals' : 'tests';
        const created = await app.request('POST', `/v1/workflows/${other}/runs`, { workflow_id: spinning.workflowId });
        assert.equal(created.status, 202);
        const cancelled = await app.request('POST', `/v1/workflows/${segment}/runs/${created.body.id}/cancel`);
        assert.equal(cancelled.status, 200, JSON.stringify(cancelled.body));
        assert.equal(cancelled.body.lifecycle.status, 'cancelled');
        validForBothGenerations(cancelled.body, 'run', `POST /${segment}/runs/{id}/cancel`);
        assert.equal((await app.request('GET', `/v1/workflows/${other}/runs/${created.body.id}`)).body.lifecycle.status, 'cancelled');
        const [test] = (await app.request('GET', `/v1/workflows/${segment}?workflow_id=${spinning.workflowId}`)).body.data;
        validForBothGenerations(test, 'test', `a test whose run was cancelled, under /${segment}`);
        assert.notEqual(test.latest_run_summary.started_at, null);
        const unknown = await app.request('POST', `/v1/workflows/${segment}/runs/wftestrun_missing/cancel`);
        assert.equal(unknown.status, 404);
        assert.equal(unknown.body.detail.code, 'run_not_found');
      });
    }

    test('status codes and refusals are the same under both names', async () => {
      for (const segment of SEGMENTS) {
        const base = `/v1/workflows/${segment}`;
        for (const url of [`${base}/wfnodetest_missing`, `${base}/runs/wftestrun_missing`, `${base}/results/wfnodetestrun_missing`]) {
          const missing = await app.request('GET', url);
          assert.equal(missing.status, 404, url);
          assert.match(missing.body.detail.code, /_not_found$/, url);
        }
        assert.equal((await app.request('GET', base)).status, 422, `${base} needs workflow_id`);
        assert.equal((await app.request('POST', base, { workflow_id: fixture.workflowId })).status, 422);
        assert.equal((await app.request('GET', `${base}/results`)).status, 422, 'results are listed per run');
        const noId = await app.request('POST', `${base}/runs`, { workflow_id: fixture.workflowId, scope: { type: 'single' } });
        assert.equal(noId.status, 422, 'a single scope names its test');
        assert.match(noId.body.detail.message, /eval_id/);
        const twoIds = await app.request('POST', `${base}/runs`, { workflow_id: fixture.workflowId, scope: { type: 'single', test_id: 'wfnodetest_a', eval_id: 'wfnodetest_b' } });
        assert.equal(twoIds.status, 422, 'two different ids for one test are refused');
        const missingTest = await app.request('POST', `${base}/runs`, { workflow_id: fixture.workflowId, scope: { type: 'single', eval_id: 'wfnodetest_missing' } });
        assert.equal(missingTest.status, 404);
        assert.equal(missingTest.body.detail.code, 'test_not_found');
        assert.equal((await app.request('GET', `${base}/runs?trigger_type=custom`)).status, 200, 'the newer SDK knows a custom trigger');
      }
    });
  });
}
