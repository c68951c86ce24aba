import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { countsViolation, isoNow } from '@verdict/core';
import { createRuntime, type Runtime } from '../../services/create.js';
import { startResults } from '../../store/transitions/index.js';
import { allResults, createFunctionWorkflow, createTests, sleep, startRun, type TestSpec } from '../../testing/fixtures.js';
import { startTestApp, waitForRun, type TestApp } from '../../testing/harness.js';
import { MAX_ROW_ATTEMPTS } from './queues.js';

const REDIS_URL = process.env.VERDICT_TEST_REDIS_URL;
const DATABASE_URL = process.env.VERDICT_TEST_DATABASE_URL;
const skip = REDIS_URL && DATABASE_URL ? false : 'needs VERDICT_TEST_REDIS_URL and VERDICT_TEST_DATABASE_URL (npm test starts both when redis-server and PostgreSQL are installed)';

const DEEP_OR_DOUBLE = `function transform(input) {
  if (input.depth) { let value = 1; for (let i = 0; i < input.depth; i++) value = [value]; return value; }
  return { doubled: input.n * 2 };
}`;
const doubles = (count: number): TestSpec[] => Array.from({ length: count }, (_, n) => ({ input: { n }, path: 'doubled', condition: { kind: 'equals', expected: n * 2 } }));

function startDistributedApp(worker: boolean): Promise<TestApp> {
  return startTestApp('postgres', { redisUrl: REDIS_URL!, worker, sandboxThreads: 2, concurrency: 8 }, { VERDICT_REDIS_PREFIX: `verdict-test-${randomUUID()}` });
}

async function rowsOf(app: TestApp, runId: string) {
  return app.runtime.services.store.db.selectFrom('test_results').select(['id', 'status', 'verdict', 'attempts', 'error']).where('run_id', '=', runId).orderBy('position').execute();
}

describe('a poisoned test on PostgreSQL and Redis', { skip }, () => {
  test('an output nested 6,000 deep blocks its test once: the other 400 pass, nothing is retried, the run completes', async () => {
    const app = await startDistributedApp(true);
    try {
      const fixture = await createFunctionWorkflow(app, DEEP_OR_DOUBLE);
      const specs = doubles(400);
      specs.splice(200, 0, { input: { depth: 6000 }, condition: { kind: 'exists' } });
      await createTests(app, fixture, specs);
      const run = await waitForRun(app, (await startRun(app, fixture.workflowId)).id, 60_000);
      assert.equal(run.lifecycle.status, 'completed');
      assert.deepEqual(run.counts.outcome, { passed: 400, failed: 0, blocked: 1 });
      assert.equal(countsViolation(run.counts, run.total_tests), null);
      const rows = await rowsOf(app, run.id);
      assert.ok(rows.every((row) => row.attempts === 1), 'no test was started twice');
      const poisoned = (await allResults(app, run.id))[200];
      assert.equal(poisoned.verdict, 'blocked');
      assert.match(poisoned.error.message, /nested more than 128 levels deep/);
    } finally {
      await app.close();
    }
  });

  describe('a row that keeps failing', () => {
    let api: TestApp;
    let worker: Runtime | null = null;
    before(async () => {
      api = await startDistributedApp(false);
    });
    after(async () => {
      await worker?.close();
      await api.close();
    });

    test(`a row already started ${MAX_ROW_ATTEMPTS} times is not run again: it gets an error verdict and the run completes`, async () => {
      const fixture = await createFunctionWorkflow(api, DEEP_OR_DOUBLE);
      await createTests(api, fixture, doubles(3));
      const run = await startRun(api, fixture.workflowId);
      const db = api.runtime.services.store.db;
      for (let waited = 0; (await rowsOf(api, run.id)).some((row) => row.status !== 'queued'); waited += 10) {
        if (waited > 10_000) assert.fail('the rows were never queued');
        await sleep(10);
      }
      // What a crash loop leaves: the row running, after as many starts as a row may have.
      const [crashing] = await rowsOf(api, run.id);
      await db.transaction().execute((trx) => startResults(trx, run.id, [crashing!.id], isoNow()));
      await db.updateTable('test_results').set({ attempts: MAX_ROW_ATTEMPTS }).where('id', '=', crashing!.id).execute();

      worker = await createRuntime({ ...api.config, worker: true });
      await worker.services.executor.start();
      const done = await waitForRun(api, run.id);
      assert.equal(done.lifecycle.status, 'completed');
      assert.equal(countsViolation(done.counts, done.total_tests), null);
      assert.equal(done.counts.lifecycle_counts.error, 1);
      assert.equal(done.counts.outcome.passed, 2);
      const [given, ...others] = await rowsOf(api, run.id);
      assert.equal(given!.status, 'error');
      assert.equal(given!.attempts, MAX_ROW_ATTEMPTS, 'it did not run again');
      assert.match(JSON.parse(given!.error!).message, new RegExp(`could not be executed after ${MAX_ROW_ATTEMPTS} attempts: each attempt ended without a result`));
      assert.deepEqual(others.map((row) => [row.status, row.attempts]), [['completed', 1], ['completed', 1]]);
    });
  });
});
