import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { createFunctionWorkflow, createTests, otherOrganizationKey, sleep, startRun } from '../../testing/fixtures.js';
import { skipWithoutRedisAndPostgres, startTestApp, type TestApp, waitForRun } from '../../testing/harness.js';

const REDIS_URL = process.env.VERDICT_TEST_REDIS_URL;
const skip = skipWithoutRedisAndPostgres();

const DOUBLE = 'function transform(input) { return { value: input.n * 2 }; }';
const SPIN_FOREVER = 'function transform(input) { while (true) {} }';
/** Each of A's tests spins this long (its block's timeout); B's run must end well within it. */
const SPIN_SECONDS = 5;
const PROMPT_MS = 3000;
const spinningTests = (count: number) => Array.from({ length: count }, (_, n) => ({ input: { n }, path: 'value', condition: { kind: 'equals', expected: n } }));

/** The same server, as another organization sees it. */
function asOrganization(app: TestApp, apiKey: string): TestApp {
  return { ...app, apiKey, request: (method, url, body, headers = {}) => app.request(method, url, body, { 'api-key': apiKey, ...headers }) };
}

describe('distributed executor shares the queue and the workers among organizations', { skip }, () => {
  const prefix = `verdict-test-${randomUUID()}`;
  let app: TestApp;
  let connection: Redis;
  let queue: Queue;
  before(async () => {
    app = await startTestApp('postgres', { redisUrl: REDIS_URL!, worker: true, sandboxThreads: 2, concurrency: 8 }, { VERDICT_REDIS_PREFIX: prefix });
    connection = new Redis(REDIS_URL!, { maxRetriesPerRequest: null });
    queue = new Queue('tests', { connection, prefix });
  });
  after(async () => {
    await queue.close();
    await connection.quit();
    await app.close();
  });

  test('a job\'s place in line is its depth in its own organization\'s backlog: a newcomer goes ahead of a backlog', async () => {
    // No worker takes jobs from this prefix: the queue shows the order in which they would leave.
    const apiOnly = await startTestApp('postgres', { redisUrl: REDIS_URL!, worker: false }, { VERDICT_REDIS_PREFIX: `verdict-test-${randomUUID()}` });
    const waiting = new Queue('tests', { connection, prefix: apiOnly.config.distributed.prefix });
    try {
      const a = await createFunctionWorkflow(apiOnly, DOUBLE);
      await createTests(apiOnly, a, spinningTests(20));
      const b = asOrganization(apiOnly, await otherOrganizationKey(apiOnly, 'org-b-line'));
      const quick = await createFunctionWorkflow(b, DOUBLE);
      await createTests(b, quick, [{ input: { n: 1 }, path: 'value', condition: { kind: 'equals', expected: 2 } }]);

      const firstOfA = await startRun(apiOnly, a.workflowId);
      // Function tests are queued in batches (a job per few rows): the line is counted in rows.
      const inLine = async (rows: number) => {
        for (const deadline = Date.now() + 10_000; Date.now() < deadline; await sleep(20)) {
          const jobs = (await waiting.getPrioritized(0, -1)).map((job) => ({ runId: job.data.runId, rows: job.data.resultIds?.length ?? 1 }));
          if (jobs.reduce((sum, job) => sum + job.rows, 0) >= rows) return jobs;
        }
        throw new Error(`fewer than ${rows} rows were queued`);
      };
      await inLine(20);
      const secondOfA = await startRun(apiOnly, a.workflowId);
      await inLine(40);
      const ofB = await startRun(b, quick.workflowId);
      const line = await inLine(41);

      const placeOfB = line.findIndex((job) => job.runId === ofB.id);
      assert.ok(placeOfB <= 1, `B's job is ${placeOfB + 1}th in line, behind at most A's first`);
      const rowsOfA = line.filter((job) => job.runId !== ofB.id).flatMap((job) => Array<string>(job.rows).fill(job.runId));
      assert.deepEqual(rowsOfA, [...Array<string>(20).fill(firstOfA.id), ...Array<string>(20).fill(secondOfA.id)], 'A\'s second run waits behind its first');
    } finally {
      await waiting.close();
      await apiOnly.close();
    }
  });

  test('organization A\'s infinite loops fill the worker and the queue; B\'s one-test run still completes within seconds', async () => {
    const spinning = await createFunctionWorkflow(app, SPIN_FOREVER, { timeoutSeconds: SPIN_SECONDS });
    await createTests(app, spinning, spinningTests(10));
    const runsOfA = [];
    for (let run = 0; run < 3; run++) runsOfA.push(await startRun(app, spinning.workflowId));
    const inFlight = () => app.runtime.services.executor.stats().inFlight;
    for (const deadline = Date.now() + 10_000; inFlight() < 8 && Date.now() < deadline; ) await sleep(20);
    assert.equal(inFlight(), 8, 'A\'s jobs hold every slot of the worker');

    const b = asOrganization(app, await otherOrganizationKey(app, 'org-b'));
    const quick = await createFunctionWorkflow(b, DOUBLE);
    await createTests(b, quick, [{ input: { n: 21 }, path: 'value', condition: { kind: 'equals', expected: 42 } }]);
    const startedAt = Date.now();
    const run = await waitForRun(b, (await startRun(b, quick.workflowId)).id, 30_000);
    const tookMs = Date.now() - startedAt;
    try {
      assert.equal(run.lifecycle.status, 'completed');
      assert.equal(run.counts.outcome.passed, 1);
      assert.ok(tookMs < PROMPT_MS, `B's run took ${tookMs} ms while A's tests spin ${SPIN_SECONDS} s each`);
    } finally {
      for (const { id } of runsOfA) await app.request('POST', `/v1/workflows/tests/runs/${id}/cancel`, {});
    }
  });
});
