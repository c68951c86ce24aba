import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startFakeModelServer, type FakeModelServer, type RecordedRequest } from '../testing/fake-model-server.js';
import { startTestApp, testStores, waitForRun, type TestApp } from '../testing/harness.js';
import { createWorkflowGraph, stepsOfRun, waitForWorkflowRun } from '../testing/workflow-graphs.js';

/** Four pages of text (a text file's pages are separated by form feeds): an invoice on 1–2, a receipt on 3–4. */
const PAGES = ['INVOICE-HEADER acme', 'INVOICE-LINES bolts 5', 'RECEIPT-TOP corner shop', 'RECEIPT-TOTAL 9'];
const DOCUMENT = { filename: 'bundle.txt', url: `data:text/plain;base64,${Buffer.from(PAGES.join('\f')).toString('base64')}` };

const SPLIT_USAGE = { prompt_tokens: 40, completion_tokens: 12, total_tokens: 52 };
const EXTRACT_USAGE = { prompt_tokens: 25, completion_tokens: 4, total_tokens: 29 };

const isSplitRequest = (request: RecordedRequest) => JSON.stringify(request.body.messages).includes('You split');
const promptText = (request: RecordedRequest) => JSON.stringify(request.body.messages);

for (const store of testStores()) {
  describe(`a split's page subsets flow downstream (${store})`, () => {
    let model: FakeModelServer;
    let app: TestApp;

    before(async () => {
      model = await startFakeModelServer({
        chat: (request) =>
          isSplitRequest(request)
            ? { content: JSON.stringify({ splits: [{ name: 'invoice', pages: [1, 2] }, { name: 'receipt', pages: [3, 4] }] }), usage: SPLIT_USAGE }
            : { content: JSON.stringify({ total: 5 }), usage: EXTRACT_USAGE },
      });
      app = await startTestApp(store, {}, { VERDICT_MODEL_BASE_URL: model.baseURL, VERDICT_MODEL: 'fake-model' });
    });
    after(async () => {
      await app?.close();
      await model?.close();
    });

    test('start_document → split → extract on the invoice branch: the extract step records pages 1–2 and the model reads only them; artifacts carry the summed token usage', async () => {
      const { workflowId, ids } = await createWorkflowGraph(
        app,
        [
          { key: 'doc', type: 'start_document' },
          { key: 'split', type: 'split', config: { subdocuments: [{ name: 'invoice', description: 'the invoice' }, { name: 'receipt', description: 'a receipt' }] } },
          { key: 'invoice', type: 'extract', config: { json_schema: { type: 'object', properties: { total: { type: 'number' } } }, n_consensus: 3 } },
        ],
        [
          { from: 'doc', to: 'split' },
          { from: 'split', to: 'invoice', sourceHandle: 'output-file-invoice', targetHandle: 'input-file-document' },
        ],
      );
      const created = await app.request('POST', '/v1/workflows/runs', { workflow_id: workflowId, documents: { [ids.doc!]: DOCUMENT } });
      assert.equal(created.status, 202, JSON.stringify(created.body));
      const run = await waitForWorkflowRun(app, created.body.id);
      assert.equal(run.lifecycle.status, 'completed', JSON.stringify(run.lifecycle));

      const steps = new Map((await stepsOfRun(app, run.id)).map((step) => [step.block_id, step]));
      const split = steps.get(ids.split!);
      assert.deepEqual(split.handle_outputs['output-file-invoice'].pages, [1, 2]);
      assert.deepEqual(split.handle_outputs['output-file-receipt'].pages, [3, 4]);
      assert.deepEqual(split.handle_outputs['output-json-splits'].data, { splits: [{ name: 'invoice', pages: [1, 2] }, { name: 'receipt', pages: [3, 4] }] });

      const extract = steps.get(ids.invoice!);
      const input = extract.handle_inputs['input-file-document'];
      assert.equal(input.type, 'file');
      assert.deepEqual(input.pages, [1, 2], JSON.stringify(extract.handle_inputs));
      assert.equal(input.document.filename, 'bundle.txt');
      assert.deepEqual(extract.handle_outputs['output-json-0'].data, { total: 5 });

      const extractRequests = model.chatRequests().filter((request) => !isSplitRequest(request));
      assert.equal(extractRequests.length, 3, 'one request per consensus vote');
      for (const request of extractRequests) {
        const text = promptText(request);
        assert.match(text, /INVOICE-HEADER/);
        assert.match(text, /INVOICE-LINES/);
        assert.doesNotMatch(text, /RECEIPT-/, 'the receipt pages never reach the invoice extraction');
      }
      const splitRequest = model.chatRequests().find(isSplitRequest)!;
      assert.match(promptText(splitRequest), /RECEIPT-TOTAL/, 'the split itself read the whole document');

      const extraction = await app.request('GET', `/v1/workflows/artifacts/${extract.artifact.id}`);
      assert.equal(extraction.status, 200, JSON.stringify(extraction.body));
      assert.deepEqual(extraction.body.usage, { credits: 0, prompt_tokens: 75, completion_tokens: 12, total_tokens: 87 }, 'three votes, summed');
      const splitArtifact = await app.request('GET', `/v1/workflows/artifacts/${split.artifact.id}`);
      assert.deepEqual(splitArtifact.body.usage, { credits: 0, ...SPLIT_USAGE });

      // A test captured from the extract step keeps the subset: its run reads pages 1–2 only.
      const saved = await app.request('POST', '/v1/workflows/tests', {
        workflow_id: workflowId,
        target: { type: 'block', block_id: ids.invoice },
        source: { type: 'run_step', run_id: run.id },
        assertion: { target: { output_handle_id: 'output-json-0', path: 'total' }, condition: { kind: 'equals', expected: 5 } },
      });
      assert.equal(saved.status, 201, JSON.stringify(saved.body));
      const before = model.chatRequests().length;
      const testRun = await app.request('POST', '/v1/workflows/tests/runs', { workflow_id: workflowId });
      const finished = await waitForRun(app, testRun.body.id);
      assert.deepEqual(finished.counts.outcome, { passed: 1, failed: 0, blocked: 0 });
      const [result] = (await app.request('GET', `/v1/workflows/tests/results?run_id=${testRun.body.id}`)).body.data;
      assert.deepEqual(result.handle_inputs['input-file-document'].pages, [1, 2]);
      const replayed = model.chatRequests().slice(before);
      assert.equal(replayed.length, 3);
      for (const request of replayed) assert.doesNotMatch(promptText(request), /RECEIPT-/);
    });

    test('a block execution of the extract step replays the page subset it recorded', async () => {
      const { workflowId, ids } = await createWorkflowGraph(
        app,
        [
          { key: 'doc', type: 'start_document' },
          { key: 'split', type: 'split', config: { subdocuments: [{ name: 'invoice' }, { name: 'receipt' }] } },
          { key: 'receipt', type: 'extract', config: { json_schema: { type: 'object' } } },
        ],
        [
          { from: 'doc', to: 'split' },
          { from: 'split', to: 'receipt', sourceHandle: 'output-file-receipt', targetHandle: 'input-file-document' },
        ],
      );
      const created = await app.request('POST', '/v1/workflows/runs', { workflow_id: workflowId, documents: { [ids.doc!]: DOCUMENT } });
      const run = await waitForWorkflowRun(app, created.body.id);
      assert.equal(run.lifecycle.status, 'completed', JSON.stringify(run.lifecycle));
      const before = model.chatRequests().length;
      const execution = await app.request('POST', '/v1/workflows/blocks/executions', { run_id: run.id, block_id: ids.receipt, step_id: ids.receipt });
      assert.equal(execution.status, 201, JSON.stringify(execution.body));
      assert.deepEqual(execution.body.handle_inputs['input-file-document'].pages, [3, 4], JSON.stringify(execution.body));
      const replayed = model.chatRequests().slice(before);
      assert.equal(replayed.length, 1);
      assert.match(promptText(replayed[0]!), /RECEIPT-TOTAL/);
      assert.doesNotMatch(promptText(replayed[0]!), /INVOICE-/);
    });
  });
}
