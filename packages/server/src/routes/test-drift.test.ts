import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createFunctionWorkflow, createTests, startRun, type FunctionWorkflow } from '../testing/fixtures.js';
import { startTestApp, testStores, waitForRun, type TestApp } from '../testing/harness.js';

const CODE = 'function transform(input) { return { total: input.total }; }';
const SCHEMA = { type: 'object', properties: { total: { type: 'number' } } };

for (const store of testStores()) {
  describe(`tests carry freshness, drift and validation computed against the draft (${store})`, () => {
    let app: TestApp;
    let fixture: FunctionWorkflow;
    let testId: string;
    let runId: string;

    const getTest = async (id = testId) => {
      const response = await app.request('GET', `/v1/workflows/tests/${id}`);
      assert.equal(response.status, 200);
      return response.body;
    };
    /** Replaces the function block's config: the edit a user makes in the editor. */
    const setBlock = async (config: { code?: string; output_schema?: unknown }) => {
      const response = await app.request('PATCH', `/v1/workflows/blocks/${fixture.blockId}`, {
        config: { language: 'javascript', code: config.code ?? CODE, output_schema: config.output_schema ?? SCHEMA, timeout_seconds: 60 },
        config_mode: 'replace',
      });
      assert.equal(response.status, 200, JSON.stringify(response.body));
    };
    const runTest = async (id = testId) => {
      const run = await startRun(app, fixture.workflowId, { type: 'single', test_id: id });
      return waitForRun(app, run.id);
    };

    before(async () => {
      app = await startTestApp(store);
      fixture = await createFunctionWorkflow(app, CODE, { outputSchema: SCHEMA });
      [testId] = await createTests(app, fixture, [{ name: 'total is 3', input: { total: 3 }, path: 'total', condition: { kind: 'equals', expected: 3 } }]);
    });
    after(() => app.close());

    test('before any run: no_baseline, and the dependency on `total` is recorded', async () => {
      const body = await getTest();
      assert.deepEqual(body.freshness.reasons, ['no_baseline']);
      assert.equal(body.freshness.status, 'stale');
      assert.equal(body.freshness.baseline_run_id, null);
      assert.match(body.freshness.validity_fingerprint, /^[0-9a-f]{16}$/);
      assert.match(body.freshness.input_fingerprint, /^[0-9a-f]{16}$/);
      assert.deepEqual({ ...body.assertion_schema_dep, subtree_hash: 'h' }, { output_handle_id: 'output-json-0', schema_path: 'total', subtree_hash: 'h', depends_on_root: false });
      assert.deepEqual([body.drift.status, body.assertion_drift_status, body.schema_drift], ['none', 'valid', 'none']);
    });

    test('after a passing run: fresh against that run, valid, no drift; the run is fresh with its three keys', async () => {
      const run = await runTest();
      runId = run.id;
      assert.equal(run.counts.outcome.passed, 1);
      assert.deepEqual(run.freshness, { status: 'fresh', reasons: [], validity_fingerprint: run.workflow_version_id.slice(4), input_fingerprint: null, baseline_run_id: run.id });
      const body = await getTest();
      assert.deepEqual(body.freshness.reasons, []);
      assert.equal(body.freshness.status, 'fresh');
      assert.equal(body.freshness.baseline_run_id, runId);
      assert.equal(body.latest_run_summary.validity_fingerprint, body.freshness.validity_fingerprint, "a fresh verdict's summary carries the validity it was reached with");
      assert.deepEqual(body.drift, { status: 'none', affected_targets: [], detail: null });
      assert.equal(body.assertion_drift_status, 'valid');
      assert.equal(body.validation_status, 'valid');
      assert.deepEqual(body.validation_issues, []);
    });

    test('a test created after the run and never run: no_baseline', async () => {
      const [other] = await createTests(app, fixture, [{ input: { total: 1 }, path: 'total', condition: { kind: 'exists' } }]);
      const body = await getTest(other);
      assert.deepEqual([body.freshness.status, body.freshness.reasons], ['stale', ['no_baseline']]);
      await app.request('DELETE', `/v1/workflows/tests/${other}`);
    });

    test('output_schema without `total`: broken, naming the path; the verdict is stale; so is the run', async () => {
      await setBlock({ output_schema: { type: 'object', properties: { subtotal: { type: 'number' } } } });
      const body = await getTest();
      assert.deepEqual([body.drift.status, body.assertion_drift_status, body.schema_drift], ['broken', 'broken', 'drifted']);
      assert.deepEqual(body.drift.affected_targets, ['total']);
      assert.match(body.schema_drift_detail, /`total`/);
      assert.equal(body.freshness.status, 'stale');
      assert.ok(body.freshness.reasons.includes('validity_changed'));
      const run = await app.request('GET', `/v1/workflows/tests/runs/${runId}`);
      assert.deepEqual([run.body.freshness.status, run.body.freshness.reasons], ['stale', ['validity_changed']]);
      const runs = await app.request('GET', `/v1/workflows/tests/runs?workflow_id=${fixture.workflowId}`);
      assert.deepEqual(runs.body.data.map((listed: { freshness: unknown }) => listed.freshness), [run.body.freshness]);
    });

    test('`total` of another type: drifted', async () => {
      await setBlock({ output_schema: { type: 'object', properties: { total: { type: 'string' } } } });
      const body = await getTest();
      assert.deepEqual([body.drift.status, body.assertion_drift_status, body.schema_drift], ['drifted', 'drifted', 'partial']);
      assert.deepEqual(body.drift.affected_targets, ['total']);
    });

    test('the schema restored: no drift, and fresh again (same block execution, inputs and assertion)', async () => {
      await setBlock({});
      const body = await getTest();
      assert.deepEqual([body.drift.status, body.freshness.status], ['none', 'fresh']);
    });

    test('the code edited: stale with validity_changed, and no drift', async () => {
      await setBlock({ code: 'function transform(input) { return { total: input.total * 1 }; }' });
      const body = await getTest();
      assert.equal(body.freshness.status, 'stale');
      assert.deepEqual(body.freshness.reasons, ['validity_changed', 'engine_changed']);
      assert.equal(body.drift.status, 'none');
    });

    test('the inputs or the assertion edited: inputs_changed, validity_changed', async () => {
      await setBlock({});
      const edited = await app.request('PATCH', `/v1/workflows/tests/${testId}`, { source: { type: 'manual', handle_inputs: { 'input-json-0': { type: 'json', data: { total: 4 } } } } });
      assert.equal(edited.status, 200);
      assert.deepEqual(edited.body.freshness.reasons, ['inputs_changed']);
      const asserted = await app.request('PATCH', `/v1/workflows/tests/${testId}`, {
        assertion: { target: { output_handle_id: 'output-json-0', path: 'total' }, condition: { kind: 'equals', expected: 4 } },
      });
      assert.deepEqual(asserted.body.freshness.reasons, ['validity_changed', 'inputs_changed']);
    });

    test('a run against a changed schema makes it the new baseline of drift', async () => {
      const integer = { type: 'object', properties: { total: { type: 'integer' } } };
      await setBlock({ output_schema: integer });
      assert.equal((await getTest()).drift.status, 'drifted');
      await runTest();
      const body = await getTest();
      assert.deepEqual([body.drift.status, body.freshness.status], ['none', 'fresh']);
    });

    test('listing serves the same fields', async () => {
      const list = await app.request('GET', `/v1/workflows/tests?workflow_id=${fixture.workflowId}`);
      assert.equal(list.status, 200);
      const listed = list.body.data.find((test: { id: string }) => test.id === testId);
      const single = await getTest();
      for (const field of ['freshness', 'drift', 'schema_drift', 'assertion_schema_dep', 'assertion_drift_status', 'validation_status', 'validation_issues']) {
        assert.deepEqual(listed[field], single[field], field);
      }
    });

    test('the block deleted: invalid (block_missing) and broken', async () => {
      const deleted = await app.request('DELETE', `/v1/workflows/blocks/${fixture.blockId}`);
      assert.equal(deleted.status, 204);
      const body = await getTest();
      assert.equal(body.validation_status, 'invalid');
      assert.deepEqual(body.validation_issues.map((issue: { code: string }) => issue.code), ['block_missing']);
      assert.deepEqual([body.drift.status, body.assertion_drift_status], ['broken', 'broken']);
      assert.equal(body.freshness.status, 'stale');
    });
  });
}

describe('serving a page of tests reads in batches: the same number of queries for 5 tests as for 50', () => {
  let app: TestApp;
  let fixture: FunctionWorkflow;
  before(async () => {
    app = await startTestApp('sqlite');
    fixture = await createFunctionWorkflow(app, CODE, { outputSchema: SCHEMA });
    await createTests(app, fixture, Array.from({ length: 50 }, (_, n) => ({ input: { total: n }, path: n % 2 ? 'total' : null, condition: { kind: 'exists' } })));
    await waitForRun(app, (await startRun(app, fixture.workflowId)).id);
  });
  after(() => app.close());

  test('queries per list request do not grow with the page', async () => {
    const store = app.runtime.services.store;
    const original = store.db;
    let queries = 0;
    store.db = original.withPlugin({
      transformQuery: (args) => {
        queries += 1;
        return args.node;
      },
      transformResult: async (args) => args.result,
    });
    const count = async (limit: number) => {
      queries = 0;
      const list = await app.request('GET', `/v1/workflows/tests?workflow_id=${fixture.workflowId}&limit=${limit}`);
      assert.equal(list.status, 200);
      assert.equal(list.body.data.length, limit);
      assert.ok(list.body.data.every((test: { freshness: { status: string } }) => test.freshness.status === 'fresh'));
      return queries;
    };
    try {
      const few = await count(5);
      const many = await count(50);
      assert.equal(many, few);
      assert.ok(many <= 8, `${many} queries`);
    } finally {
      store.db = original;
    }
  });
});
