import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startFakeModelServer, type FakeModelServer, type RecordedRequest } from '../testing/fake-model-server.js';
import { startTestApp, testStores, type TestApp } from '../testing/harness.js';
import { waitForExperimentRun } from '../testing/experiment-runs.js';
import { EXPERIMENT_MODELS, violations } from '../testing/sdk-models.js';

/**
 * docs/experiments.md against the real server and a scripted OpenAI-compatible model whose voters
 * disagree on purpose: every expected number below is computed here, by hand, from the script
 * and the documented formulas, never by the code under test.
 */

const DOCUMENTS = 10;
const VOTERS = 5;
const dataUrl = (text: string) => `data:text/plain;base64,${Buffer.from(text).toString('base64')}`;

/**
 * Extract voter k of document i: vendor disagrees on i % 3 voters (voter 1 shouts, which
 * normalisation forgives, except on document 0, whose consensus is read as given); total loses a
 * voter when 4 | i and another when 5 | i.
 */
function extractVote(i: number, k: number): { vendor: string; total: number | null } {
  const vendor = k >= VOTERS - (i % 3) ? `Other ${k}` : k === 1 && i > 0 ? `VENDOR ${i}` : `Vendor ${i}`;
  const total = k === 4 && i % 4 === 0 ? null : k === 3 && i % 5 === 0 ? 999 : 100 + i;
  return { vendor, total };
}
/** By hand: the majority of vendor is `Vendor i` (5 - i%3 voters, at least 3); of total, 100 + i. */
const vendorLikelihood = (i: number) => (VOTERS - (i % 3)) / VOTERS;
const totalLikelihood = (i: number) => (VOTERS - (i % 4 === 0 ? 1 : 0) - (i % 5 === 0 ? 1 : 0)) / VOTERS;
const average = (values: number[]) => values.reduce((sum, value) => sum + value, 0) / values.length;

/** Classifier voters of document j (n_consensus 3): docs/experiments.md, example 2. */
const CLASSIFIER_VOTES = [
  ['invoice', 'invoice', 'receipt'],
  ['receipt', 'receipt', 'receipt'],
  ['invoice', 'receipt', 'receipt'],
];

const close = (actual: number | null | undefined, expected: number, label: string) =>
  assert.ok(typeof actual === 'number' && Math.abs(actual - expected) < 1e-9, `${label}: got ${actual}, expected ${expected}`);

/** Answers each request by the document it names; the n-th request for a document is its voter n (mod the voter count). */
function scriptedModel(): (request: RecordedRequest) => { content: string } {
  const seen = new Map<string, number>();
  return (request) => {
    const conversation = JSON.stringify(request.body.messages);
    const match = /(extract|classify)-doc-(\d+)/.exec(conversation)!;
    const key = match[0];
    const index = Number(match[2]);
    const voter = seen.get(key) ?? 0;
    seen.set(key, voter + 1);
    if (match[1] === 'classify') return { content: JSON.stringify({ reasoning: 'scripted', category: CLASSIFIER_VOTES[index]![voter % 3] }) };
    return { content: JSON.stringify(extractVote(index, voter % VOTERS)) };
  };
}

/** The result's artifact reference, and the artifact it names as GET /v1/workflows/artifacts/{id} answers it. */
async function artifactOf(app: TestApp, result: any, operation: string): Promise<any> {
  assert.equal(result.artifact?.operation, operation, JSON.stringify(result.artifact));
  assert.ok(typeof result.artifact.id === 'string' && result.artifact.id.length > 0);
  const artifact = await app.request('GET', `/v1/workflows/artifacts/${result.artifact.id}`);
  assert.equal(artifact.status, 200, JSON.stringify(artifact.body));
  assert.equal(artifact.body.id, result.artifact.id);
  assert.equal(artifact.body.operation, operation);
  assert.equal(artifact.body.run_id, result.experiment_run_id, 'the experiment run is the artifact\'s run');
  assert.equal(artifact.body.step_id, result.id, 'the result is its step');
  assert.equal(artifact.body.status, 'completed');
  return artifact.body;
}

function assertShape(body: unknown, model: keyof typeof EXPERIMENT_MODELS) {
  const problems = violations(body, EXPERIMENT_MODELS[model]);
  assert.deepEqual(problems, [], `${model}: ${problems.join('\n')}`);
}

for (const store of testStores()) {
  describe(`experiments through the API (${store})`, () => {
    let model: FakeModelServer;
    let app: TestApp;
    let workflowId: string;
    let extractId: string;

    before(async () => {
      model = await startFakeModelServer({ chat: scriptedModel() });
      app = await startTestApp(store, {}, { VERDICT_MODEL_BASE_URL: model.baseURL, VERDICT_MODEL: 'fake-model' });
      workflowId = (await app.request('POST', '/v1/workflows', { name: 'experiments' })).body.id;
      const block = await app.request('POST', '/v1/workflows/blocks', {
        workflow_id: workflowId,
        type: 'extract',
        config: { json_schema: { type: 'object', properties: { vendor: { type: 'string' }, total: { type: ['number', 'null'] } }, required: ['vendor', 'total'] } },
      });
      assert.equal(block.status, 201, JSON.stringify(block.body));
      extractId = block.body.id;
    });
    after(async () => {
      await app?.close();
      await model?.close();
    });

    test('an extract experiment over 10 documents with n_consensus 5: likelihoods and score as the formulas give them; a schema change makes it stale; a second run reports prior_score', async () => {
      const documents = Array.from({ length: DOCUMENTS }, (_, i) => ({
        handle_inputs: { 'input-file-document': { type: 'file', document: { filename: `invoice-${i}.txt`, url: dataUrl(`Invoice extract-doc-${i}\nTotal ${100 + i}`) } } },
      }));
      const created = await app.request('POST', '/v1/workflows/experiments', { workflow_id: workflowId, block_id: extractId, name: 'invoices', n_consensus: 5, documents });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      assertShape(created.body, 'experiment');
      assert.equal(created.body.status, 'draft');
      assert.equal(created.body.document_count, DOCUMENTS);

      const started = await app.request('POST', '/v1/workflows/experiments/runs', { experiment_id: created.body.id });
      assert.equal(started.status, 202, JSON.stringify(started.body));
      assertShape(started.body, 'run');
      const run = await waitForExperimentRun(app, started.body.id);
      assert.equal(run.lifecycle.status, 'completed', JSON.stringify(run));
      assert.equal(run.completed_document_count, DOCUMENTS);
      assertShape(run, 'run');

      const expectedDocumentScores = Array.from({ length: DOCUMENTS }, (_, i) => (vendorLikelihood(i) + totalLikelihood(i)) / 2);
      const expectedScore = average(expectedDocumentScores);
      close(run.score, expectedScore, 'run score stored on the run');

      const summary = await app.request('GET', `/v1/workflows/experiments/metrics?run_id=${run.id}`);
      assert.equal(summary.status, 200, JSON.stringify(summary.body));
      assertShape(summary.body, 'summaryMetrics');
      assert.equal(summary.body.kind, 'summary');
      close(summary.body.score, expectedScore, 'summary score');
      close(summary.body.aggregate.likelihoods.vendor, average(Array.from({ length: DOCUMENTS }, (_, i) => vendorLikelihood(i))), 'vendor likelihood');
      close(summary.body.aggregate.likelihoods.total, average(Array.from({ length: DOCUMENTS }, (_, i) => totalLikelihood(i))), 'total likelihood');
      assert.equal(summary.body.scored_document_count, DOCUMENTS);
      assert.equal(summary.body.prior_score, null, 'no earlier run');
      summary.body.documents.forEach((document: any, i: number) => close(document.score, expectedDocumentScores[i]!, `document ${i}`));

      const results = await app.request('GET', `/v1/workflows/experiments/results?run_id=${run.id}&order=asc&limit=100`);
      assert.equal(results.body.data.length, DOCUMENTS);
      for (const result of results.body.data) assertShape(result, 'result');
      const first = results.body.data[0];
      assert.equal(first.votes.length, VOTERS, 'every vote is stored');
      assert.equal(first.attempt, 1);
      assert.ok(first.handle_outputs['output-json-0'].data.vendor !== undefined);
      assert.equal(first.handle_inputs['input-file-document'].type, 'file');
      assertShape((await app.request('GET', `/v1/workflows/experiments/results/${first.id}`)).body, 'result');
      const extraction = await artifactOf(app, first, 'extraction');
      assert.deepEqual(extraction.output, first.handle_outputs['output-json-0'].data, 'the artifact holds the consensus output');
      assert.equal(extraction.n_consensus, VOTERS);
      assert.deepEqual(extraction.json_schema.required, ['vendor', 'total']);
      assert.equal(extraction.file.filename, first.handle_inputs['input-file-document'].document.filename);
      assert.equal(new Set(results.body.data.map((result: any) => result.artifact.id)).size, DOCUMENTS, 'one artifact per document');
      const artifactList = await app.request('GET', `/v1/workflows/artifacts?run_id=${run.id}`);
      assert.deepEqual(artifactList.body.data ?? [], [], 'experiment artifacts stay out of the workflow runs\' artifact lists');

      const documentZero = summary.body.documents[0].id;
      const byDocument = await app.request('GET', `/v1/workflows/experiments/metrics?run_id=${run.id}&view=by_document&document_id=${documentZero}`);
      assertShape(byDocument.body, 'byDocumentMetrics');
      assert.deepEqual(byDocument.body.targets.map((target: any) => [target.path, target.score, target.value]), [
        ['vendor', vendorLikelihood(0), 'Vendor 0'],
        ['total', totalLikelihood(0), 100],
      ]);
      const byTarget = await app.request('GET', `/v1/workflows/experiments/metrics?run_id=${run.id}&view=by_target&target_path=total`);
      assertShape(byTarget.body, 'byTargetMetrics');
      assert.equal(byTarget.body.documents.length, DOCUMENTS);
      const voteMatrix = await app.request('GET', `/v1/workflows/experiments/metrics?run_id=${run.id}&view=votes&document_id=${documentZero}&target_path=total`);
      assertShape(voteMatrix.body, 'votesMetrics');
      const [row] = voteMatrix.body.rows;
      assert.deepEqual([...row.votes].sort(), [100, 100, 100, 999, null].sort(), 'document 0: one voter says 999, one gives no total');
      assert.equal(row.present_voter_count, 4);
      close(row.row_presence_score, 4 / 5, 'presence');

      // The schema changes: the latest run's metrics are stale, and say why.
      const patched = await app.request('PATCH', `/v1/workflows/blocks/${extractId}`, {
        config: { json_schema: { type: 'object', properties: { vendor: { type: 'string' }, total: { type: ['number', 'null'] }, currency: { type: 'string' } }, required: ['vendor', 'total'] } },
      });
      assert.equal(patched.status, 200, JSON.stringify(patched.body));
      const stale = await app.request('GET', `/v1/workflows/experiments/metrics?run_id=${run.id}`);
      assert.equal(stale.status, 200);
      assertShape(stale.body, 'staleMetrics');
      assert.equal(stale.body.kind, 'stale_metrics');
      assert.deepEqual(stale.body.stale_reasons, ['block_config_changed']);
      assert.equal(stale.body.last_run.run_id, run.id);
      assert.notEqual(stale.body.current_block_execution_fingerprint, run.block_execution_fingerprint);
      const experiment = (await app.request('GET', `/v1/workflows/experiments/${created.body.id}`)).body;
      assert.equal(experiment.is_stale, true);
      assert.deepEqual(experiment.freshness_reasons, ['block_config_changed']);

      // A second run measures the block as it is now, beside the first.
      const second = await waitForExperimentRun(app, (await app.request('POST', '/v1/workflows/experiments/runs', { experiment_id: created.body.id, plan_token: experiment.plan_token })).body.id);
      assert.equal(second.lifecycle.status, 'completed');
      const compared = await app.request('GET', `/v1/workflows/experiments/metrics?run_id=${second.id}`);
      assert.equal(compared.body.kind, 'summary', JSON.stringify(compared.body));
      assert.equal(compared.body.prior_run_id, run.id);
      close(compared.body.prior_score, expectedScore, 'prior score');
      close(compared.body.documents[3].prior_score, expectedDocumentScores[3]!, 'prior score of a document');
      const withoutPrior = await app.request('GET', `/v1/workflows/experiments/metrics?run_id=${second.id}&include_prior=false`);
      assert.equal(withoutPrior.body.prior_score, null);

      const listed = await app.request('GET', `/v1/workflows/experiments/runs?experiment_id=${created.body.id}&status=completed`);
      assert.deepEqual(listed.body.data.map((item: any) => item.id), [second.id, run.id]);
      for (const item of listed.body.data) assertShape(item, 'run');
    });

    test('a classifier experiment gives the confusion flows between labels', async () => {
      const block = await app.request('POST', '/v1/workflows/blocks', {
        workflow_id: workflowId,
        type: 'classifier',
        config: { categories: [{ name: 'invoice', description: 'a bill' }, { name: 'receipt', description: 'a proof of payment' }] },
      });
      assert.equal(block.status, 201, JSON.stringify(block.body));
      const documents = CLASSIFIER_VOTES.map((_, j) => ({ handle_inputs: { 'input-file-document': { type: 'file', document: { filename: `d${j}.txt`, url: dataUrl(`classify-doc-${j}`) } } } }));
      const created = await app.request('POST', '/v1/workflows/experiments', { workflow_id: workflowId, block_id: block.body.id, n_consensus: 3, documents });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      const run = await waitForExperimentRun(app, (await app.request('POST', '/v1/workflows/experiments/runs', { experiment_id: created.body.id })).body.id);
      assert.equal(run.lifecycle.status, 'completed', JSON.stringify(run));
      const summary = (await app.request('GET', `/v1/workflows/experiments/metrics?run_id=${run.id}`)).body;
      assertShape(summary, 'summaryMetrics');
      const [result] = (await app.request('GET', `/v1/workflows/experiments/results?run_id=${run.id}&order=asc`)).body.data;
      const classification = await artifactOf(app, result, 'classification');
      assert.equal(classification.output.category, 'invoice', 'd0\'s consensus (2 of its 3 votes)');
      assert.deepEqual(classification.categories.map((category: any) => category.name), ['invoice', 'receipt']);
      // By hand: invoice is the consensus of d0 only (2 of its 3 votes agree); receipt of d1 and d2 (3 + 2 of 6).
      close(summary.score, (2 / 3 + 1 + 2 / 3) / 3, 'score');
      close(summary.aggregate.diag.invoice, 2 / 3, 'diag invoice');
      close(summary.aggregate.diag.receipt, 5 / 6, 'diag receipt');
      assert.deepEqual(summary.aggregate.flows.map((flow: any) => [flow.source, flow.target]), [
        ['invoice', 'receipt'],
        ['receipt', 'invoice'],
      ]);
      close(summary.aggregate.flows[0].score, 1 / 3, 'invoice → receipt');
      close(summary.aggregate.flows[1].score, 1 / 6, 'receipt → invoice');
      const target = (await app.request('GET', `/v1/workflows/experiments/metrics?run_id=${run.id}&view=by_target&target_path=receipt`)).body;
      assertShape(target, 'byTargetMetrics');
      close(target.confusion.flow_from.invoice, 1 / 3, 'flow from invoice');
    });

    test('duplicates, updates, captures, cancel, missing metrics and bad requests answer as documented', async () => {
      const document = { handle_inputs: { 'input-file-document': { type: 'file', document: { filename: 'x.txt', url: dataUrl('extract-doc-1') } } } };
      const created = (await app.request('POST', '/v1/workflows/experiments', { workflow_id: workflowId, block_id: extractId, name: 'base', documents: [document] })).body;
      const copy = await app.request('POST', '/v1/workflows/experiments', { workflow_id: workflowId, source_experiment_id: created.id });
      assert.equal(copy.status, 201, JSON.stringify(copy.body));
      assert.equal(copy.body.name, 'base (Copy)');
      assert.equal(copy.body.document_count, 1);
      assert.equal(copy.body.n_consensus, created.n_consensus);
      const mixed = await app.request('POST', '/v1/workflows/experiments', { workflow_id: workflowId, source_experiment_id: created.id, name: 'x' });
      assert.equal(mixed.status, 422);

      const capture = await app.request('POST', '/v1/workflows/experiments', { workflow_id: workflowId, block_id: extractId, document_captures: [{ run_id: 'run_1' }] });
      assert.equal(capture.status, 422);
      assert.equal(capture.body.detail.details.issues[0].path, 'body.document_captures.0.run_id');
      assert.match(capture.body.detail.message, /no workflow run `run_1` in this organization/);
      const oldCapture = await app.request('POST', '/v1/workflows/experiments', { workflow_id: workflowId, block_id: extractId, document_captures: [{ workflow_run_id: 'run_1' }] });
      assert.deepEqual(oldCapture.body, capture.body, '393edb37 names the run workflow_run_id');

      const wrongHandle = await app.request('POST', '/v1/workflows/experiments', { workflow_id: workflowId, block_id: extractId, documents: [{ handle_inputs: { 'input-json-x': { type: 'json', data: 1 } } }] });
      assert.equal(wrongHandle.status, 422);
      assert.equal(wrongHandle.body.detail.details.issues[0].path, 'body.documents.0.handle_inputs.input-json-x');

      const renamed = await app.request('PATCH', `/v1/workflows/experiments/${copy.body.id}`, { name: 'renamed', n_consensus: 7, documents: [] });
      assert.equal(renamed.body.name, 'renamed');
      assert.equal(renamed.body.document_count, 0);
      const empty = await app.request('POST', '/v1/workflows/experiments/runs', { experiment_id: copy.body.id });
      assert.equal(empty.status, 422);
      assert.equal(empty.body.detail.code, 'experiment_not_runnable');
      const changedPlan = await app.request('POST', '/v1/workflows/experiments/runs', { experiment_id: created.id, plan_token: 'stale-token' });
      assert.equal(changedPlan.status, 409);
      const otherWorkflow = await app.request('POST', '/v1/workflows/experiments/runs', { experiment_id: created.id, workflow_id: 'wf_other' });
      assert.equal(otherWorkflow.status, 404);

      // A run whose model hangs is cancelled: {id, lifecycle}, then the metrics have nothing to score.
      model.setChatHandler(() => ({ hang: true }));
      const started = (await app.request('POST', '/v1/workflows/experiments/runs', { experiment_id: created.id })).body;
      await model.hungRequestsReceived(1);
      const cancelled = await app.request('POST', `/v1/workflows/experiments/runs/${started.id}/cancel`);
      assert.equal(cancelled.status, 200, JSON.stringify(cancelled.body));
      assertShape(cancelled.body, 'cancel');
      assert.deepEqual(Object.keys(cancelled.body).sort(), ['id', 'lifecycle']);
      assert.equal(cancelled.body.lifecycle.status, 'cancelled');
      await model.hungRequestClosed(1);
      const again = await app.request('POST', `/v1/workflows/experiments/runs/${started.id}/cancel`);
      assert.equal(again.status, 404);
      assert.equal(again.body.detail.code, 'run_not_cancellable');
      const missing = await app.request('GET', `/v1/workflows/experiments/metrics?run_id=${started.id}`);
      assertShape(missing.body, 'missingMetrics');
      assert.equal(missing.body.kind, 'no_metrics');
      const [result] = (await app.request('GET', `/v1/workflows/experiments/results?run_id=${started.id}`)).body.data;
      assert.equal(result.lifecycle.status, 'cancelled');
      model.setChatHandler(scriptedModel());

      const noDocument = await app.request('GET', `/v1/workflows/experiments/metrics?run_id=${started.id}&view=votes`);
      assert.equal(noDocument.status, 422);
      assert.equal((await app.request('GET', '/v1/workflows/experiments/metrics?run_id=exprun_none')).status, 404);
      const listed = await app.request('GET', `/v1/workflows/experiments?workflow_id=${workflowId}&block_id=${extractId}`);
      for (const item of listed.body.data) assertShape(item, 'experiment');
      assert.equal((await app.request('DELETE', `/v1/workflows/experiments/${copy.body.id}`)).status, 204);
      assert.equal((await app.request('GET', `/v1/workflows/experiments/${copy.body.id}`)).status, 404);
    });
  });
}
