import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, before, describe, test } from 'node:test';
import { countsViolation } from '@verdict/core';
import pg from 'pg';
import { sleep } from '../../testing/fixtures.js';
import { skipWithoutRedisAndPostgres } from '../../testing/harness.js';
import { doublingSuite, jsonClient, spawnVerdict, startApiOnlyProcess, type ApiOnlyDeployment, type VerdictProcess } from '../../testing/processes.js';

const REDIS_URL = process.env.VERDICT_TEST_REDIS_URL;
const skip = skipWithoutRedisAndPostgres();

const API_KEY = 'vk_scale_test_0123456789abcdef';
const WORK_25MS = 'function transform(input) { const end = Date.now() + 25; while (Date.now() < end) {} return { doubled: input.n * 2 }; }';
const DOUBLE = 'function transform(input) { return { doubled: input.n * 2 }; }';
const SPIN_FOREVER = 'function transform(input) { while (true) {} }';

async function withClient<T>(connectionString: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

describe('scale-out: one API process and two worker processes on PostgreSQL and Redis', { skip }, () => {
  let deployment: ApiOnlyDeployment;
  let env: NodeJS.ProcessEnv;
  let baseUrl: string;
  let workers: VerdictProcess[];

  const call = (method: string, path: string, body?: unknown) => jsonClient(baseUrl, API_KEY)(method, path, body);

  async function runUntil(runId: string, done: (run: any) => boolean, timeoutMs: number): Promise<any> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const run = await call('GET', `/v1/workflows/tests/runs/${runId}`);
      if (done(run)) return run;
      if (Date.now() > deadline) throw new Error(`run ${runId} is ${run.lifecycle.status} with ${JSON.stringify(run.counts)} after ${timeoutMs} ms`);
      await sleep(20);
    }
  }

  const finished = (run: any) => ['completed', 'error', 'cancelled'].includes(run.lifecycle.status);

  before(async () => {
    deployment = await startApiOnlyProcess('scale', API_KEY, REDIS_URL!);
    ({ env, baseUrl } = deployment);
    workers = [spawnVerdict(['worker', '--concurrency', '8'], env), spawnVerdict(['worker', '--concurrency', '8'], env)];
    await Promise.all(workers.map((worker) => worker.line(/Verdict worker executing/)));
  });

  after(async () => {
    await Promise.all(workers.map((worker) => worker.kill()));
    await deployment.close();
  });

  test('a worker killed with SIGKILL mid-run: the 300-test run still passes every test exactly once', async () => {
    const workflowId = await doublingSuite(call, WORK_25MS, 300);
    const { id: runId } = await call('POST', '/v1/workflows/tests/runs', { workflow_id: workflowId });
    await runUntil(runId, (run) => run.counts.lifecycle_counts.completed >= 60, 30_000);
    workers[0]!.child.kill('SIGKILL');

    const run = await runUntil(runId, finished, 60_000);
    assert.equal(run.lifecycle.status, 'completed');
    assert.equal(run.counts.outcome.passed, 300);
    assert.equal(countsViolation(run.counts, run.total_tests), null);

    const rows = await withClient(env.VERDICT_DATABASE_URL!, async (client) => {
      return (await client.query('SELECT test_id, status, verdict, attempts FROM test_results WHERE run_id = $1', [runId])).rows;
    });
    assert.equal(rows.length, 300);
    assert.equal(new Set(rows.map((row) => row.test_id)).size, 300, 'one result row per test');
    assert.ok(rows.every((row) => row.status === 'completed' && row.verdict === 'passed'));
    assert.ok(rows.some((row) => row.attempts > 1), 'tests held by the killed worker ran again');
  });

  test('busy-looping tests are cancelled through the API process, and the next run completes within 5 s', async () => {
    const spinning = await doublingSuite(call, SPIN_FOREVER, 4);
    const quick = await doublingSuite(call, DOUBLE, 20);
    const { id: spinId } = await call('POST', '/v1/workflows/tests/runs', { workflow_id: spinning });
    await runUntil(spinId, (run) => run.counts.lifecycle_counts.running >= 2, 10_000);

    const cancelled = await call('POST', `/v1/workflows/tests/runs/${spinId}/cancel`, { reason: 'spinning' });
    assert.deepEqual(cancelled.lifecycle, { status: 'cancelled', reason: 'spinning' });
    const startedAt = Date.now();
    const { id: nextId } = await call('POST', '/v1/workflows/tests/runs', { workflow_id: quick });
    const next = await runUntil(nextId, finished, 5000);
    assert.equal(next.lifecycle.status, 'completed');
    assert.equal(next.counts.outcome.passed, 20);
    assert.ok(Date.now() - startedAt < 5000);
    assert.equal((await call('GET', `/v1/workflows/tests/runs/${spinId}`)).counts.lifecycle_counts.cancelled, 4);
  });

  test('SIGTERM drains the remaining worker and it exits cleanly', async () => {
    const { child } = workers[1]!;
    child.kill('SIGTERM');
    const [code] = await once(child, 'exit');
    assert.equal(code, 0);
  });
});
