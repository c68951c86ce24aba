import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { formatDuration } from '../dashboard/format.js';
import { resultRow } from '../dashboard/views/runs.js';
import { startedResults } from '../services/test-results.js';
import { allResults, createFunctionWorkflow, createTests, startRun } from '../testing/fixtures.js';
import { startTestApp, testStores, waitForRun, type TestApp } from '../testing/harness.js';

/** Keeps its sandbox thread busy for a while (the sandbox has no timers: it spins). */
const JAVASCRIPT_BUSY_300MS = 'function transform(input) { const end = Date.now() + 300; while (Date.now() < end) {} return { n: input.n }; }';
const PYTHON_BUSY_300MS = 'import time\ndef transform(input_data):\n    end = time.monotonic() + 0.3\n    while time.monotonic() < end:\n        pass\n    return {"n": input_data["n"]}\n';
const SPIN_MS = 300;
const TESTS = 6;

/**
 * Runs TESTS tests of a block that spins SPIN_MS where only one runs at a time: all but one wait.
 * Each result's execution is its own spin, well under the run; the last to run waited for the others.
 */
async function assertWaitIsQueueTime(app: TestApp, code: string, language: 'javascript' | 'python'): Promise<void> {
  const fixture = await createFunctionWorkflow(app, code, { language });
  await createTests(app, fixture, Array.from({ length: TESTS }, (_, n) => ({ input: { n }, path: 'n', condition: { kind: 'equals', expected: n } })));
  const run = await startRun(app, fixture.workflowId);
  const done = await waitForRun(app, run.id, 60_000);
  const results = await allResults(app, run.id);
  assert.equal(done.counts.outcome.passed, TESTS, JSON.stringify(results.find((result) => result.verdict !== 'passed')?.error));

  const runMs = Date.parse(done.timing.completed_at) - Date.parse(done.timing.created_at);
  for (const result of results) {
    assert.equal(typeof result.queued_ms, 'number');
    assert.ok(result.duration_ms < runMs / 2, `execution ${result.duration_ms} ms is the block's own, well under the run's ${runMs} ms`);
    assert.ok(result.duration_ms >= SPIN_MS - 50, `execution ${result.duration_ms} ms covers the block's spin`);
  }
  const longestWait = results.reduce((most, result) => (result.queued_ms > most.queued_ms ? result : most));
  assert.ok(
    longestWait.queued_ms > 2 * longestWait.duration_ms,
    `the last test to run waited (${longestWait.queued_ms} ms) longer than twice its execution (${longestWait.duration_ms} ms)`,
  );
  // Queue and execution account for the test's time from the run's start to its end (recording aside).
  const total = Date.parse(longestWait.timing.completed_at) - Date.parse(longestWait.timing.created_at);
  assert.ok(longestWait.queued_ms + longestWait.duration_ms <= total + 5, `queued + execution (${longestWait.queued_ms + longestWait.duration_ms} ms) fit in ${total} ms`);

  // The dashboard's run page: the time cell shows the execution, and the wait apart.
  const listed = await startedResults(app.runtime.services, run.id, 0, TESTS);
  const row = String(resultRow(listed.find((item) => item.id === longestWait.id)!));
  const timeCell = /<td class="num" data-label="Time">(.*?)<\/td>/.exec(row)![1]!;
  assert.ok(timeCell.startsWith(String(formatDuration(longestWait.duration_ms))), timeCell);
  assert.ok(timeCell.includes(`queued ${formatDuration(longestWait.queued_ms)}`), timeCell);
}

for (const store of testStores()) {
  describe(`a result's execution time and queue time, apart (${store}, issue 24 item 10)`, () => {
    let app: TestApp;
    before(async () => {
      // One sandbox thread, one Python process, and room for every test to start: all but one wait.
      app = await startTestApp(store, { sandboxThreads: 1, concurrency: 8 }, { VERDICT_PYTHON_PROCESSES: '1' });
    });
    after(async () => {
      await app.close();
    });

    test('JavaScript tests that wait behind a busy sandbox thread report the wait as queued_ms, not in duration_ms', async () => {
      await assertWaitIsQueueTime(app, JAVASCRIPT_BUSY_300MS, 'javascript');
    });

    test('Python tests that wait for the one Python process report the wait as queued_ms, not in duration_ms', async () => {
      await assertWaitIsQueueTime(app, PYTHON_BUSY_300MS, 'python');
    });

    test('queued_ms is in the OpenAPI document, as a Verdict extension', async () => {
      const openapi = (await app.app.inject({ method: 'GET', url: '/openapi.json' })).json();
      const documented = openapi.components.schemas.WorkflowTestResult.properties;
      assert.match(documented.queued_ms.description, /^Verdict extension/);
      assert.match(documented.duration_ms.description, /without the wait/);
    });
  });
}
