import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startFakeModelServer, type FakeModelServer } from '../testing/fake-model-server.js';
import { allResults, startRun, whileAnotherTenantReads } from '../testing/fixtures.js';
import { startTestApp, waitForRun, type TestApp } from '../testing/harness.js';

const dataUrl = (text: string) => `data:text/plain;base64,${Buffer.from(text).toString('base64')}`;
const DOCUMENT = { filename: 'letter.txt', url: dataUrl('Dear customer, …') };

/**
 * Model blocks make their outputs on the main thread, from the model's answer: the answer is
 * refused before parsing when it is over the output limits, and the assertion runs as a check job
 * in a sandbox thread, under the same deadline as a function block's.
 */
describe('model block outputs are bounded and checked off the main thread', () => {
  let model: FakeModelServer;
  let app: TestApp;

  before(async () => {
    model = await startFakeModelServer();
    app = await startTestApp('sqlite', { checkTimeoutMs: 1000 }, { VERDICT_MODEL_BASE_URL: model.baseURL, VERDICT_MODEL: 'fake-model' });
  });
  after(async () => {
    await app.close();
    await model.close();
  });

  /** A workflow with one extract block and one test on it; the run's only row. */
  async function extractRow(answer: string, condition: Record<string, unknown>, path: string | null = null, jsonSchema: object = { type: 'object' }) {
    model.setChatHandler(() => ({ content: answer }));
    const workflowId = (await app.request('POST', '/v1/workflows', { name: 'extraction' })).body.id;
    const block = await app.request('POST', '/v1/workflows/blocks', { workflow_id: workflowId, type: 'extract', config: { json_schema: jsonSchema } });
    const created = await app.request('POST', '/v1/workflows/tests', {
      workflow_id: workflowId,
      target: { type: 'block', block_id: block.body.id },
      source: { type: 'manual', handle_inputs: { 'input-file-document': { type: 'file', document: DOCUMENT } } },
      assertion: { target: { output_handle_id: 'output-json-0', path }, condition },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const run = await waitForRun(app, (await startRun(app, workflowId)).id, 60_000);
    assert.equal(run.lifecycle.status, 'completed');
    // The single-result read: lists shorten long outputs (docs/decisions.md §5), and these tests read them whole.
    const [listed] = await allResults(app, run.id);
    return (await app.request('GET', `/v1/workflows/tests/results/${listed.id}`)).body;
  }

  test('an assertion on a model output is evaluated in a check job', async () => {
    const row = await extractRow(JSON.stringify({ total: 12 }), { kind: 'equals', expected: 12 }, 'total');
    assert.equal(row.verdict, 'passed');
    assert.deepEqual(row.outputs['output-json-0'], { total: 12 });
  });

  const DISTINCT_ITEMS = JSON.stringify({ items: Array.from({ length: 20_000 }, (_, i) => ({ a: 1, b: 2, i })) });

  test('a slow assertion on a model output is stopped at the check deadline; the output is kept, the main thread stays free', async () => {
    const { result: row, slowestGetMs } = await whileAnotherTenantReads(app, () =>
      extractRow(DISTINCT_ITEMS, { kind: 'json_schema_valid', schema: { type: 'array', uniqueItems: true } }, 'items'),
    );
    assert.equal(row.verdict, 'blocked');
    assert.equal(row.assertion_result.failure.code, 'execution_error');
    assert.equal(
      row.assertion_result.failure.message,
      'the assertion could not be evaluated: evaluating the assertion took longer than the 1000 ms check deadline (VERDICT_CHECK_TIMEOUT_MS), and was stopped',
    );
    assert.equal(row.outputs['output-json-0'].items.length, 20_000);
    assert.ok(slowestGetMs < 500, `another organization's GET took ${slowestGetMs} ms`);
  });

  test("a slow check of the answer against the block's json_schema is stopped at the check deadline, off the main thread", async () => {
    const schema = { type: 'object', properties: { items: { type: 'array', uniqueItems: true } } };
    const { result: row, slowestGetMs } = await whileAnotherTenantReads(app, () => extractRow(DISTINCT_ITEMS, { kind: 'exists' }, null, schema));
    assert.equal(row.verdict, 'blocked');
    assert.match(
      row.error.message,
      /unusable even after a repair turn: the answer could not be checked against the JSON schema: checking the output against its JSON Schema took longer than the 1000 ms check deadline/,
    );
    assert.ok(slowestGetMs < 500, `another organization's GET took ${slowestGetMs} ms`);
  });

  test('an answer that does not match json_schema is still reported as such', async () => {
    const row = await extractRow(JSON.stringify({ total: 'twelve' }), { kind: 'exists' }, null, { type: 'object', properties: { total: { type: 'number' } } });
    assert.equal(row.verdict, 'blocked');
    assert.match(row.error.message, /the answer does not match the JSON schema: `total` must be number/);
  });

  test('a model answer over the output limit is not parsed: the test is blocked with its size and the limit', async () => {
    const row = await extractRow(JSON.stringify({ text: 'x'.repeat(5_000_000) }), { kind: 'exists' });
    assert.equal(row.verdict, 'blocked');
    assert.match(
      row.error.message,
      /the model answered 5,000,011 bytes \(4\.8 MiB\) of JSON; a block's output may be at most 4,194,304 bytes \(4\.0 MiB\) \(VERDICT_MAX_OUTPUT_BYTES\)/,
    );
  });

  test('a model answer nested deeper than the limit is not parsed: the test is blocked naming the limit', async () => {
    const row = await extractRow(`{"a":${'['.repeat(6000)}${']'.repeat(6000)}}`, { kind: 'exists' });
    assert.equal(row.verdict, 'blocked');
    assert.match(row.error.message, /the model answered JSON nested more than 128 levels deep/);
  });
});
