import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { answerJson, hang, rateLimitedThen, startFakeModelServer, type FakeModelServer } from '../testing/fake-model-server.js';
import { allResults, sleep, startRun } from '../testing/fixtures.js';
import { startTestApp, waitForRun, type TestApp } from '../testing/harness.js';

const INVOICE_TEXT = 'Invoice INV-77\nVendor: Acme Tools\nTotal due: 1234.50 EUR\n';
const dataUrl = (text: string) => `data:text/plain;base64,${Buffer.from(text).toString('base64')}`;

describe('model-backed blocks through the API (fake OpenAI-compatible server on loopback)', () => {
  let model: FakeModelServer;
  let app: TestApp;
  let workflowId: string;
  let extractId: string;

  before(async () => {
    model = await startFakeModelServer({ chat: answerJson({ vendor: 'Acme Tools', total: 1234.5 }) });
    app = await startTestApp('sqlite', {}, { VERDICT_MODEL_BASE_URL: model.baseURL, VERDICT_MODEL: 'fake-model', VERDICT_EMBEDDING_MODEL: 'fake-embed' });
    workflowId = (await app.request('POST', '/v1/workflows', { name: 'extraction' })).body.id;
    const block = await app.request('POST', '/v1/workflows/blocks', {
      workflow_id: workflowId,
      type: 'extract',
      config: { model: 'retab-small', json_schema: { type: 'object', properties: { vendor: { type: 'string' }, total: { type: 'number' } }, required: ['vendor', 'total'] } },
    });
    assert.equal(block.status, 201, JSON.stringify(block.body));
    extractId = block.body.id;
  });
  after(async () => {
    await app.close();
    await model.close();
  });

  async function extractTest(document: unknown, condition: Record<string, unknown>, path: string | null) {
    const response = await app.request('POST', '/v1/workflows/tests', {
      workflow_id: workflowId,
      target: { type: 'block', block_id: extractId },
      source: { type: 'manual', handle_inputs: { 'input-file-document': { type: 'file', document } } },
      assertion: { target: { output_handle_id: 'output-json-0', path }, condition },
    });
    assert.equal(response.status, 201, JSON.stringify(response.body));
    return response.body;
  }

  test('files: POST /v1/files stores a data URL; a bad one is a 4xx naming the problem', async () => {
    const stored = await app.request('POST', '/v1/files', { filename: 'invoice.txt', url: dataUrl(INVOICE_TEXT) });
    assert.equal(stored.status, 201);
    assert.match(stored.body.id, /^file_/);
    assert.equal(stored.body.mime_type, 'text/plain');
    const again = await app.request('GET', `/v1/files/${stored.body.id}`);
    assert.deepEqual(again.body, stored.body);
    const corrupt = await app.request('POST', '/v1/files', { filename: 'x.pdf', url: 'data:application/pdf;base64,bm90IGEgcGRm' });
    assert.equal(corrupt.status, 422);
    assert.equal(corrupt.body.detail.code, 'validation_error');
    const badTest = await app.request('POST', '/v1/workflows/tests', {
      workflow_id: workflowId,
      target: { type: 'block', block_id: extractId },
      source: { type: 'manual', handle_inputs: { 'input-file-document': { type: 'file', document: { id: 'file_missing', filename: 'a.txt', mime_type: 'text/plain' } } } },
      assertion: { target: { output_handle_id: 'output-json-0', path: null }, condition: { kind: 'exists' } },
    });
    assert.equal(badTest.status, 422);
    assert.match(badTest.body.detail.details.issues[0].path, /input-file-document/);
  });

  test('extract on a text document, with embeddings similarity and an LLM judge, through a rate-limiting server', async () => {
    const stored = (await app.request('POST', '/v1/files', { filename: 'invoice.txt', url: dataUrl(INVOICE_TEXT) })).body;
    await extractTest({ filename: 'inline.txt', url: dataUrl(INVOICE_TEXT) }, { kind: 'equals', expected: 1234.5 }, 'total');
    await extractTest(stored, { kind: 'similarity_gte', method: 'embeddings', reference: 'Acme Tools', threshold: 0.99 }, 'vendor');
    await extractTest(stored, { kind: 'llm_judged_as', rubric: 'Is this a company name?' }, 'vendor');
    const extraction = rateLimitedThen({ vendor: 'Acme Tools', total: 1234.5 }, 2, 0);
    model.setChatHandler((request) => {
      const conversation = JSON.stringify(request.body.messages);
      if (conversation.includes('Is this a company name?')) return { content: JSON.stringify({ label: 'yes', reason: 'the vendor is a company name', confidence: 0.9 }) };
      return extraction(request);
    });
    const run = await waitForRun(app, (await startRun(app, workflowId)).id, 60_000);
    assert.equal(run.lifecycle.status, 'completed');
    const rows = await allResults(app, run.id);
    const verdicts = rows.map((row) => [row.assertion_result.condition_kind, row.verdict, row.assertion_result.failure?.message ?? null]);
    assert.deepEqual(verdicts.map(([kind, verdict]) => [kind, verdict]), [
      ['equals', 'passed'],
      ['similarity_gte', 'passed'],
      ['llm_judged_as', 'passed'],
    ], JSON.stringify(verdicts));
    assert.deepEqual(rows[0].outputs['output-json-0'], { vendor: 'Acme Tools', total: 1234.5 });
    assert.equal(rows[1].assertion_result.metric_kind, 'embeddings');
    assert.ok(rows[0].execution_details, 'the block reports what it did');
  });

  test('a run whose model calls hang is cancelled: the model server sees the connections closed within a second', async () => {
    model.setChatHandler(hang());
    const document = { filename: 'inline.txt', url: dataUrl(INVOICE_TEXT) };
    const tests = (await app.request('GET', `/v1/workflows/tests?workflow_id=${workflowId}`)).body.data.length;
    await extractTest(document, { kind: 'exists' }, null);
    const run = await startRun(app, workflowId);
    await model.hungRequestsReceived(Math.min(tests + 1, 8));
    const cancelledAt = Date.now();
    const cancel = await app.request('POST', `/v1/workflows/tests/runs/${run.id}/cancel`);
    assert.equal(cancel.status, 200);
    await Promise.race([model.hungRequestClosed(1), sleep(1000).then(() => assert.fail('hung model request still open 1 s after the cancel'))]);
    const closedAfterMs = Date.now() - cancelledAt;
    assert.ok(closedAfterMs < 1000, `closed after ${closedAfterMs} ms`);
    const final = await waitForRun(app, run.id);
    assert.equal(final.lifecycle.status, 'cancelled');
    assert.equal(final.counts.lifecycle_counts.running, 0);
  });
});
