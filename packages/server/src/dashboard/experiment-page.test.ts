import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startFakeModelServer, type FakeModelServer } from '../testing/fake-model-server.js';
import type { TestApp } from '../testing/harness.js';
import { signIn, startDashboardApp, type BrowserSession } from './test-support.js';

let model: FakeModelServer;
let server: TestApp;
let session: BrowserSession;

before(async () => {
  // Of each document's three voters, two say 10 and the third 12: each document scores 2/3.
  const asked = new Map<string, number>();
  model = await startFakeModelServer({
    chat: (request) => {
      const document = /document \d/.exec(JSON.stringify(request.body.messages))![0];
      const voter = asked.get(document) ?? 0;
      asked.set(document, voter + 1);
      return { content: JSON.stringify({ total: voter % 3 === 2 ? 12 : 10 }) };
    },
  });
  server = await startDashboardApp('sqlite', {}, { VERDICT_MODEL_BASE_URL: model.baseURL, VERDICT_MODEL: 'fake-model' });
  session = await signIn(server);
});
after(async () => {
  await server?.close();
  await model?.close();
});

async function waitForExperimentRun(runId: string): Promise<any> {
  for (let polls = 0; polls < 400; polls++) {
    const { body } = await server.request('GET', `/v1/workflows/experiments/runs/${runId}`);
    if (['completed', 'error', 'cancelled'].includes(body.lifecycle.status)) return body;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`experiment run ${runId} did not end`);
}

test('the experiment run page shows the score beside the prior run, per document and per field; its name is escaped', async () => {
  const workflowId = (await server.request('POST', '/v1/workflows', { name: 'dashboard experiments' })).body.id;
  const block = await server.request('POST', '/v1/workflows/blocks', {
    workflow_id: workflowId,
    type: 'extract',
    config: { json_schema: { type: 'object', properties: { total: { type: 'number' } }, required: ['total'] } },
  });
  const documents = [1, 2].map((n) => ({ handle_inputs: { 'input-file-document': { type: 'file', document: { filename: `doc-${n}.txt`, url: `data:text/plain;base64,${Buffer.from(`document ${n}`).toString('base64')}` } } } }));
  const experiment = (await server.request('POST', '/v1/workflows/experiments', { workflow_id: workflowId, block_id: block.body.id, name: '<b>totals</b>', documents })).body;
  const first = await waitForExperimentRun((await server.request('POST', '/v1/workflows/experiments/runs', { experiment_id: experiment.id })).body.id);
  const second = await waitForExperimentRun((await server.request('POST', '/v1/workflows/experiments/runs', { experiment_id: experiment.id })).body.id);
  assert.equal(second.lifecycle.status, 'completed');

  const page = await server.app.inject({ method: 'GET', url: `/experiments/runs/${second.id}`, headers: { cookie: session.cookie } });
  assert.equal(page.statusCode, 200);
  assert.match(page.body, /&lt;b&gt;totals&lt;\/b&gt;/);
  assert.match(page.body, /<strong>66\.7%<\/strong>/);
  assert.match(page.body, new RegExp(`prior run <code>${first.id}</code>: 66\\.7%`));
  assert.match(page.body, /doc-1\.txt/);
  assert.match(page.body, /<td class="cell-primary">total<\/td>/);
  const signedOut = await server.app.inject({ method: 'GET', url: `/experiments/runs/${second.id}` });
  assert.equal(signedOut.statusCode, 303, 'behind sign-in');
});
