import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { countsViolation } from '@verdict/core';
import { startTestApp, testStores, waitForRun, type TestApp } from '../testing/harness.js';
import { allResults, createFunctionWorkflow, createTests, otherOrganizationKey, sleep, startRun } from '../testing/fixtures.js';

const BUSY_40MS = 'function transform(input) { const end = Date.now() + 40; while (Date.now() < end) {} return { n: input.n }; }';
const SPIN_FOREVER = 'function transform(input) { while (true) {} }';
const QUICK = 'function transform(input) { return { n: input.n }; }';

const passing = (n: number) => ({ input: { n }, path: 'n', condition: { kind: 'equals', expected: n } });

for (const store of testStores()) {
  describe(`cancel a test run (${store})`, () => {
    let app: TestApp;
    before(async () => {
      app = await startTestApp(store, { sandboxThreads: 2, concurrency: 8 });
    });
    after(() => app.close());

    test('a run of 400 tests cancelled after its first twenty results: answer, counts, rows and a later read agree', async () => {
      const fixture = await createFunctionWorkflow(app, BUSY_40MS);
      await createTests(app, fixture, Array.from({ length: 400 }, (_, n) => passing(n)));
      const run = await startRun(app, fixture.workflowId);
      for (;;) {
        const current = (await app.request('GET', `/v1/workflows/tests/runs/${run.id}`)).body;
        if (current.counts.lifecycle_counts.completed >= 20) break;
        await sleep(10);
      }
      const cancel = await app.request('POST', `/v1/workflows/tests/runs/${run.id}/cancel`, { reason: 'enough' });
      assert.equal(cancel.status, 200);
      const answer = cancel.body;
      assert.deepEqual(answer.lifecycle, { status: 'cancelled', reason: 'enough' });
      assert.equal(countsViolation(answer.counts, answer.total_tests), null);
      const lc = answer.counts.lifecycle_counts;
      assert.equal(lc.pending + lc.queued + lc.running, 0, 'nothing left live in the answer');
      assert.ok(lc.completed >= 20 && lc.completed < 400, `completed ${lc.completed}`);
      assert.equal(lc.cancelled, 400 - lc.completed - lc.error);
      assert.ok(answer.timing.completed_at && answer.timing.started_at);
      assert.equal(answer.timing.duration_ms, Date.parse(answer.timing.completed_at) - Date.parse(answer.timing.started_at));

      const rows = await allResults(app, run.id);
      assert.equal(rows.length, 400);
      assert.equal(new Set(rows.map((row) => row.id)).size, 400);
      const completed = rows.filter((row) => row.lifecycle.status === 'completed');
      const cancelled = rows.filter((row) => row.lifecycle.status === 'cancelled');
      assert.equal(completed.length, lc.completed);
      assert.equal(cancelled.length, lc.cancelled);
      assert.ok(completed.every((row) => row.verdict === 'passed'), 'finished results keep their verdicts');
      assert.ok(cancelled.every((row) => row.verdict === null && row.timing.completed_at === answer.timing.completed_at));

      await sleep(1500);
      const later = (await app.request('GET', `/v1/workflows/tests/runs/${run.id}`)).body;
      assert.deepEqual(later, answer, 'nothing changes after the answer');
      const rowsLater = await allResults(app, run.id);
      assert.deepEqual(rowsLater, rows);
    });

    test('cancelled right after creation: no test has run, the summaries point at the cancelled rows', async () => {
      const fixture = await createFunctionWorkflow(app, BUSY_40MS);
      const [testId] = await createTests(app, fixture, [passing(1), passing(2), passing(3)]);
      const run = await startRun(app, fixture.workflowId);
      const cancel = await app.request('POST', `/v1/workflows/tests/runs/${run.id}/cancel`);
      assert.equal(cancel.status, 200);
      assert.equal(cancel.body.lifecycle.status, 'cancelled');
      assert.equal(cancel.body.lifecycle.reason, null);
      assert.equal(countsViolation(cancel.body.counts, cancel.body.total_tests), null);
      assert.equal(cancel.body.counts.lifecycle_counts.pending + cancel.body.counts.lifecycle_counts.queued + cancel.body.counts.lifecycle_counts.running, 0);
      await sleep(300);
      const testAfter = (await app.request('GET', `/v1/workflows/tests/${testId}`)).body;
      assert.equal(testAfter.latest_run_summary.run_id, run.id);
      assert.ok(['cancelled', 'completed'].includes(testAfter.latest_run_summary.status));
      // Retab's SDKs require started_at in a summary: a row cancelled before it started reports its cancel time.
      if (testAfter.latest_run_summary.status === 'cancelled') assert.equal(testAfter.latest_run_summary.started_at, cancel.body.timing.completed_at);
      else assert.notEqual(testAfter.latest_run_summary.started_at, null);
      assert.deepEqual((await app.request('GET', `/v1/workflows/tests/runs/${run.id}`)).body, cancel.body);
    });

    test('unknown id, completed run, repeated cancel and another organization', async () => {
      const unknown = await app.request('POST', '/v1/workflows/tests/runs/wftestrun_nope/cancel');
      assert.equal(unknown.status, 404);
      assert.equal(unknown.body.detail.code, 'run_not_found');

      const fixture = await createFunctionWorkflow(app, QUICK);
      await createTests(app, fixture, [passing(1)]);
      const finished = await startRun(app, fixture.workflowId);
      await waitForRun(app, finished.id);
      const late = await app.request('POST', `/v1/workflows/tests/runs/${finished.id}/cancel`);
      assert.equal(late.status, 404);
      assert.equal(late.body.detail.code, 'run_not_cancellable');
      assert.equal(late.body.detail.details.status, 'completed');

      const slow = await createFunctionWorkflow(app, BUSY_40MS);
      // Ten tests of 40 ms on two threads: the run outlasts the cancels below even on a loaded machine.
      await createTests(app, slow, Array.from({ length: 10 }, (_, n) => passing(n)));
      const otherKey = await otherOrganizationKey(app);
      const run = await startRun(app, slow.workflowId);
      const foreign = await app.request('POST', `/v1/workflows/tests/runs/${run.id}/cancel`, undefined, { 'api-key': otherKey });
      assert.equal(foreign.status, 404);
      assert.equal(foreign.body.detail.code, 'run_not_found');
      const first = await app.request('POST', `/v1/workflows/tests/runs/${run.id}/cancel`);
      const second = await app.request('POST', `/v1/workflows/tests/runs/${run.id}/cancel`, { reason: 'again' });
      assert.equal(first.status, 200);
      assert.equal(second.status, 200);
      assert.deepEqual(second.body, first.body, 'a repeated cancel answers the run unchanged');
    });

    // Any bound far below the spinning tests' 300 s timeout shows they were stopped; 10 s leaves room
    // for a loaded machine, where the nice-10 sandbox threads get what CPU the busy processes leave.
    test('eight tests spinning in while (true) {} are stopped: the next run completes within 10 s, not after their 300 s timeout', async () => {
      const spinning = await createFunctionWorkflow(app, SPIN_FOREVER, { timeoutSeconds: 300 });
      await createTests(app, spinning, Array.from({ length: 8 }, (_, n) => passing(n)));
      const run = await startRun(app, spinning.workflowId);
      await sleep(300);
      const cancel = await app.request('POST', `/v1/workflows/tests/runs/${run.id}/cancel`);
      assert.equal(cancel.status, 200);
      const quick = await createFunctionWorkflow(app, QUICK);
      await createTests(app, quick, [passing(1), passing(2), passing(3)]);
      const started = Date.now();
      const next = await startRun(app, quick.workflowId);
      const done = await waitForRun(app, next.id, 10_000);
      assert.equal(done.lifecycle.status, 'completed');
      assert.equal(done.counts.outcome.passed, 3);
      assert.ok(Date.now() - started < 10_000);
    });

    test('thirty cancel/finish races each end in one consistent state', async () => {
      const fixture = await createFunctionWorkflow(app, QUICK);
      await createTests(app, fixture, [passing(1), passing(2)]);
      const outcomes = { cancelled: 0, completed: 0 };
      for (let round = 0; round < 30; round++) {
        const run = await startRun(app, fixture.workflowId);
        await sleep(round % 10);
        const cancel = await app.request('POST', `/v1/workflows/tests/runs/${run.id}/cancel`);
        await sleep(50);
        const final = (await app.request('GET', `/v1/workflows/tests/runs/${run.id}`)).body;
        assert.equal(countsViolation(final.counts, final.total_tests), null);
        const rows = await allResults(app, run.id);
        if (cancel.status === 200) {
          outcomes.cancelled++;
          assert.equal(final.lifecycle.status, 'cancelled');
          assert.deepEqual(final, cancel.body);
        } else {
          outcomes.completed++;
          assert.equal(cancel.status, 404);
          assert.equal(cancel.body.detail.code, 'run_not_cancellable');
          assert.equal(final.lifecycle.status, 'completed');
          assert.equal(final.counts.lifecycle_counts.completed, 2);
        }
        const byStatus = (status: string) => rows.filter((row) => row.lifecycle.status === status).length;
        assert.equal(byStatus('completed'), final.counts.lifecycle_counts.completed);
        assert.equal(byStatus('cancelled'), final.counts.lifecycle_counts.cancelled);
      }
      assert.equal(outcomes.cancelled + outcomes.completed, 30);
    });
  });
}
