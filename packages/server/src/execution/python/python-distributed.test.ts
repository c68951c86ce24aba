import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { allResults, createFunctionWorkflow, createTests, startRun } from '../../testing/fixtures.js';
import { skipWithoutRedisAndPostgres, startTestApp, waitForRun, type TestApp } from '../../testing/harness.js';
import { spawnVerdict, type VerdictProcess } from '../../testing/processes.js';
import { CHECK_SCHEMA, childProcesses, INVOICE_SCHEMA, RETAB_EXAMPLE, RETAB_SPECS } from './test-support.js';

const REDIS_URL = process.env.VERDICT_TEST_REDIS_URL;

describe('`verdict worker` runs Python function tests', { skip: skipWithoutRedisAndPostgres() }, () => {
  let api: TestApp;
  let worker: VerdictProcess;
  before(async () => {
    const prefix = `verdict-test-${randomUUID()}`;
    api = await startTestApp('postgres', { redisUrl: REDIS_URL!, worker: false }, { VERDICT_REDIS_PREFIX: prefix });
    worker = spawnVerdict(['worker', '--concurrency', '8'], {
      ...process.env,
      VERDICT_DATABASE_URL: api.config.databaseUrl!,
      VERDICT_REDIS_URL: REDIS_URL!,
      VERDICT_REDIS_PREFIX: prefix,
      VERDICT_DATA_DIR: api.config.dataDir,
    });
    await worker.line(/Verdict worker executing/);
  });
  after(async () => {
    await worker.kill();
    await api.close();
  });

  test("Retab's example, queued by an API process, is executed by a worker process's zygote", async () => {
    const fixture = await createFunctionWorkflow(api, RETAB_EXAMPLE, { language: 'python', inputSchema: INVOICE_SCHEMA, outputSchema: CHECK_SCHEMA });
    await createTests(api, fixture, RETAB_SPECS);
    const run = await waitForRun(api, (await startRun(api, fixture.workflowId)).id, 60_000);
    assert.equal(run.lifecycle.status, 'completed');
    assert.deepEqual(run.counts.outcome, { passed: 9, failed: 1, blocked: 1 });
    const rows = await allResults(api, run.id);
    assert.equal(rows[0].outputs['output-json-0'].invoice_id, 'INV-0');
    // `verdict worker` supervises: the worker itself is its child process.
    const [workerProcess] = childProcesses(worker.child.pid!);
    assert.equal(childProcesses(workerProcess!, 'zygote.py').length, 1, 'the worker runs the zygote');
    assert.equal(childProcesses(process.pid, 'zygote.py').length, 0, 'the API-only process runs no Python');
  });
});
