import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import SQLite from 'better-sqlite3';
import { createFunctionWorkflow, createTests, startRun } from '../testing/fixtures.js';
import { startTestApp, waitForRun, type TestApp } from '../testing/harness.js';

const DOUBLE = 'function transform(input) { return { value: input.n * 2 }; }';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('LocalExecutor (SQLite)', () => {
  let app: TestApp;
  before(async () => {
    app = await startTestApp('sqlite', { concurrency: 2, maxUnwrittenResults: 4 });
  });
  after(async () => {
    await app.close();
  });

  test('while the store cannot take results, execution pauses once maxUnwrittenResults wait; it resumes when the store does', async () => {
    const fixture = await createFunctionWorkflow(app, DOUBLE);
    await createTests(app, fixture, Array.from({ length: 40 }, (_, n) => ({ input: { n }, path: 'value', condition: { kind: 'equals', expected: n * 2 } })));
    const run = await startRun(app, fixture.workflowId);
    // Another connection holds the write lock: the transition thread's flushes wait for it.
    const blocker = new SQLite(app.runtime.services.store.sqlitePath!);
    blocker.pragma('busy_timeout = 5000');
    blocker.exec('BEGIN IMMEDIATE');
    try {
      // The tests executing when the writer stalled finish first (slowly, on a loaded machine).
      const executor = app.runtime.services.executor;
      const deadline = performance.now() + 5000;
      while (executor.stats().inFlight > 0 && performance.now() < deadline) await sleep(20);
      await sleep(300);
      const stalled = executor.stats();
      assert.equal(stalled.inFlight, 0, 'no test executes while 4 results wait for the store');
      assert.ok(stalled.queued >= 40 - 2 - 4 - 2 * 2, `most tests still wait to start (${stalled.queued} of 40)`);
    } finally {
      blocker.exec('COMMIT');
      blocker.close();
    }
    const done = await waitForRun(app, run.id);
    assert.equal(done.lifecycle.status, 'completed');
    assert.equal(done.counts.outcome.passed, 40);
  });
});
