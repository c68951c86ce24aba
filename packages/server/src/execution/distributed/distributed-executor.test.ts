import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { countsViolation, isoNow } from '@verdict/core';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { renderMetrics } from '../../routes/health.js';
import type { Runtime } from '../../services/create.js';
import { startResults } from '../../store/transitions/index.js';
import { allResults, createFunctionWorkflow, createTests, startRun, waitFor } from '../../testing/fixtures.js';
import { skipWithoutRedisAndPostgres, startTestApp, startWorkerRuntime, type TestApp, waitForRun } from '../../testing/harness.js';
import { FunctionBlockExecutor } from '../blocks/function.js';
import { SandboxPool } from '../sandbox/index.js';
import { TestRunner } from '../test-runner.js';
import { DistributedExecutor } from './distributed-executor.js';
import { configFromEnv } from '../../config.js';

const REDIS_URL = process.env.VERDICT_TEST_REDIS_URL;
const skip = skipWithoutRedisAndPostgres();

const DOUBLE = 'function transform(input) { return { doubled: input.n * 2 }; }';
const SPIN_FOREVER = 'function transform(input) { while (true) {} }';
const WORK_FOR_INPUT_MS = 'function transform(input) { const end = Date.now() + input.ms; while (Date.now() < end) {} return { doubled: input.n * 2 }; }';
const doubles = (count: number) => Array.from({ length: count }, (_, n) => ({ input: { n }, path: 'doubled', condition: { kind: 'equals', expected: n * 2 } }));

/** Each test file gets its own key prefix: suites running side by side on one Redis must not take each other's jobs. */
function isolatedEnv(extra: Record<string, string> = {}): Record<string, string> {
  return { VERDICT_REDIS_PREFIX: `verdict-test-${randomUUID()}`, ...extra };
}

function startDistributedApp(overrides: { worker: boolean }, env = isolatedEnv()): Promise<TestApp> {
  return startTestApp('postgres', { redisUrl: REDIS_URL!, sandboxThreads: 2, concurrency: 8, ...overrides }, env);
}

async function rowsOf(app: TestApp, runId: string) {
  return app.runtime.services.store.db.selectFrom('test_results').select(['id', 'status', 'verdict', 'attempts', 'started_at']).where('run_id', '=', runId).orderBy('position').execute();
}

describe('distributed executor on PostgreSQL and Redis', { skip }, () => {
  describe('API and worker in one process', () => {
    let app: TestApp;
    before(async () => {
      app = await startDistributedApp({ worker: true });
    });
    after(() => app.close());

    test('a run goes through the queue: every test passes once, readiness and metrics report it', async () => {
      const fixture = await createFunctionWorkflow(app, DOUBLE);
      await createTests(app, fixture, doubles(40));
      const run = await waitForRun(app, (await startRun(app, fixture.workflowId)).id);
      assert.equal(run.lifecycle.status, 'completed');
      assert.equal(run.counts.outcome.passed, 40);
      assert.equal(countsViolation(run.counts, run.total_tests), null);
      const rows = await rowsOf(app, run.id);
      assert.ok(rows.every((row) => row.status === 'completed' && row.verdict === 'passed' && row.attempts === 1));

      const ready = await app.request('GET', '/readyz', undefined, { 'api-key': '' });
      assert.equal(ready.status, 200);
      assert.deepEqual(ready.body.checks, { store: { ok: true }, redis: { ok: true } });

      const metrics = await waitFor('the execution histogram to be flushed', async () => {
        const text = await renderMetrics(app.runtime.services);
        return /^verdict_test_execution_seconds_count 40$/m.test(text) && text;
      });
      assert.match(metrics, /^verdict_tests_executed_total\{verdict="passed"\} 40$/m);
      assert.match(metrics, /^verdict_test_runs\{status="completed"\} 1$/m);
      assert.match(metrics, /^verdict_queue_depth\{queue="tests",state="waiting"\} 0$/m);
    });

    test('a cancel stops busy-looping tests in the worker at once and frees their slots for the next run', async () => {
      const spinning = await createFunctionWorkflow(app, SPIN_FOREVER);
      await createTests(app, spinning, doubles(4));
      const run = await startRun(app, spinning.workflowId);
      await waitFor('two tests spinning', async () => (await rowsOf(app, run.id)).filter((row) => row.status === 'running').length >= 2);

      const cancel = await app.request('POST', `/v1/workflows/tests/runs/${run.id}/cancel`, {});
      assert.equal(cancel.status, 200);
      const cancelledAt = Date.now();
      await waitFor('the worker to let go of the cancelled tests', async () => app.runtime.services.executor.stats().inFlight === 0, 2000);
      assert.ok(Date.now() - cancelledAt < 500, `tests stopped ${Date.now() - cancelledAt} ms after the cancel`);
      assert.ok((await rowsOf(app, run.id)).every((row) => row.status === 'cancelled'));

      const quick = await createFunctionWorkflow(app, DOUBLE);
      await createTests(app, quick, doubles(10));
      const next = await waitForRun(app, (await startRun(app, quick.workflowId)).id, 5000);
      assert.equal(next.counts.outcome.passed, 10);

      const metrics = await waitFor('the cancel latencies to be flushed', async () => {
        const text = await renderMetrics(app.runtime.services);
        // The two histograms reach Redis in their own flushes: wait for both.
        return /^verdict_cancel_stop_seconds_count 4$/m.test(text) && /^verdict_cancel_latency_seconds_count 4$/m.test(text) && text;
      });
      const meanMs = (name: string) => (Number(new RegExp(`^${name}_sum (\\S+)$`, 'm').exec(metrics)![1]) / 4) * 1000;
      assert.match(metrics, /^verdict_cancel_latency_seconds_count 4$/m);
      assert.ok(meanMs('verdict_cancel_latency_seconds') < 100, `the abort reached the tests ${meanMs('verdict_cancel_latency_seconds')} ms after the cancel`);
      assert.ok(meanMs('verdict_cancel_stop_seconds') < 500, `the tests stopped ${meanMs('verdict_cancel_stop_seconds')} ms after the cancel`);
    });
  });

  describe('API-only process, workers elsewhere', () => {
    let api: TestApp;
    const workers: Runtime[] = [];
    before(async () => {
      api = await startDistributedApp({ worker: false }, isolatedEnv({ VERDICT_MODEL_RATE_LIMIT: '4', VERDICT_WORKER_DRAIN_MS: '1500' }));
    });
    after(async () => {
      for (const worker of workers) await worker.close();
      await api.close();
    });

    async function startWorker(): Promise<Runtime> {
      const runtime = await startWorkerRuntime(api);
      workers.push(runtime);
      return runtime;
    }

    async function queuedRun(count: number) {
      const fixture = await createFunctionWorkflow(api, DOUBLE);
      await createTests(api, fixture, doubles(count));
      const run = await startRun(api, fixture.workflowId);
      await waitFor('the rows to be queued', async () => (await rowsOf(api, run.id)).every((row) => row.status === 'queued'));
      return run;
    }

    test('rows left running by a worker that died are taken over: one result each, the attempt counted', async () => {
      const run = await queuedRun(6);
      const orphaned = (await rowsOf(api, run.id)).slice(0, 3).map((row) => row.id);
      await api.runtime.services.store.db.transaction().execute((trx) => startResults(trx, run.id, orphaned, isoNow()));

      await startWorker();
      const done = await waitForRun(api, run.id);
      assert.equal(done.counts.outcome.passed, 6);
      assert.equal(countsViolation(done.counts, done.total_tests), null);
      const rows = await rowsOf(api, run.id);
      assert.deepEqual(rows.map((row) => [row.status, row.verdict, row.attempts]), [
        ...orphaned.map(() => ['completed', 'passed', 2]),
        ['completed', 'passed', 1],
        ['completed', 'passed', 1],
        ['completed', 'passed', 1],
      ]);
    });

    test('model-backed tests start no faster than VERDICT_MODEL_RATE_LIMIT, across workers', async () => {
      const fixture = await createFunctionWorkflow(api, DOUBLE);
      const judged = Array.from({ length: 8 }, (_, n) => ({ input: { n }, path: 'doubled', condition: { kind: 'llm_judged_as', rubric: 'an even number' } }));
      await createTests(api, fixture, judged);
      while (workers.length < 2) await startWorker();
      const run = await waitForRun(api, (await startRun(api, fixture.workflowId)).id);
      assert.equal(run.counts.lifecycle_counts.completed, 8);
      const starts = (await rowsOf(api, run.id)).map((row) => Date.parse(row.started_at!)).sort((a, b) => a - b);
      // 4 per second: the fifth start waits for the next one-second window.
      assert.ok(starts[7]! - starts[0]! >= 900, `8 starts spread over ${starts[7]! - starts[0]!} ms`);
      assert.ok(starts[3]! - starts[0]! < 900, 'the first window is used at once');
    });

    test('a stopping worker finishes what ends within the drain timeout and hands the rest back to another worker', async () => {
      for (const worker of workers.splice(0)) await worker.close();
      const fixture = await createFunctionWorkflow(api, WORK_FOR_INPUT_MS);
      // A drain of 1.5 s: the 100 ms test ends within it even on a loaded machine, the 6 s one cannot.
      await createTests(api, fixture, [100, 6000].map((ms) => ({ input: { n: ms, ms }, path: 'doubled', condition: { kind: 'equals', expected: ms * 2 } })));
      const first = await startWorker();
      const run = await startRun(api, fixture.workflowId);
      // Both have started (on a loaded machine the fast one can start after the slow one).
      await waitFor('the slow test to run', async () => {
        const [fast, slow] = await rowsOf(api, run.id);
        return fast!.status !== 'queued' && slow!.status === 'running';
      });

      const stoppingSince = Date.now();
      await first.close();
      workers.splice(workers.indexOf(first), 1);
      assert.ok(Date.now() - stoppingSince < 3500, `the worker took ${Date.now() - stoppingSince} ms to stop: it waited for the slow test`);
      assert.deepEqual((await rowsOf(api, run.id)).map((row) => [row.status, row.attempts]), [['completed', 1], ['running', 1]]);

      await startWorker();
      const done = await waitForRun(api, run.id);
      assert.equal(done.counts.outcome.passed, 2);
      assert.deepEqual((await rowsOf(api, run.id)).map((row) => [row.status, row.attempts]), [['completed', 1], ['completed', 2]]);
    });
  });

  describe('work nobody looks after is picked up by the workers\' sweep', () => {
    const env = isolatedEnv();
    const options = { redisUrl: REDIS_URL!, ...configFromEnv(env).distributed };
    let api: TestApp;
    let sandbox: SandboxPool;
    let worker: DistributedExecutor;
    let connection: Redis;
    let queue: Queue;
    before(async () => {
      api = await startDistributedApp({ worker: false }, env);
      const { store, files } = api.runtime.services;
      sandbox = new SandboxPool({ size: 1, memoryLimitMb: 64 });
      const runner = new TestRunner(store, [new FunctionBlockExecutor(sandbox)], files, null, sandbox);
      worker = new DistributedExecutor(store, options, { runner, concurrency: 4 }, { sweepIntervalMs: 100, stallAfterMs: 300 });
      connection = new Redis(REDIS_URL!, { maxRetriesPerRequest: null });
      queue = new Queue('tests', { connection, prefix: options.prefix });
    });
    after(async () => {
      await worker.stop();
      await sandbox.close();
      await queue.close();
      await connection.quit();
      await api.close();
    });

    test('jobs that went missing from Redis are queued again once the run stops moving', async () => {
      const fixture = await createFunctionWorkflow(api, DOUBLE);
      await createTests(api, fixture, doubles(5));
      const run = await startRun(api, fixture.workflowId);
      await waitFor('the rows to be queued', async () => (await rowsOf(api, run.id)).every((row) => row.status === 'queued'));
      await queue.drain();
      assert.equal(await queue.count(), 0);

      await worker.start();
      const done = await waitForRun(api, run.id);
      assert.equal(done.counts.outcome.passed, 5);
      assert.deepEqual((await allResults(api, run.id)).map((row) => row.verdict), ['passed', 'passed', 'passed', 'passed', 'passed']);
    });

    test('a run whose API process stopped before paging it is paged by a worker', async () => {
      const fixture = await createFunctionWorkflow(api, DOUBLE);
      await createTests(api, fixture, doubles(5));
      await api.runtime.services.executor.stop();
      const run = await startRun(api, fixture.workflowId);
      assert.equal(run.lifecycle.status, 'pending');

      const done = await waitForRun(api, run.id);
      assert.equal(done.counts.outcome.passed, 5);
    });
  });
});
