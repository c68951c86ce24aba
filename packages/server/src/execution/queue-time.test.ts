import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { formatDuration } from '../dashboard/format.js';
import { resultRow } from '../dashboard/views/runs.js';
import { startedResults } from '../services/test-results.js';
import { allResults, createFunctionWorkflow, createTests, startRun } from '../testing/fixtures.js';
import { startTestApp, testStores, waitForRun, type TestApp } from '../testing/harness.js';

/** Keeps its sandbox thread busy for a while (the sandbox has no timers: it spins). */
const BUSY_300MS = 'function transform(input) { const end = Date.now() + 300; while (Date.now() < end) {} return { n: input.n }; }';
const TESTS = 6;

for (const store of testStores()) {
  describe(`a result's execution time and queue time, apart (${store}, issue 24 item 10)`, () => {
    let app: TestApp;
    before(async () => {
      // One sandbox thread and room for every test to start: all but one wait for the thread.
      app = await startTestApp(store, { sandboxThreads: 1, concurrency: 8 });
    });
    after(async () => {
      await app.close();
    });

    test('tests that wait behind a busy sandbox thread report the wait as queued_ms, not as their duration_ms', async () => {
      const fixture = await createFunctionWorkflow(app, BUSY_300MS);
      await createTests(app, fixture, Array.from({ length: TESTS }, (_, n) => ({ input: { n }, path: 'n', condition: { kind: 'equals', expected: n } })));
      const run = await startRun(app, fixture.workflowId);
      const done = await waitForRun(app, run.id);
      assert.equal(done.counts.outcome.passed, TESTS);

      const results = await allResults(app, run.id);
      const runMs = Date.parse(done.timing.completed_at) - Date.parse(done.timing.created_at);
      for (const result of results) {
        assert.equal(typeof result.duration_ms, 'number');
        assert.equal(typeof result.queued_ms, 'number');
        // Each test spins for its own 300 ms; the tests share one thread, so the run lasts about six times that.
        assert.ok(result.duration_ms < runMs / 2, `execution ${result.duration_ms} ms is the block's own, well under the run's ${runMs} ms`);
        assert.ok(result.duration_ms >= 250, `execution ${result.duration_ms} ms covers the block's spin`);
      }
      const openapi = (await app.app.inject({ method: 'GET', url: '/openapi.json' })).json();
      const documented = openapi.components.schemas.WorkflowTestResult.properties;
      assert.match(documented.queued_ms.description, /Verdict extension/, 'queued_ms is in the OpenAPI document, as an extension');

      const longestWait = results.reduce((most, result) => (result.queued_ms > most.queued_ms ? result : most));
      assert.ok(
        longestWait.queued_ms > 2 * longestWait.duration_ms,
        `the last test to get the thread waited (${longestWait.queued_ms} ms) longer than twice its execution (${longestWait.duration_ms} ms)`,
      );
      // The dashboard's run page: the time cell shows the execution, and the wait apart.
      const listed = await startedResults(app.runtime.services, run.id, 0, TESTS);
      const row = String(resultRow(listed.find((item) => item.id === longestWait.id)!));
      const timeCell = /<td class="num" data-label="Time">(.*?)<\/td>/.exec(row)![1]!;
      assert.ok(timeCell.startsWith(String(formatDuration(longestWait.duration_ms))), timeCell);
      assert.ok(timeCell.includes(`queued ${formatDuration(longestWait.queued_ms)}`), timeCell);

      // Queue and execution account for the test's time from the run's start to its end (recording aside).
      const total = Date.parse(longestWait.timing.completed_at) - Date.parse(longestWait.timing.created_at);
      assert.ok(longestWait.queued_ms + longestWait.duration_ms <= total + 5, `queued + execution (${longestWait.queued_ms + longestWait.duration_ms} ms) fit in ${total} ms`);
    });
  });
}
