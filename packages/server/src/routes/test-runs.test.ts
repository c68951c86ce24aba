import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { countsViolation, testSourceFingerprint } from '@verdict/core';
import { startTestApp, testStores, waitForRun, type TestApp } from '../testing/harness.js';
import { allResults, createFunctionWorkflow, createTests, otherOrganizationKey, startRun, type FunctionWorkflow, type TestSpec } from '../testing/fixtures.js';

const LINE_TOTAL = `function transform(input) {
  if (input.explode) throw new Error('bad invoice ' + input.id);
  const total = input.items.reduce((sum, item) => sum + item.price * item.qty, 0);
  return { id: input.id, total: total, count: input.items.length };
}`;

function invoiceTest(n: number, expectPass: boolean) {
  const items = [{ price: n, qty: 2 }, { price: 1, qty: 1 }];
  const total = n * 2 + 1;
  return { name: `invoice ${n}`, input: { id: `inv-${n}`, items }, path: 'total', condition: { kind: 'equals', expected: expectPass ? total : total + 1 } };
}

for (const store of testStores()) {
  describe(`test runs end to end (${store})`, () => {
    let app: TestApp;
    let fixture: FunctionWorkflow;
    let testIds: string[];
    before(async () => {
      app = await startTestApp(store);
      fixture = await createFunctionWorkflow(app, LINE_TOTAL, { outputSchema: { type: 'object', required: ['total'] } });
      const specs: TestSpec[] = Array.from({ length: 120 }, (_, n) => invoiceTest(n, n % 10 !== 3));
      specs[7] = { name: 'throws', input: { id: 'boom', explode: true, items: [] }, path: 'total', condition: { kind: 'exists' } };
      testIds = await createTests(app, fixture, specs);
    });
    after(() => app.close());

    test('a workflow run executes every test and its counts, verdicts and timing agree', async () => {
      const created = await startRun(app, fixture.workflowId);
      assert.equal(created.lifecycle.status, 'pending');
      assert.equal(created.total_tests, 120);
      assert.equal(countsViolation(created.counts, created.total_tests), null);
      assert.deepEqual(created.trigger.type, 'api');
      assert.equal(created.workflow.workflow_id, fixture.workflowId);
      assert.match(created.workflow.version_id, /^ver_[0-9a-f]{16}$/);
      assert.equal(created.workflow_version_id, created.workflow.version_id);
      const run = await waitForRun(app, created.id);
      assert.equal(run.lifecycle.status, 'completed');
      assert.equal(countsViolation(run.counts, run.total_tests), null);
      assert.deepEqual(run.counts.outcome, { passed: 107, failed: 12, blocked: 1 });
      assert.ok(run.timing.started_at >= run.timing.created_at && run.timing.completed_at >= run.timing.started_at);

      const rows = await allResults(app, run.id, 7);
      assert.equal(rows.length, 120);
      assert.deepEqual(rows.map((row) => row.test_id), testIds, 'results come in run order (test creation order)');
      const thrown = rows[7];
      assert.equal(thrown.lifecycle.status, 'completed');
      assert.equal(thrown.verdict, 'blocked');
      assert.equal(thrown.assertion_result.failure.code, 'block_execution_failed');
      assert.match(thrown.error.message, /bad invoice boom/);
      const failedRow = rows[3];
      assert.equal(failedRow.verdict, 'failed');
      assert.equal(failedRow.assertion_result.failure.code, 'condition_not_met');
      assert.deepEqual(failedRow.outputs['output-json-0'], { id: 'inv-3', total: 7, count: 2 });
      assert.equal(failedRow.verdict_summary.result, false);
      assert.deepEqual(failedRow.verdict_summary.failed_assertion_ids, [failedRow.assertion_result.assertion_id]);
      assert.equal(rows[0].verdict_summary.passed, true);
      const earliestStart = rows.map((row) => row.timing.started_at).sort()[0];
      const latestEnd = rows.map((row) => row.timing.completed_at).sort().at(-1);
      assert.equal(run.timing.started_at, earliestStart, 'the run started when its first test did');
      assert.ok(run.timing.completed_at >= latestEnd, 'and ended no earlier than its last test');
      for (const row of rows) {
        assert.equal(row.run_id, run.id);
        assert.equal(row.workflow_test_run_id, run.id);
        assert.match(row.execution_fingerprint, /^[0-9a-f]{16}$/);
        assert.equal(row.workflow_draft_fingerprint, run.workflow.version_id.slice(4));
      }
      rows.forEach((row, n) => assert.equal(row.handle_inputs_fingerprint, testSourceFingerprint(row.source), `row ${n}: the fingerprint of its own inputs`));
      assert.equal(new Set(rows.map((row) => row.handle_inputs_fingerprint)).size, 120, 'different inputs, different fingerprints');

      const backwards: any[] = [];
      let page: any = await app.request('GET', `/v1/workflows/tests/results?run_id=${run.id}&order=desc&limit=50`);
      backwards.push(...page.body.data);
      assert.equal(page.body.list_metadata.before, null);
      while (page.body.list_metadata.after) {
        page = await app.request('GET', `/v1/workflows/tests/results?run_id=${run.id}&order=desc&limit=50&after=${page.body.list_metadata.after}`);
        backwards.push(...page.body.data);
      }
      assert.deepEqual(backwards.map((row) => row.id), rows.map((row) => row.id).reverse());
      const before: string | null = page.body.list_metadata.before;
      const previous = await app.request('GET', `/v1/workflows/tests/results?run_id=${run.id}&order=desc&limit=50&before=${before}`);
      assert.deepEqual(previous.body.data.map((row: any) => row.id), backwards.slice(50, 100).map((row) => row.id));

      const passingTest = (await app.request('GET', `/v1/workflows/tests/${testIds[0]}`)).body;
      assert.equal(passingTest.latest_run_summary.run_record_id, rows[0].id);
      assert.equal(passingTest.latest_run_summary.outcome, 'passed');
      assert.equal(passingTest.latest_passing_run_summary.run_record_id, rows[0].id);
      assert.equal(passingTest.latest_failing_run_summary, null);
      const failingTest = (await app.request('GET', `/v1/workflows/tests/${testIds[3]}`)).body;
      assert.equal(failingTest.latest_failing_run_summary.run_record_id, rows[3].id);
      assert.equal(failingTest.latest_failing_run_summary.assertions_failed, 1);
    });

    test('block and single scopes select their tests and record the target', async () => {
      const blockRun = await waitForRun(app, (await startRun(app, fixture.workflowId, { type: 'block', block_id: fixture.blockId })).id);
      assert.equal(blockRun.total_tests, 120);
      assert.deepEqual(blockRun.target, { type: 'block', block_id: fixture.blockId });
      assert.equal(blockRun.test_id, null);
      const single = await startRun(app, fixture.workflowId, { type: 'single', test_id: testIds[5] });
      assert.equal(single.total_tests, 1);
      assert.equal(single.test_id, testIds[5]);
      assert.deepEqual(single.target, { type: 'block', block_id: fixture.blockId });
      const done = await waitForRun(app, single.id);
      assert.deepEqual(done.counts.outcome, { passed: 1, failed: 0, blocked: 0 });
    });

    test('run creation refuses what it cannot run, with clear errors', async () => {
      const empty = await app.request('POST', '/v1/workflows', { name: 'empty' });
      const none = await app.request('POST', '/v1/workflows/tests/runs', { workflow_id: empty.body.id });
      assert.equal(none.status, 422);
      assert.equal(none.body.detail.code, 'no_tests_in_scope');
      const missingWorkflow = await app.request('POST', '/v1/workflows/tests/runs', { workflow_id: 'wf_missing' });
      assert.equal(missingWorkflow.status, 404);
      assert.equal(missingWorkflow.body.detail.code, 'workflow_not_found');
      const badScope = await app.request('POST', '/v1/workflows/tests/runs', { workflow_id: fixture.workflowId, scope: { type: 'block' } });
      assert.equal(badScope.status, 422);
      assert.equal(badScope.body.detail.code, 'validation_error');
      assert.ok(badScope.body.detail.details.issues.some((issue: any) => issue.path === 'body.scope.block_id'));
      const unknownTest = await app.request('POST', '/v1/workflows/tests/runs', { workflow_id: fixture.workflowId, scope: { type: 'single', test_id: 'wfnodetest_nope' } });
      assert.equal(unknownTest.status, 404);
      assert.equal(unknownTest.body.detail.code, 'test_not_found');
    });

    test('runs list filters, sorts and pages', async () => {
      const list = await app.request('GET', `/v1/workflows/tests/runs?workflow_id=${fixture.workflowId}&limit=100`);
      assert.equal(list.status, 200);
      const ids = list.body.data.map((run: any) => run.id);
      assert.ok(ids.length >= 3);
      assert.deepEqual([...ids].sort().reverse(), ids, 'newest first by default');
      const byTest = await app.request('GET', `/v1/workflows/tests/runs?test_id=${testIds[5]}`);
      assert.equal(byTest.body.data.length, ids.length, 'every run of this workflow included test 5');
      const byTarget = await app.request('GET', `/v1/workflows/tests/runs?target_block_id=${fixture.blockId}`);
      assert.ok(byTarget.body.data.every((run: any) => run.target?.block_id === fixture.blockId));
      const completed = await app.request('GET', '/v1/workflows/tests/runs?status=completed&exclude_status=cancelled&trigger_type=api');
      assert.ok(completed.body.data.length >= 3 && completed.body.data.every((run: any) => run.lifecycle.status === 'completed'));
      const today = new Date().toISOString().slice(0, 10);
      const dated = await app.request('GET', `/v1/workflows/tests/runs?from_date=${today}&to_date=${today}&sort_by=timing.started_at&order=asc&limit=1`);
      assert.equal(dated.status, 200);
      assert.equal(dated.body.data.length, 1);
      assert.ok(dated.body.list_metadata.after);
      const future = await app.request('GET', '/v1/workflows/tests/runs?from_date=2999-01-01');
      assert.deepEqual(future.body.data, []);
      for (const bad of ['status=awaiting_review', 'sort_by=name', 'limit=0', 'limit=101', 'order=up', 'from_date=yesterday', `before=${ids[0]}&after=${ids[1]}`]) {
        const response = await app.request('GET', `/v1/workflows/tests/runs?${bad}`);
        assert.equal(response.status, 422, bad);
        assert.equal(response.body.detail.code, 'validation_error', bad);
        assert.ok(response.body.detail.message.length > 10);
      }
      const results = await app.request('GET', '/v1/workflows/tests/results');
      assert.equal(results.status, 422);
      assert.match(results.body.detail.message, /run_id/);
      const tests = await app.request('GET', '/v1/workflows/tests');
      assert.equal(tests.status, 422);
    });

    test("another organization's key sees none of it", async () => {
      const key = await otherOrganizationKey(app, 'nosy');
      const headers = { 'api-key': key };
      const run = (await app.request('GET', `/v1/workflows/tests/runs?workflow_id=${fixture.workflowId}&limit=1`)).body.data[0];
      assert.equal((await app.request('GET', `/v1/workflows/tests/runs/${run.id}`, undefined, headers)).status, 404);
      assert.equal((await app.request('GET', `/v1/workflows/tests/${testIds[0]}`, undefined, headers)).status, 404);
      assert.equal((await app.request('GET', `/v1/workflows/tests/results?run_id=${run.id}`, undefined, headers)).status, 404);
      assert.deepEqual((await app.request('GET', '/v1/workflows/tests/runs', undefined, headers)).body.data, []);
      assert.equal((await app.request('POST', '/v1/workflows/tests/runs', { workflow_id: fixture.workflowId }, headers)).status, 404);
    });

    test('hostile function code is contained and the server stays healthy', async () => {
      const hostile = [
        'function transform(input) { while (true) {} }',
        'function transform(input) { const a = []; while (true) a.push(new Array(1e6).fill(1)); }',
        'function transform(input) { return { p: typeof process, r: typeof require, t: typeof setTimeout, f: typeof fetch }; }',
        'function transform(input) { return process.exit(1); }',
        'function transform(input) { let s = "x"; while (true) s += s; }',
        'function transform(input) { return require("fs").readFileSync("/etc/passwd", "utf8"); }',
      ];
      const verdicts: string[] = [];
      for (const code of hostile) {
        const target = await createFunctionWorkflow(app, code, { timeoutSeconds: 1 });
        await createTests(app, target, [{ input: {}, path: null, condition: { kind: 'exists' } }]);
        const run = await waitForRun(app, (await startRun(app, target.workflowId)).id, 20_000);
        const [row] = await allResults(app, run.id);
        verdicts.push(row.verdict);
        if (code.includes('typeof')) assert.deepEqual(row.outputs?.['output-json-0'], { p: 'undefined', r: 'undefined', t: 'undefined', f: 'undefined' }, JSON.stringify(row.error));
        else {
          assert.equal(row.verdict, 'blocked', code);
          assert.equal(row.assertion_result.failure.code, 'block_execution_failed');
        }
      }
      assert.match(verdicts.join(','), /blocked/);
      const loopRow = await (async () => {
        const target = await createFunctionWorkflow(app, hostile[0]!, { timeoutSeconds: 1 });
        await createTests(app, target, [{ input: {}, condition: { kind: 'exists' } }]);
        const run = await waitForRun(app, (await startRun(app, target.workflowId)).id);
        return (await allResults(app, run.id))[0];
      })();
      assert.match(loopRow.error.message, /time/i);
      const healthy = await waitForRun(app, (await startRun(app, fixture.workflowId, { type: 'single', test_id: testIds[0] })).id);
      assert.equal(healthy.counts.outcome.passed, 1);
    });

    test("a test's new inputs give its next result a new input fingerprint", async () => {
      const runOnce = async () => {
        const run = await waitForRun(app, (await startRun(app, fixture.workflowId, { type: 'single', test_id: testIds[9] })).id);
        return (await allResults(app, run.id, 1))[0];
      };
      const before = await runOnce();
      const source = { type: 'manual', handle_inputs: { 'input-json-0': { type: 'json', data: { id: 'inv-9b', items: [{ price: 9, qty: 2 }, { price: 1, qty: 1 }] } } } };
      const patched = await app.request('PATCH', `/v1/workflows/tests/${testIds[9]}`, { source });
      assert.equal(patched.status, 200, JSON.stringify(patched.body));
      const after = await runOnce();
      assert.notEqual(after.handle_inputs_fingerprint, before.handle_inputs_fingerprint);
      assert.equal(after.handle_inputs_fingerprint, testSourceFingerprint(source as never));
      assert.notEqual(after.execution_fingerprint, before.execution_fingerprint);
    });

    test('a test stored without its input fingerprint (written by something else) gets it computed from its source', async () => {
      const runOnce = async () => {
        const run = await waitForRun(app, (await startRun(app, fixture.workflowId, { type: 'single', test_id: testIds[8] })).id);
        return (await allResults(app, run.id, 1))[0];
      };
      const before = await runOnce();
      await app.runtime.services.store.db.updateTable('tests').set({ handle_inputs_fingerprint: null }).where('id', '=', testIds[8]!).execute();
      const after = await runOnce();
      assert.equal(after.handle_inputs_fingerprint, before.handle_inputs_fingerprint);
      assert.equal(after.handle_inputs_fingerprint, testSourceFingerprint(after.source));
    });
  });
}
