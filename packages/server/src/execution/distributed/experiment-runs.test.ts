import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { startFakeModelServer, type FakeModelServer, type FakeReply, type RecordedRequest } from '../../testing/fake-model-server.js';
import { sleep, waitFor } from '../../testing/fixtures.js';
import { waitForExperimentRun } from '../../testing/experiment-runs.js';
import { skipWithoutRedisAndPostgres, startTestApp, startWorkerRuntime, type TestApp } from '../../testing/harness.js';
import { jsonClient, spawnVerdict, startApiOnlyProcess, type ApiOnlyDeployment, type VerdictProcess } from '../../testing/processes.js';

const REDIS_URL = process.env.VERDICT_TEST_REDIS_URL;
const skip = skipWithoutRedisAndPostgres();

const SCHEMA = { type: 'object', properties: { vendor: { type: 'string' } }, required: ['vendor'] };
const dataUrl = (text: string) => `data:text/plain;base64,${Buffer.from(text).toString('base64')}`;
const documentsNamed = (count: number) =>
  Array.from({ length: count }, (_, i) => ({ handle_inputs: { 'input-file-document': { type: 'file', document: { filename: `d${i}.txt`, url: dataUrl(`doc-${i}`) } } } }));

/** The index i of the document `doc-i` a model call is about. */
const documentIndexOf = (request: RecordedRequest) => /doc-(\d+)/.exec(JSON.stringify(request.body.messages))![1];

/** Every voter of document i answers `Vendor i`. */
const vendorOfDocument = (request: RecordedRequest): FakeReply => ({ content: JSON.stringify({ vendor: `Vendor ${documentIndexOf(request)}` }) });

/** Answers the calls of the first document asked about; every other document's calls hang. */
function answerOneDocumentOnly(answer: (request: RecordedRequest) => FakeReply): (request: RecordedRequest) => FakeReply {
  let answered: string | undefined;
  return (request) => {
    const index = documentIndexOf(request);
    answered ??= index;
    return index === answered ? answer(request) : { hang: true };
  };
}

type Call = (method: string, path: string, body?: unknown) => Promise<any>;

async function createExperiment(call: Call, documents: number): Promise<string> {
  const workflow = await call('POST', '/v1/workflows', { name: 'experiments on workers' });
  const block = await call('POST', '/v1/workflows/blocks', { workflow_id: workflow.id, type: 'extract', config: { json_schema: SCHEMA } });
  const experiment = await call('POST', '/v1/workflows/experiments', { workflow_id: workflow.id, block_id: block.id, n_consensus: 3, documents: documentsNamed(documents) });
  assert.ok(experiment.id, JSON.stringify(experiment));
  return experiment.id;
}

/** Every document completed once, with its three agreeing votes. */
async function assertEveryDocumentVotedOnce(call: Call, runId: string, documents: number): Promise<any[]> {
  const results = (await call('GET', `/v1/workflows/experiments/results?run_id=${runId}&limit=100`)).data as any[];
  assert.equal(results.length, documents);
  for (const result of results) {
    assert.equal(result.lifecycle.status, 'completed', JSON.stringify(result.lifecycle));
    const index = /d(\d+)\.txt/.exec(result.handle_inputs['input-file-document'].document.filename)![1];
    assert.deepEqual(result.votes, [0, 1, 2].map(() => ({ vendor: `Vendor ${index}` })));
  }
  return results;
}

/**
 * Experiment runs in a distributed deployment (docs/experiments.md §8): the API process that
 * creates a run executes nothing; the run's job is driven on a worker, with the model client of the
 * worker beneath it, cancelled through the same broadcast as test runs, and resumed by another
 * worker when its worker is killed.
 */
describe('experiment runs on the distributed executor (PostgreSQL and Redis)', { skip }, () => {
  describe('API-only process, worker runtime beside it', () => {
    let model: FakeModelServer;
    let api: TestApp;
    let call: Call;
    before(async () => {
      model = await startFakeModelServer({ chat: vendorOfDocument });
      api = await startTestApp('postgres', { redisUrl: REDIS_URL!, concurrency: 4, worker: false }, {
        VERDICT_REDIS_PREFIX: `verdict-test-${randomUUID()}`,
        VERDICT_MODEL_BASE_URL: model.baseURL,
        VERDICT_MODEL: 'fake-model',
      });
      call = async (method, path, body) => (await api.request(method, path, body)).body;
    });
    after(async () => {
      await api.close();
      await model.close();
    });

    test('a run waits for a worker (the API process executes none of it), then completes on the worker with every vote', async () => {
      const experimentId = await createExperiment(call, 4);
      const runId = (await call('POST', '/v1/workflows/experiments/runs', { experiment_id: experimentId })).id as string;
      await sleep(1000);
      assert.equal((await call('GET', `/v1/workflows/experiments/runs/${runId}`)).lifecycle.status, 'pending', 'no worker: the run is not executed');
      assert.equal(model.chatRequests().length, 0, 'the API process called no model');

      const worker = await startWorkerRuntime(api);
      try {
        const run = await waitForExperimentRun(api, runId, 30_000);
        assert.equal(run.lifecycle.status, 'completed', JSON.stringify(run.lifecycle));
        assert.equal(run.score, 1);
        const results = await assertEveryDocumentVotedOnce(call, runId, 4);
        assert.ok(results.every((result) => result.attempt === 1));
        assert.equal(model.chatRequests().length, 12, 'three votes per document, each asked once');
      } finally {
        await worker.close();
      }
    });

    test('a cancel from the API stops the model calls on the worker at once, and nothing of the run is written after its answer', async () => {
      const worker = await startWorkerRuntime(api);
      model.setChatHandler(() => ({ hang: true }));
      try {
        const experimentId = await createExperiment(call, 2);
        const runId = (await call('POST', '/v1/workflows/experiments/runs', { experiment_id: experimentId })).id as string;
        await model.hungRequestsReceived(1);
        await waitFor('the worker to drive the run', async () => worker.services.executor.stats().inFlight === 1);

        const cancel = await api.request('POST', `/v1/workflows/experiments/runs/${runId}/cancel`, {});
        assert.equal(cancel.status, 200, JSON.stringify(cancel.body));
        assert.equal(cancel.body.lifecycle.status, 'cancelled');
        const answeredAt = Date.now();
        await waitFor('the worker to let go of the run', async () => worker.services.executor.stats().inFlight === 0, 3000);
        assert.ok(Date.now() - answeredAt < 1500, `the worker stopped the run ${Date.now() - answeredAt} ms after the cancel`);
        await model.hungRequestClosed(1);

        const resultsAtAnswer = (await call('GET', `/v1/workflows/experiments/results?run_id=${runId}`)).data;
        await sleep(500);
        assert.deepEqual((await call('GET', `/v1/workflows/experiments/results?run_id=${runId}`)).data, resultsAtAnswer, 'nothing written after the cancel');
        assert.ok(resultsAtAnswer.every((result: any) => result.lifecycle.status === 'cancelled'));
        assert.equal((await call('GET', `/v1/workflows/experiments/runs/${runId}`)).lifecycle.status, 'cancelled');
      } finally {
        model.setChatHandler(vendorOfDocument);
        await worker.close();
      }
    });

    test('a run whose job never reached Redis is queued by a worker\'s sweep', async () => {
      const experimentId = await createExperiment(call, 2);
      await api.runtime.services.executor.stop();
      const created = await call('POST', '/v1/workflows/experiments/runs', { experiment_id: experimentId });
      assert.equal(created.lifecycle.status, 'pending');
      const worker = await startWorkerRuntime(api);
      try {
        assert.equal((await waitForExperimentRun(api, created.id, 30_000)).lifecycle.status, 'completed');
      } finally {
        await worker.close();
      }
    });
  });

  describe('worker processes, one killed with SIGKILL mid-run', () => {
    const API_KEY = 'vk_exprun_distributed_0123456789abcdef';
    const DOCUMENTS = 6;
    let model: FakeModelServer;
    let deployment: ApiOnlyDeployment;
    let call: Call;
    const workers: VerdictProcess[] = [];

    before(async () => {
      model = await startFakeModelServer({ chat: vendorOfDocument });
      deployment = await startApiOnlyProcess('exprun', API_KEY, REDIS_URL!);
      call = jsonClient(deployment.baseUrl, API_KEY);
    });

    after(async () => {
      await Promise.all(workers.map((worker) => worker.kill()));
      await deployment.close();
      await model.close();
    });

    async function startWorker(): Promise<VerdictProcess> {
      const worker = spawnVerdict(['worker', '--concurrency', '2'], { ...deployment.env, VERDICT_MODEL_BASE_URL: model.baseURL, VERDICT_MODEL: 'fake-model' });
      workers.push(worker);
      await worker.line(/Verdict worker executing/);
      return worker;
    }

    test('another worker resumes the run: the votes recorded before the kill are kept, and only the rest executes', async () => {
      // The first worker completes one document; every other document's calls hang, so the kill
      // always lands while the worker holds started documents, however slow the machine is.
      model.setChatHandler(answerOneDocumentOnly(vendorOfDocument));
      const first = await startWorker();
      const experimentId = await createExperiment(call, DOCUMENTS);
      const runId = (await call('POST', '/v1/workflows/experiments/runs', { experiment_id: experimentId })).id as string;
      const resultsOf = async () => (await call('GET', `/v1/workflows/experiments/results?run_id=${runId}&limit=100`)).data as any[];
      await model.hungRequestsReceived(1);
      const before = await waitFor('a document to complete on the first worker', async () => {
        const results = await resultsOf();
        return results.some((result) => result.lifecycle.status === 'completed') && results;
      }, 30_000);
      await first.kill();
      const keptBefore = before.filter((result) => result.lifecycle.status === 'completed');
      assert.equal(keptBefore.length, 1, 'one document completed before the kill');

      model.setChatHandler(vendorOfDocument);
      await startWorker();
      let final = await call('GET', `/v1/workflows/experiments/runs/${runId}`);
      for (const deadline = Date.now() + 60_000; !['completed', 'error', 'cancelled'].includes(final.lifecycle.status); await sleep(50)) {
        assert.ok(Date.now() < deadline, `run still ${final.lifecycle.status}`);
        final = await call('GET', `/v1/workflows/experiments/runs/${runId}`);
      }
      assert.equal(final.lifecycle.status, 'completed', JSON.stringify(final.lifecycle));
      assert.equal(final.completed_document_count, DOCUMENTS);
      const results = await assertEveryDocumentVotedOnce(call, runId, DOCUMENTS);
      for (const kept of keptBefore) assert.deepEqual(results.find((result) => result.id === kept.id), kept, 'a document completed before the kill is kept as it was');

      const client = new pg.Client({ connectionString: deployment.env.VERDICT_DATABASE_URL });
      await client.connect();
      try {
        const { rows } = await client.query("SELECT count(*)::int AS n FROM experiment_results WHERE run_id = $1 AND attempt >= 2", [runId]);
        // The documents the killed worker held are started again by the second.
        assert.ok(rows[0].n >= 1, `some document was resumed (${rows[0].n})`);
      } finally {
        await client.end();
      }
    });
  });
});
