import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { countsViolation, type Trigger } from '@verdict/core';
import { sql } from 'kysely';
import { createFunctionWorkflow, createTests, otherOrganizationKey, waitFor, type FunctionWorkflow } from '../testing/fixtures.js';
import { startTestApp, testStores, waitForRun, type TestApp } from '../testing/harness.js';
import { HOLD_READS_FOR_ROWS_AT_MOST, type TestRunService } from './test-runs.js';

const PASS_THROUGH = 'function transform(input) { return input; }';
const SPIN_FOREVER = 'function transform(input) { while (true) {} }';
const TRIGGER: Trigger = { type: 'api', api_key_id: 'key_service_test' };

/** TestRunService through its own functions, on the real store and executor of a test server. */
for (const kind of testStores()) {
  describe(`TestRunService (${kind})`, () => {
    let app: TestApp;
    let runs: TestRunService;
    let organizationId: string;
    let otherOrganizationId: string;
    let passing: FunctionWorkflow;
    let passingTests: string[];
    before(async () => {
      app = await startTestApp(kind);
      runs = app.runtime.services.runs;
      organizationId = (await app.runtime.services.auth.authenticate(app.apiKey))!.organizationId;
      otherOrganizationId = (await app.runtime.services.auth.authenticate(await otherOrganizationKey(app)))!.organizationId;
      passing = await createFunctionWorkflow(app, PASS_THROUGH);
      passingTests = await createTests(app, passing, [1, 2, 3].map((n) => ({ name: `n = ${n}`, input: { n }, path: 'n', condition: { kind: 'equals', expected: n } })));
    });
    after(() => app.close());

    /** A workflow whose tests never finish on their own: its runs stay live until cancelled. */
    async function spinningWorkflow(tests = 1): Promise<FunctionWorkflow> {
      const workflow = await createFunctionWorkflow(app, SPIN_FOREVER, { timeoutSeconds: 300 });
      await createTests(app, workflow, Array.from({ length: tests }, (_, n) => ({ input: { n }, condition: { kind: 'exists' } })));
      return workflow;
    }

    test('create: a pending run with one row per test in scope, in creation order, which the executor then finishes', async () => {
      const created = await runs.create(organizationId, TRIGGER, { workflow_id: passing.workflowId });
      assert.deepEqual([created.lifecycle.status, created.total_tests, created.counts.lifecycle_counts.pending, created.target], ['pending', 3, 3, null]);
      assert.deepEqual(created.trigger, TRIGGER);
      assert.equal(countsViolation(created.counts, created.total_tests), null);

      const done = await waitForRun(app, created.id);
      assert.deepEqual([done.lifecycle.status, done.counts.outcome.passed], ['completed', 3]);
      const rows = await app.request('GET', `/v1/workflows/tests/results?run_id=${created.id}&order=asc`);
      assert.deepEqual(rows.body.data.map((row: { test_id: string }) => row.test_id), passingTests);
    });

    test('create: a block scope and a test scope select only their tests', async () => {
      const byBlock = await runs.create(organizationId, TRIGGER, { workflow_id: passing.workflowId, scope: { type: 'block', block_id: passing.blockId } });
      assert.deepEqual([byBlock.total_tests, byBlock.target], [3, { type: 'block', block_id: passing.blockId }]);
      const byTest = await runs.create(organizationId, TRIGGER, { workflow_id: passing.workflowId, scope: { type: 'single', test_id: passingTests[1]! } });
      assert.deepEqual([byTest.total_tests, byTest.test_id, byTest.target], [1, passingTests[1], { type: 'block', block_id: passing.blockId }]);
      await waitForRun(app, byBlock.id);
      await waitForRun(app, byTest.id);
    });

    test('create refuses what it cannot run, and writes no run', async () => {
      const empty = await createFunctionWorkflow(app, PASS_THROUGH);
      const other = await createFunctionWorkflow(app, PASS_THROUGH);
      const [otherTest] = await createTests(app, other, [{ input: {}, condition: { kind: 'exists' } }]);

      await assert.rejects(runs.create(organizationId, TRIGGER, { workflow_id: 'wf_missing' }), { statusCode: 404, code: 'workflow_not_found' });
      await assert.rejects(runs.create(otherOrganizationId, TRIGGER, { workflow_id: passing.workflowId }), { statusCode: 404, code: 'workflow_not_found' });
      await assert.rejects(runs.create(organizationId, TRIGGER, { workflow_id: empty.workflowId }), { statusCode: 422, code: 'no_tests_in_scope' });
      await assert.rejects(runs.create(organizationId, TRIGGER, { workflow_id: passing.workflowId, scope: { type: 'block', block_id: other.blockId } }), {
        statusCode: 404,
        code: 'block_not_found',
      });
      await assert.rejects(runs.create(organizationId, TRIGGER, { workflow_id: passing.workflowId, scope: { type: 'single', test_id: otherTest! } }), {
        statusCode: 404,
        code: 'test_not_found',
      });
      const listed = await runs.list(organizationId, { workflow_id: empty.workflowId, sortBy: 'created_at' }, { limit: 10, order: 'desc' });
      assert.deepEqual(listed.data, []);
    });

    test("get and find: a run of another organization is not found", async () => {
      const created = await runs.create(organizationId, TRIGGER, { workflow_id: passing.workflowId, scope: { type: 'single', test_id: passingTests[0]! } });
      assert.equal((await runs.get(organizationId, created.id)).id, created.id);
      assert.equal((await runs.find(organizationId, created.id))?.id, created.id);
      assert.equal(await runs.find(otherOrganizationId, created.id), null);
      await assert.rejects(runs.get(otherOrganizationId, created.id), { statusCode: 404, code: 'run_not_found' });
      await assert.rejects(runs.get(organizationId, 'wftestrun_missing'), { statusCode: 404, code: 'run_not_found' });
      await waitForRun(app, created.id);
    });

    test('cancel: a live run is cancelled with its reason; cancelling it again answers it as it is; a finished run is not cancellable', async () => {
      const spinning = await spinningWorkflow(2);
      const live = await runs.create(organizationId, TRIGGER, { workflow_id: spinning.workflowId });
      const cancelled = await runs.cancel(organizationId, live.id, 'enough');
      assert.deepEqual(cancelled.lifecycle, { status: 'cancelled', reason: 'enough' });
      assert.equal(cancelled.counts.lifecycle_counts.cancelled + cancelled.counts.lifecycle_counts.completed, 2);
      assert.equal(countsViolation(cancelled.counts, cancelled.total_tests), null);
      assert.deepEqual((await runs.cancel(organizationId, live.id, 'again')).lifecycle, { status: 'cancelled', reason: 'enough' });

      const finished = await runs.create(organizationId, TRIGGER, { workflow_id: passing.workflowId, scope: { type: 'single', test_id: passingTests[2]! } });
      await waitForRun(app, finished.id);
      await assert.rejects(runs.cancel(organizationId, finished.id, null), { statusCode: 404, code: 'run_not_cancellable', details: { run_id: finished.id, status: 'completed' } });
      await assert.rejects(runs.cancel(otherOrganizationId, live.id, null), { statusCode: 404, code: 'run_not_found' });
    });

    test('cancel: a read issued the moment the answer arrives sees every unfinished row cancelled, its test pointing at it, and the counts agreeing', async () => {
      const spinning = await spinningWorkflow(40);
      const live = await runs.create(organizationId, TRIGGER, { workflow_id: spinning.workflowId });
      await waitFor('a test running', async () => (await runs.get(organizationId, live.id)).counts.lifecycle_counts.running > 0);
      const answer = await runs.cancel(organizationId, live.id, null);
      // No await between the answer and these reads: on SQLite the rows are written after the answer, and reads wait for them.
      const [rows, tests] = await Promise.all([
        app.runtime.services.store.db.selectFrom('test_results').select(['id', 'test_id', 'status', 'verdict']).where('run_id', '=', live.id).execute(),
        app.runtime.services.store.db.selectFrom('tests').select(['id', 'latest_result_id']).where('workflow_id', '=', spinning.workflowId).execute(),
      ]);
      assert.deepEqual(new Set(rows.map((row) => row.status)), new Set(['cancelled']));
      assert.equal(answer.counts.lifecycle_counts.cancelled, rows.length);
      const latest = new Map(tests.map((row) => [row.id, row.latest_result_id]));
      for (const row of rows) assert.equal(latest.get(row.test_id), row.id);
      assert.deepEqual(await runs.get(organizationId, live.id), answer, 'the answer is the run as it stays');
    });

    test('cancel right after the draft changed: the answer, built once the new draft is read, carries the change and agrees with every read after it', async () => {
      const spinning = await spinningWorkflow(3);
      const live = await runs.create(organizationId, TRIGGER, { workflow_id: spinning.workflowId });
      await waitFor('a test running', async () => (await runs.get(organizationId, live.id)).counts.lifecycle_counts.running > 0);
      assert.deepEqual((await runs.get(organizationId, live.id)).freshness.reasons, ['no_baseline']);
      const edited = await app.request('PATCH', `/v1/workflows/blocks/${spinning.blockId}`, { config: { language: 'javascript', code: SPIN_FOREVER, output_schema: {}, timeout_seconds: 299 } });
      assert.equal(edited.status, 200, JSON.stringify(edited.body));
      // The new draft's fingerprint is read for the first time by this answer, while the cancelled rows are being written.
      const answer = await runs.cancel(organizationId, live.id, null);
      assert.deepEqual([answer.lifecycle.status, answer.freshness.reasons], ['cancelled', ['no_baseline', 'validity_changed']]);
      assert.equal(answer.counts.lifecycle_counts.cancelled, 3);
      assert.deepEqual(await runs.get(organizationId, live.id), answer, 'the answer is the run as it stays');
    });

    test(`cancel of a run with more than ${HOLD_READS_FOR_ROWS_AT_MOST} unfinished rows: written before the answer, holding no reads of the store`, async () => {
      const spinning = await spinningWorkflow(1);
      const copies = HOLD_READS_FOR_ROWS_AT_MOST;
      await sql`
        WITH RECURSIVE copies(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM copies WHERE n < ${copies})
        INSERT INTO tests (id, organization_id, workflow_id, block_id, name, source, handle_inputs_fingerprint, assertion, assertion_schema_dep, created_at, updated_at)
        SELECT t.id || '_' || CAST(copies.n AS TEXT), t.organization_id, t.workflow_id, t.block_id, t.name, t.source, t.handle_inputs_fingerprint, t.assertion,
          t.assertion_schema_dep, t.created_at, t.updated_at
        FROM tests AS t, copies WHERE t.workflow_id = ${spinning.workflowId}`.execute(app.runtime.services.store.db);
      const live = await runs.create(organizationId, TRIGGER, { workflow_id: spinning.workflowId });
      assert.equal(live.total_tests, HOLD_READS_FOR_ROWS_AT_MOST + 1);
      await waitFor('a test running', async () => (await runs.get(organizationId, live.id)).counts.lifecycle_counts.running > 0);
      const store = app.runtime.services.store;
      const holdReads = store.holdReads;
      let holds = 0;
      if (holdReads) store.holdReads = () => (holds++, holdReads());
      try {
        const answer = await runs.cancel(organizationId, live.id, null);
        const rows = await store.db.selectFrom('test_results').select('status').where('run_id', '=', live.id).execute();
        assert.deepEqual(new Set(rows.map((row) => row.status)), new Set(['cancelled']));
        assert.equal(answer.counts.lifecycle_counts.cancelled, HOLD_READS_FOR_ROWS_AT_MOST + 1);
        assert.equal(holds, 0, 'no read of the store waited for its rows');
        assert.deepEqual(await runs.get(organizationId, live.id), answer, 'the answer is the run as it stays');
        if (holdReads) {
          // A small run's cancel does hold them (its rows are written after the answer): the count above can see a hold.
          const small = await runs.create(organizationId, TRIGGER, { workflow_id: (await spinningWorkflow(1)).workflowId });
          await runs.cancel(organizationId, small.id, null);
          assert.equal(holds, 1);
        }
      } finally {
        if (holdReads) store.holdReads = holdReads;
      }
    });

    test("cancelLiveRunsOfWorkflow: every live run of that workflow is cancelled; other workflows' runs and finished runs are left", async () => {
      const doomed = await spinningWorkflow();
      const bystander = await spinningWorkflow();
      const first = await runs.create(organizationId, TRIGGER, { workflow_id: doomed.workflowId });
      const second = await runs.create(organizationId, TRIGGER, { workflow_id: doomed.workflowId });
      const elsewhere = await runs.create(organizationId, TRIGGER, { workflow_id: bystander.workflowId });

      await runs.cancelLiveRunsOfWorkflow(otherOrganizationId, doomed.workflowId, 'not yours');
      assert.equal((await runs.get(organizationId, first.id)).lifecycle.status === 'cancelled', false, "another organization's call cancels nothing");

      await runs.cancelLiveRunsOfWorkflow(organizationId, doomed.workflowId, 'The workflow was deleted.');
      for (const run of [first, second]) assert.deepEqual((await runs.get(organizationId, run.id)).lifecycle, { status: 'cancelled', reason: 'The workflow was deleted.' });
      assert.notEqual((await runs.get(organizationId, elsewhere.id)).lifecycle.status, 'cancelled');
      await runs.cancel(organizationId, elsewhere.id, null);
    });

    test('list: the organization\'s runs, newest first, filtered by workflow and status', async () => {
      const spinning = await spinningWorkflow();
      const live = await runs.create(organizationId, TRIGGER, { workflow_id: spinning.workflowId });
      const ended = await runs.create(organizationId, TRIGGER, { workflow_id: spinning.workflowId });
      await runs.cancel(organizationId, ended.id, null);

      const all = await runs.list(organizationId, { workflow_id: spinning.workflowId, sortBy: 'created_at' }, { limit: 10, order: 'desc' });
      assert.deepEqual(all.data.map((run) => run.id), [ended.id, live.id]);
      const cancelled = await runs.list(organizationId, { workflow_id: spinning.workflowId, status: 'cancelled', sortBy: 'created_at' }, { limit: 10, order: 'desc' });
      assert.deepEqual(cancelled.data.map((run) => run.id), [ended.id]);
      const others = await runs.list(otherOrganizationId, { workflow_id: spinning.workflowId, sortBy: 'created_at' }, { limit: 10, order: 'desc' });
      assert.deepEqual(others.data, []);
      await runs.cancel(organizationId, live.id, null);
    });
  });
}
