import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import type { Runtime } from '../../services/create.js';
import { asOrganization, createFunctionWorkflow, createTests, otherOrganizationKey, sleep, startRun, waitFor } from '../../testing/fixtures.js';
import { skipWithoutRedisAndPostgres, startTestApp, startWorkerRuntime, type TestApp, waitForRun } from '../../testing/harness.js';
import { jsonClient, spawnVerdict, startApiOnlyProcess, type ApiOnlyDeployment, type VerdictProcess } from '../../testing/processes.js';
import { createWorkflowGraph, functionConfig, waitForWorkflowRun } from '../../testing/workflow-graphs.js';

const REDIS_URL = process.env.VERDICT_TEST_REDIS_URL;
const skip = skipWithoutRedisAndPostgres();

const DOUBLE = 'function transform(input) { return { doubled: (input.n ?? 1) * 2 }; }';
const SPIN_FOREVER = 'function transform(input) { while (true) {} }';
const STAMP = 'function transform(input) { return { stamped: Date.now() }; }';
/** Each of A's workflow runs spins this long (its block's timeout); B's test run must end well within it. */
const SPIN_SECONDS = 20;
const PROMPT_MS = 8000;
const SLOW_ECHO = 'function transform(input) { const end = Date.now() + 1500; while (Date.now() < end) {} return { seen: input.stamped }; }';

/**
 * Workflow runs in a distributed deployment: the API process that answers the create executes
 * nothing (it has no sandbox); the run's job is driven on a worker, cancelled through the same
 * broadcast as test runs, and resumed by another worker when its worker is killed.
 */
describe('workflow runs on the distributed executor (PostgreSQL and Redis)', { skip }, () => {
  describe('API-only process, worker runtime beside it', () => {
    let api: TestApp;
    let worker: Runtime;
    before(async () => {
      api = await startTestApp('postgres', { redisUrl: REDIS_URL!, sandboxThreads: 2, concurrency: 8, worker: false }, { VERDICT_REDIS_PREFIX: `verdict-test-${randomUUID()}` });
      worker = await startWorkerRuntime(api);
    });
    after(async () => {
      await worker.close();
      await api.close();
    });

    const stepsOf = async (runId: string) => (await api.request('GET', `/v1/workflows/steps?run_id=${runId}&order=asc&limit=100`)).body.data as any[];

    test('a run created on the API-only process completes on the worker, each step recorded once', async () => {
      const { workflowId, ids } = await createWorkflowGraph(
        api,
        [
          { key: 'start', type: 'start_json' },
          { key: 'double', type: 'function', config: functionConfig(DOUBLE) },
          { key: 'again', type: 'function', config: functionConfig('function transform(input) { return { quadrupled: input.doubled * 2 }; }') },
        ],
        [
          { from: 'start', to: 'double' },
          { from: 'double', to: 'again' },
        ],
      );
      const created = await api.request('POST', '/v1/workflows/runs', { workflow_id: workflowId, json_inputs: { [ids.start!]: { n: 21 } } });
      assert.equal(created.status, 202, JSON.stringify(created.body));
      const run = await waitForWorkflowRun(api, created.body.id);
      assert.equal(run.lifecycle.status, 'completed', JSON.stringify(run.lifecycle));
      const steps = await stepsOf(run.id);
      assert.deepEqual(steps.map((step) => step.block_id).sort(), [ids.start, ids.double, ids.again].sort(), 'each step once');
      assert.ok(steps.every((step) => step.lifecycle.status === 'completed'));
      assert.deepEqual(steps.find((step) => step.block_id === ids.again).handle_outputs['output-json-0'].data, { quadrupled: 84 });
      const [row] = await api.runtime.services.store.db.selectFrom('workflow_runs').select('attempts').where('id', '=', run.id).execute();
      assert.equal(row!.attempts, 1);
    });

    test('a cancel from the API stops the steps executing on the worker at once, and nothing of the run is written after its answer', async () => {
      const { workflowId, ids } = await createWorkflowGraph(
        api,
        [
          { key: 'start', type: 'start_json' },
          { key: 'first', type: 'function', config: functionConfig(DOUBLE) },
          { key: 'spinA', type: 'function', config: functionConfig(SPIN_FOREVER) },
          { key: 'spinB', type: 'function', config: functionConfig(SPIN_FOREVER) },
        ],
        [
          { from: 'start', to: 'first' },
          { from: 'first', to: 'spinA' },
          { from: 'first', to: 'spinB' },
        ],
      );
      const created = await api.request('POST', '/v1/workflows/runs', { workflow_id: workflowId, json_inputs: { [ids.start!]: { n: 1 } } });
      const runId = created.body.id as string;
      await waitFor('the first function step on the worker', async () => (await stepsOf(runId)).some((step) => step.block_id === ids.first), 15_000);
      // Both spinning steps now hold the worker's two sandbox threads.
      await waitFor('the worker to drive the run', async () => worker.services.executor.stats().inFlight === 1);
      await sleep(200);

      const cancel = await api.request('POST', `/v1/workflows/runs/${runId}/cancel`, {});
      assert.equal(cancel.status, 200, JSON.stringify(cancel.body));
      assert.equal(cancel.body.run.lifecycle.status, 'cancelled');
      assert.equal(cancel.body.redis_available, true, 'the cancel reached the worker through Redis');
      const answeredAt = Date.now();
      const stepsAtAnswer = await stepsOf(runId);
      await waitFor('the worker to let go of the run', async () => worker.services.executor.stats().inFlight === 0, 3000);
      assert.ok(Date.now() - answeredAt < 1000, `the worker stopped the run ${Date.now() - answeredAt} ms after the cancel`);

      await sleep(500);
      assert.deepEqual(await stepsOf(runId), stepsAtAnswer, 'no step was written after the cancel answered');
      assert.ok(!stepsAtAnswer.some((step) => step.block_id === ids.spinA || step.block_id === ids.spinB));
      assert.equal((await api.request('GET', `/v1/workflows/runs/${runId}`)).body.lifecycle.status, 'cancelled');

      // The spinning steps gave their sandbox threads back: the next run gets them.
      const quick = await createWorkflowGraph(api, [{ key: 'start', type: 'start_json' }, { key: 'double', type: 'function', config: functionConfig(DOUBLE) }], [{ from: 'start', to: 'double' }]);
      const next = await api.request('POST', '/v1/workflows/runs', { workflow_id: quick.workflowId, json_inputs: { [quick.ids.start!]: { n: 2 } } });
      assert.equal((await waitForWorkflowRun(api, next.body.id, 5000)).lifecycle.status, 'completed');
    });


    test('one organization\'s workflow runs share the worker\'s slots: another organization\'s test run still completes within seconds', async () => {
      const spin = { ...functionConfig(SPIN_FOREVER), timeout_seconds: SPIN_SECONDS };
      const spinning = await createWorkflowGraph(api, [{ key: 'start', type: 'start_json' }, { key: 'spin', type: 'function', config: spin }], [{ from: 'start', to: 'spin' }]);
      const runsOfA: string[] = [];
      for (let run = 0; run < 10; run++) runsOfA.push((await api.request('POST', '/v1/workflows/runs', { workflow_id: spinning.workflowId, json_inputs: { [spinning.ids.start!]: {} } })).body.id);
      try {
        await waitFor('A\'s runs to hold every slot of the worker', async () => worker.services.executor.stats().inFlight === 8, 15_000);

        const b = asOrganization(api, await otherOrganizationKey(api, 'org-b-workflow-runs'));
        const quick = await createFunctionWorkflow(b, 'function transform(input) { return { value: input.n * 2 }; }');
        await createTests(b, quick, [{ input: { n: 21 }, path: 'value', condition: { kind: 'equals', expected: 42 } }]);
        const startedAt = Date.now();
        const run = await waitForRun(b, (await startRun(b, quick.workflowId)).id, 30_000);
        const tookMs = Date.now() - startedAt;
        assert.equal(run.counts.outcome.passed, 1);
        assert.ok(tookMs < PROMPT_MS, `B's test run took ${tookMs} ms while A's workflow runs spin ${SPIN_SECONDS} s each`);
      } finally {
        for (const id of runsOfA) await api.request('POST', `/v1/workflows/runs/${id}/cancel`, {});
      }
    });
  });

  describe('a stopping worker, and a run whose job never reached Redis', () => {
    let api: TestApp;
    const workers: Runtime[] = [];
    before(async () => {
      api = await startTestApp('postgres', { redisUrl: REDIS_URL!, sandboxThreads: 2, concurrency: 8, worker: false }, { VERDICT_REDIS_PREFIX: `verdict-test-${randomUUID()}`, VERDICT_WORKER_DRAIN_MS: '500' });
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

    async function stampThenSlow() {
      return createWorkflowGraph(
        api,
        [
          { key: 'start', type: 'start_json' },
          { key: 'stamp', type: 'function', config: functionConfig(STAMP) },
          { key: 'slow', type: 'function', config: functionConfig(SLOW_ECHO) },
        ],
        [
          { from: 'start', to: 'stamp' },
          { from: 'stamp', to: 'slow' },
        ],
      );
    }

    const stepsOf = async (runId: string) => (await api.request('GET', `/v1/workflows/steps?run_id=${runId}&order=asc&limit=100`)).body.data as any[];

    test('a stopping worker hands the run back after the drain timeout, and the next worker finishes it from its recorded steps', async () => {
      const first = await startWorker();
      const { workflowId, ids } = await stampThenSlow();
      const runId = (await api.request('POST', '/v1/workflows/runs', { workflow_id: workflowId, json_inputs: { [ids.start!]: {} } })).body.id as string;
      const before = await waitFor('the stamp step', async () => {
        const steps = await stepsOf(runId);
        return steps.some((step) => step.block_id === ids.stamp) && steps;
      });

      const stoppingSince = Date.now();
      await first.close();
      workers.splice(workers.indexOf(first), 1);
      assert.ok(Date.now() - stoppingSince < 1400, `the worker took ${Date.now() - stoppingSince} ms to stop: it waited for the slow step`);
      assert.equal((await api.request('GET', `/v1/workflows/runs/${runId}`)).body.lifecycle.status, 'running');
      assert.deepEqual(await stepsOf(runId), before, 'the step handed back was not recorded');

      await startWorker();
      const run = await waitForWorkflowRun(api, runId);
      assert.equal(run.lifecycle.status, 'completed', JSON.stringify(run.lifecycle));
      const steps = await stepsOf(runId);
      assert.deepEqual(steps.map((step) => step.block_id).sort(), [ids.start, ids.stamp, ids.slow].sort(), 'each step once');
      const stamped = before.find((step) => step.block_id === ids.stamp);
      assert.deepEqual(steps.find((step) => step.block_id === ids.slow).handle_outputs['output-json-0'].data, { seen: stamped.handle_outputs['output-json-0'].data.stamped });
    });

    test('a run whose API process stopped before queueing it is queued by a worker\'s sweep', async () => {
      const { workflowId, ids } = await stampThenSlow();
      await api.runtime.services.executor.stop();
      const created = await api.request('POST', '/v1/workflows/runs', { workflow_id: workflowId, json_inputs: { [ids.start!]: {} } });
      assert.equal(created.body.lifecycle.status, 'pending');
      assert.equal((await waitForWorkflowRun(api, created.body.id, 30_000)).lifecycle.status, 'completed');
    });
  });

  describe('worker processes, one killed with SIGKILL mid-run', () => {
    const API_KEY = 'vk_wfrun_distributed_0123456789abcdef';
    let deployment: ApiOnlyDeployment;
    let call: ReturnType<typeof jsonClient>;
    const workers: VerdictProcess[] = [];

    before(async () => {
      deployment = await startApiOnlyProcess('wfrun', API_KEY, REDIS_URL!);
      call = jsonClient(deployment.baseUrl, API_KEY);
    });

    after(async () => {
      await Promise.all(workers.map((worker) => worker.kill()));
      await deployment.close();
    });

    async function startWorker(): Promise<VerdictProcess> {
      const worker = spawnVerdict(['worker', '--concurrency', '4'], deployment.env);
      workers.push(worker);
      await worker.line(/Verdict worker executing/);
      return worker;
    }

    test('another worker resumes the run: the steps recorded before the kill are kept and feed the rest, and only the rest executes', async () => {
      const first = await startWorker();
      const workflow = await call('POST', '/v1/workflows', { name: 'resume on another worker' });
      const block = async (type: string, config: object) => (await call('POST', '/v1/workflows/blocks', { workflow_id: workflow.id, type, config })).id as string;
      const start = await block('start_json', {});
      const stamp = await block('function', functionConfig(STAMP));
      const slow = await block('function', functionConfig(SLOW_ECHO));
      const last = await block('function', functionConfig('function transform(input) { return { echoed: input.seen }; }'));
      for (const [source, target] of [[start, stamp], [stamp, slow], [slow, last]]) await call('POST', '/v1/workflows/edges', { workflow_id: workflow.id, source_block: source, target_block: target });

      const run = await call('POST', '/v1/workflows/runs', { workflow_id: workflow.id, json_inputs: { [start]: {} } });
      const stepsOf = async () => (await call('GET', `/v1/workflows/steps?run_id=${run.id}&order=asc&limit=100`)).data as any[];
      const before = await waitFor('the first function step to be recorded on the worker', async () => {
        const steps = await stepsOf();
        return steps.some((step) => step.block_id === stamp) && steps;
      });
      await first.kill();
      assert.ok(!(await stepsOf()).some((step) => step.block_id === last), 'the kill came before the run finished');

      await startWorker();
      let final = await call('GET', `/v1/workflows/runs/${run.id}`);
      for (const deadline = Date.now() + 30_000; !['completed', 'error', 'cancelled'].includes(final.lifecycle.status); await sleep(50)) {
        assert.ok(Date.now() < deadline, `run still ${final.lifecycle.status}`);
        final = await call('GET', `/v1/workflows/runs/${run.id}`);
      }
      assert.equal(final.lifecycle.status, 'completed', JSON.stringify(final.lifecycle));
      const steps = await stepsOf();
      assert.deepEqual(steps.map((step) => step.block_id).sort(), [start, stamp, slow, last].sort(), 'each step recorded once');
      const stamped = steps.find((step) => step.block_id === stamp);
      assert.deepEqual(stamped, before.find((step) => step.block_id === stamp), 'the step recorded before the kill is kept as it was');
      assert.deepEqual(steps.find((step) => step.block_id === last).handle_outputs['output-json-0'].data, { echoed: stamped.handle_outputs['output-json-0'].data.stamped });

      const client = new pg.Client({ connectionString: deployment.env.VERDICT_DATABASE_URL });
      await client.connect();
      try {
        const { rows } = await client.query('SELECT attempts FROM workflow_runs WHERE id = $1', [run.id]);
        // 2: the killed worker's and the resume. On a loaded machine a live worker can also lose its
        // job's lock and see it delivered again; each delivery counts, and the step checks above still hold.
        assert.ok(rows[0].attempts >= 2, `the resume is counted as an attempt (${rows[0].attempts})`);
      } finally {
        await client.end();
      }
    });
  });
});
