import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { countsViolation } from '@verdict/core';
import { Queue, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import pg from 'pg';
import type { Runtime } from '../../services/create.js';
import { createFunctionWorkflow, createTests, sleep, startRun, waitFor } from '../../testing/fixtures.js';
import { skipWithoutRedisAndPostgres, startTestApp, startWorkerRuntime, type TestApp, waitForRun } from '../../testing/harness.js';
import { jsonClient, spawnVerdict, startApiOnlyProcess, type ApiOnlyDeployment, type VerdictProcess } from '../../testing/processes.js';
import { TestQueues, type QueuedRow, type TestJobData } from './queues.js';

const REDIS_URL = process.env.VERDICT_TEST_REDIS_URL;
const skip = skipWithoutRedisAndPostgres();

const DOUBLE = 'function transform(input) { return { doubled: input.n * 2 }; }';
const WORK_FOR_INPUT_MS = 'function transform(input) { const end = Date.now() + input.ms; while (Date.now() < end) {} return { doubled: input.n * 2 }; }';
const tests = (count: number, ms = 0) => Array.from({ length: count }, (_, n) => ({ input: { n, ms }, path: 'doubled', condition: { kind: 'equals', expected: n * 2 } }));

interface RowState {
  id: string;
  status: string;
  verdict: string | null;
  attempts: number;
  started_at: string | null;
  completed_at: string | null;
}

const ROW_COLUMNS = ['id', 'status', 'verdict', 'attempts', 'started_at', 'completed_at'] as const;

function rowsOf(app: TestApp, runId: string): Promise<RowState[]> {
  return app.runtime.services.store.db.selectFrom('test_results').select(ROW_COLUMNS).where('run_id', '=', runId).orderBy('position').execute();
}

const rowsOfJob = (job: Job<TestJobData>) => job.data.resultIds ?? [job.data.resultId];

/**
 * A job of the run being executed with some of its rows finished and some not: the moment a
 * worker is in the middle of a batch.
 */
async function batchInFlight(queue: Queue<TestJobData>, runId: string, rows: () => Promise<RowState[]>): Promise<string[]> {
  return waitFor(
    'a batch with finished and unfinished rows',
    async () => {
      const byId = new Map((await rows()).map((row) => [row.id, row]));
      for (const job of await queue.getActive()) {
        const ids = rowsOfJob(job);
        if (job.data.runId !== runId || ids.length < 2) continue;
        const statuses = ids.map((id) => byId.get(id)?.status);
        if (statuses.includes('completed') && statuses.some((status) => status === 'queued' || status === 'running')) return ids;
      }
      return null;
    },
    20_000,
  );
}

describe('function tests reach the workers in batches (PostgreSQL and Redis)', { skip }, () => {
  describe('in process', () => {
    let api: TestApp;
    let worker: Runtime | null = null;
    let connection: Redis;
    let queue: Queue<TestJobData>;
    before(async () => {
      // Two slots per worker: a run of 100 tests is cut into batches of 25.
      api = await startTestApp('postgres', { redisUrl: REDIS_URL!, worker: false, sandboxThreads: 2, concurrency: 2 }, { VERDICT_REDIS_PREFIX: `verdict-test-${randomUUID()}` });
      connection = new Redis(REDIS_URL!, { maxRetriesPerRequest: null });
      queue = new Queue<TestJobData>('tests', { connection, prefix: api.config.distributed.prefix });
    });
    after(async () => {
      await worker?.close();
      await queue.close();
      await connection.quit();
      await api.close();
    });

    test('a run of 100 tests is queued as 4 jobs of 25 consecutive rows, and each test is recorded once', async () => {
      const fixture = await createFunctionWorkflow(api, DOUBLE);
      await createTests(api, fixture, tests(100));
      const run = await startRun(api, fixture.workflowId);
      const jobs = await waitFor('the run to be queued', async () => {
        const waiting = await queue.getPrioritized(0, -1);
        return waiting.reduce((sum, job) => sum + rowsOfJob(job).length, 0) === 100 && waiting;
      });
      const ids = (await rowsOf(api, run.id)).map((row) => row.id);
      const batches = jobs.map(rowsOfJob).sort((a, b) => ids.indexOf(a[0]!) - ids.indexOf(b[0]!));
      assert.deepEqual(
        batches.map((batch) => batch.length),
        [25, 25, 25, 25],
      );
      assert.deepEqual(batches.flat(), ids, 'each batch is a stretch of the run, in run order');
      assert.ok(jobs.every((job) => job.id === job.data.resultId && job.data.resultId === rowsOfJob(job)[0]), 'a batch is named after its first row');

      worker = await startWorkerRuntime(api);
      const done = await waitForRun(api, run.id);
      assert.equal(done.counts.outcome.passed, 100);
      assert.equal(countsViolation(done.counts, done.total_tests), null);
      assert.ok((await rowsOf(api, run.id)).every((row) => row.status === 'completed' && row.verdict === 'passed' && row.attempts === 1));
    });

    test('the sweep finds a row in the batch that carries it: only rows no job carries are queued again', async () => {
      const queues = new TestQueues(connection, `verdict-test-${randomUUID()}`);
      try {
        const row = (resultId: string, resultIds?: string[]): QueuedRow => ({ runId: 'run_1', resultId, ...(resultIds ? { resultIds } : {}), queue: 'tests', organizationId: 'org_1', priority: 1 });
        // The batch is named after its first row, which has finished: the sweep asks for the others.
        await queues.add([row('row_a', ['row_a', 'row_b', 'row_c']), row('row_e')]);
        const missing = await queues.unjobbed(['row_b', 'row_c', 'row_d', 'row_e'].map((id) => row(id)));
        assert.deepEqual(
          missing.map((entry) => entry.resultId),
          ['row_d'],
        );
      } finally {
        await queues.close();
      }
    });

    test('a cancel stops a batch in flight: its test running is aborted, its tests not started are cancelled and never run', async () => {
      worker ??= await startWorkerRuntime(api);
      const fixture = await createFunctionWorkflow(api, WORK_FOR_INPUT_MS);
      await createTests(api, fixture, tests(100, 40));
      const run = await startRun(api, fixture.workflowId);
      const batch = await batchInFlight(queue, run.id, () => rowsOf(api, run.id));

      const cancel = await api.request('POST', `/v1/workflows/tests/runs/${run.id}/cancel`, {});
      assert.equal(cancel.status, 200);
      const cancelledAt = Date.now();
      await waitFor('the worker to let go of the batch', async () => worker!.services.executor.stats().inFlight === 0, 2000);
      assert.ok(Date.now() - cancelledAt < 1000, `the batch stopped ${Date.now() - cancelledAt} ms after the cancel`);

      const atCancel = await rowsOf(api, run.id);
      await sleep(500);
      const later = await rowsOf(api, run.id);
      assert.deepEqual(later, atCancel, 'nothing was written after the cancel');
      const ofBatch = later.filter((row) => batch.includes(row.id));
      const unstarted = ofBatch.filter((row) => row.started_at === null);
      assert.ok(unstarted.length > 0, 'the batch had tests not started yet');
      assert.ok(
        unstarted.every((row) => row.status === 'cancelled' && row.attempts === 0),
        'they are cancelled, not run',
      );
      assert.ok(ofBatch.every((row) => row.status === 'completed' || row.status === 'cancelled'));
      await waitFor('no job of the run to be held', async () => (await queue.getActive()).length === 0, 2000);

      const next = await createFunctionWorkflow(api, DOUBLE);
      await createTests(api, next, tests(10));
      const nextRun = await waitForRun(api, (await startRun(api, next.workflowId)).id, 10_000);
      assert.equal(nextRun.counts.outcome.passed, 10);
    });
  });

  describe('worker processes, one killed with SIGKILL in the middle of a batch', () => {
    const API_KEY = 'vk_batches_test_0123456789abcdef';
    let deployment: ApiOnlyDeployment;
    const workers: VerdictProcess[] = [];
    let connection: Redis;
    let queue: Queue<TestJobData>;
    let database: pg.Client;
    before(async () => {
      // Two slots per worker as the API process sizes batches: 120 tests go in batches of 30.
      deployment = await startApiOnlyProcess('batches', API_KEY, REDIS_URL!, { VERDICT_CONCURRENCY: '2' });
      connection = new Redis(REDIS_URL!, { maxRetriesPerRequest: null });
      queue = new Queue<TestJobData>('tests', { connection, prefix: deployment.env.VERDICT_REDIS_PREFIX! });
      database = new pg.Client({ connectionString: deployment.env.VERDICT_DATABASE_URL });
      await database.connect();
    });
    after(async () => {
      await Promise.all(workers.map((worker) => worker.kill()));
      await database?.end();
      await queue?.close();
      await connection?.quit();
      await deployment?.close();
    });

    async function startWorker(): Promise<void> {
      const worker = spawnVerdict(['worker'], deployment.env);
      workers.push(worker);
      await worker.line(/Verdict worker executing/);
    }

    const rowsOfRun = async (runId: string): Promise<RowState[]> =>
      (await database.query(`SELECT ${ROW_COLUMNS.join(', ')} FROM test_results WHERE run_id = $1 ORDER BY position`, [runId])).rows;

    test('every test of the batch still gets exactly one result; those recorded before the kill are kept as they were', async () => {
      const call = jsonClient(deployment.baseUrl, API_KEY);
      const workflow = await call('POST', '/v1/workflows', { name: 'batches' });
      const block = await call('POST', '/v1/workflows/blocks', {
        workflow_id: workflow.id,
        type: 'function',
        config: { language: 'javascript', code: WORK_FOR_INPUT_MS, output_schema: {}, timeout_seconds: 60 },
      });
      for (const { input, path, condition } of tests(120, 40)) {
        await call('POST', '/v1/workflows/tests', {
          workflow_id: workflow.id,
          target: { type: 'block', block_id: block.id },
          source: { type: 'manual', handle_inputs: { 'input-json-0': { type: 'json', data: input } } },
          assertion: { target: { output_handle_id: 'output-json-0', path }, condition },
        });
      }
      await startWorker();
      const { id: runId } = await call('POST', '/v1/workflows/tests/runs', { workflow_id: workflow.id });
      const batch = await batchInFlight(queue, runId, () => rowsOfRun(runId));
      await workers[0]!.kill();
      const atKill = new Map((await rowsOfRun(runId)).map((row) => [row.id, row]));
      const finishedBefore = batch.filter((id) => atKill.get(id)!.status === 'completed');
      const leftOver = batch.filter((id) => atKill.get(id)!.status !== 'completed');
      assert.ok(finishedBefore.length > 0 && leftOver.length > 0, 'the worker died in the middle of the batch');

      await startWorker();
      for (const deadline = Date.now() + 60_000; ; await sleep(50)) {
        const run = await call('GET', `/v1/workflows/tests/runs/${runId}`);
        if (run.lifecycle.status !== 'running' && run.lifecycle.status !== 'queued') {
          assert.equal(run.lifecycle.status, 'completed');
          assert.equal(run.counts.outcome.passed, 120);
          assert.equal(countsViolation(run.counts, run.total_tests), null);
          break;
        }
        assert.ok(Date.now() < deadline, `the run is still ${run.lifecycle.status}: ${JSON.stringify(run.counts)}`);
      }
      const rows = new Map((await rowsOfRun(runId)).map((row) => [row.id, row]));
      assert.ok([...rows.values()].every((row) => row.status === 'completed' && row.verdict === 'passed'));
      for (const id of finishedBefore) assert.deepEqual(rows.get(id), atKill.get(id), 'a result recorded before the kill is not recorded again');
      for (const id of leftOver) {
        const { attempts } = rows.get(id)!;
        assert.equal(attempts, atKill.get(id)!.status === 'running' ? 2 : 1, 'a test left running is taken over, one not started runs once');
      }
    });
  });
});
