import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { after, before, describe, test } from 'node:test';
import { answerJson, hang, sequence } from '../../testing/fake-model-server.js';
import { blockRequest, startModelTestbed, type ModelTestbed } from '../../testing/model-fixtures.js';
import { makeTextPdf, TINY_PNG } from '../../testing/pdf-fixture.js';
import { ModelClient } from '../../model/index.js';
import { ExtractBlockExecutor } from './extract.js';
import { BlockExecutionError } from './types.js';

const INVOICE_SCHEMA = {
  type: 'object',
  properties: { total: { type: 'number' }, vendor: { type: 'string' } },
  required: ['total'],
};

let bed: ModelTestbed;
let extract: ExtractBlockExecutor;
before(async () => {
  bed = await startModelTestbed({ VERDICT_MODEL_MAX_RETRIES: '1' });
  extract = new ExtractBlockExecutor({ models: bed.models });
});
after(() => bed.close());

function lastChatBody() {
  return bed.server.chatRequests().at(-1)!.body;
}

function userText(body: any): string {
  return body.messages.find((m: any) => m.role === 'user').content.map((part: any) => part.text ?? `[image ${part.image_url.url.slice(0, 22)}]`).join('\n');
}

describe('extract block', () => {
  test('extracts from a text document given as a data URL, validated against json_schema', async () => {
    bed.server.setChatHandler(answerJson({ total: 99.5, vendor: 'Acme' }));
    const document = await bed.fileInput('invoice.txt', 'text/plain', 'ACME SARL\nTotal due: 99.50 EUR');
    const output = await extract.execute(
      blockRequest('extract', { json_schema: INVOICE_SCHEMA, instructions: 'Amounts in EUR.', model: 'retab-small' }, { 'input-file-document': document }),
    );
    assert.deepEqual(output, {
      outputs: { 'output-json-0': { total: 99.5, vendor: 'Acme' } },
      routingDecision: null,
      warnings: [],
      details: { model: 'fake-model', model_calls: 1, cache_hits: 0, usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 }, n_consensus: 1 },
    });
    const body = lastChatBody();
    assert.equal(body.model, 'fake-model');
    assert.equal(body.temperature, 0);
    assert.deepEqual(body.response_format.json_schema.schema, INVOICE_SCHEMA);
    assert.match(body.messages[0].content, /Instructions:\nAmounts in EUR\./);
    assert.match(userText(body), /Input "document": file "invoice\.txt" \(text\/plain\), 1 page\.\n--- Page 1 ---\nACME SARL\nTotal due: 99\.50 EUR/);
  });

  test('reads named file and JSON inputs, PDF pages and images', async () => {
    bed.server.setChatHandler(answerJson({ total: 1 }));
    const config = {
      json_schema: INVOICE_SCHEMA,
      model: 'vision-model',
      inputs: [
        { name: 'invoice', type: 'file' },
        { name: 'stamp', type: 'file' },
        { name: 'context', type: 'json' },
      ],
    };
    await extract.execute(
      blockRequest('extract', config, {
        'input-file-invoice': await bed.fileInput('i.pdf', 'application/pdf', makeTextPdf(['Invoice 7', 'Total 1.00'])),
        'input-file-stamp': await bed.fileInput('stamp.png', 'image/png', TINY_PNG),
        'input-json-context': { type: 'json', data: { currency: 'EUR' } },
      }),
    );
    const body = lastChatBody();
    assert.equal(body.model, 'vision-model');
    const text = userText(body);
    assert.match(text, /Input "invoice": file "i\.pdf" \(application\/pdf\), 2 pages\.\n--- Page 1 ---\nInvoice 7\n--- Page 2 ---\nTotal 1\.00/);
    assert.match(text, /Input "stamp": file "stamp\.png" \(image\/png\), 1 page\.\n--- Page 1 \(image\) ---\n\[image data:image\/png;base64,\]/);
    assert.match(text, /Input "context" \(JSON\):\n\{\n  "currency": "EUR"\n\}/);
  });

  test('a missing input is a block failure naming the handle', async () => {
    await assert.rejects(extract.execute(blockRequest('extract', { json_schema: INVOICE_SCHEMA }, {})), {
      code: 'missing_input',
      message: /`input-file-document`/,
    });
    const config = { inputs: [{ name: 'data', type: 'json' }] };
    await assert.rejects(extract.execute(blockRequest('extract', config, {})), { code: 'missing_input', message: /input-json-data/ });
  });

  test('n_consensus runs n samples and keeps the per-field majority with likelihoods', async () => {
    const answers = [
      { total: 12, vendor: 'Acme' },
      { total: 13, vendor: 'Acme' },
      { total: 12, vendor: 'ACME' },
    ];
    bed.server.setChatHandler((request) => ({ content: JSON.stringify(answers[request.index % 3]) }));
    const start = bed.server.chatRequests().length;
    const document = await bed.fileInput('a.txt', 'text/plain', 'x');
    const output = await extract.execute(blockRequest('extract', { json_schema: INVOICE_SCHEMA, n_consensus: 3 }, { 'input-file-document': document }));
    assert.deepEqual(output.outputs, { 'output-json-0': { total: 12, vendor: 'Acme' } });
    assert.deepEqual(output.details?.likelihoods, { total: 2 / 3, vendor: 2 / 3 });
    assert.equal(output.details?.model_calls, 3);
    const sent = bed.server.chatRequests().slice(start);
    assert.equal(sent.length, 3);
    assert.ok(sent.every((r) => r.body.temperature === 1));
  });

  test('an answer that never matches json_schema is invalid_model_output', async () => {
    bed.server.setChatHandler(answerJson({ total: 'a lot' }));
    const document = await bed.fileInput('a.txt', 'text/plain', 'x');
    await assert.rejects(extract.execute(blockRequest('extract', { json_schema: INVOICE_SCHEMA }, { 'input-file-document': document })), (error: unknown) => {
      assert.ok(error instanceof BlockExecutionError);
      assert.equal(error.code, 'invalid_model_output');
      return true;
    });
  });

  test('a server failing after retries is provider_error; no server is provider_not_configured', async () => {
    bed.server.setChatHandler(() => ({ status: 503, body: { error: { message: 'overloaded' } } }));
    const document = await bed.fileInput('a.txt', 'text/plain', 'x');
    await assert.rejects(extract.execute(blockRequest('extract', {}, { 'input-file-document': document })), {
      name: 'BlockExecutionError',
      code: 'provider_error',
      message: /after 2 attempts: 503/,
    });
    const unconfigured = new ExtractBlockExecutor({ models: null });
    await assert.rejects(unconfigured.execute(blockRequest('extract', {}, { 'input-file-document': document })), {
      code: 'provider_not_configured',
      message: /VERDICT_MODEL_BASE_URL/,
    });
  });

  test('an unusable json_schema is schema_invalid before any model call', async () => {
    const start = bed.server.chatRequests().length;
    await assert.rejects(extract.execute(blockRequest('extract', { json_schema: { type: 'not-a-type' } }, {})), { code: 'schema_invalid' });
    assert.equal(bed.server.chatRequests().length, start);
  });

  test('a cancelled run rethrows the abort instead of failing the block, and closes the connection', { timeout: 5000 }, async () => {
    bed.server.setChatHandler(hang());
    const controller = new AbortController();
    const document = await bed.fileInput('a.txt', 'text/plain', 'x');
    const running = extract.execute(blockRequest('extract', {}, { 'input-file-document': document }, controller.signal));
    await bed.server.hungRequestsReceived(1);
    const reason = new DOMException('The run was cancelled.', 'AbortError');
    controller.abort(reason);
    await assert.rejects(running, (error) => error === reason);
    await bed.server.hungRequestClosed(1);
  });

  test('with n_consensus, a cancelled run aborts every sample; finished samples leave no listener on the run signal', { timeout: 5000 }, async () => {
    const own = await startModelTestbed();
    try {
      const consensus = new ExtractBlockExecutor({ models: own.models });
      const document = await own.fileInput('a.txt', 'text/plain', 'x');
      const runSignal = new AbortController();
      own.server.setChatHandler(answerJson({ total: 1 }));
      await consensus.execute(blockRequest('extract', { n_consensus: 3 }, { 'input-file-document': document }, runSignal.signal));
      assert.equal(getEventListeners(runSignal.signal, 'abort').length, 0);

      own.server.setChatHandler(hang());
      const running = consensus.execute(blockRequest('extract', { n_consensus: 3 }, { 'input-file-document': document }, runSignal.signal));
      await own.server.hungRequestsReceived(3);
      const reason = new DOMException('The run was cancelled.', 'AbortError');
      runSignal.abort(reason);
      await assert.rejects(running, (error) => error === reason);
      for (const n of [1, 2, 3]) await own.server.hungRequestClosed(n);
    } finally {
      await own.close();
    }
  });
});

describe('extract block with the response cache', () => {
  test('a recorded answer is reported as a cache hit, with no model call', async () => {
    const cached = await startModelTestbed({ VERDICT_MODEL_CACHE: 'readwrite' });
    try {
      cached.server.setChatHandler(answerJson({ total: 5 }));
      const executor = new ExtractBlockExecutor({ models: cached.models });
      const document = await cached.fileInput('a.txt', 'text/plain', 'Total 5');
      const request = blockRequest('extract', { json_schema: INVOICE_SCHEMA }, { 'input-file-document': document });
      const first = await executor.execute(request);
      const second = await executor.execute(request);
      assert.deepEqual(first.details, { model: 'fake-model', model_calls: 1, cache_hits: 0, usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 }, n_consensus: 1 });
      assert.deepEqual(second.details, { model: 'fake-model', model_calls: 0, cache_hits: 1, usage: { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 }, n_consensus: 1 });
      assert.deepEqual(second.outputs, first.outputs);
      assert.equal(cached.server.chatRequests().length, 1);
    } finally {
      await cached.close();
    }
  });

  test('with n_consensus each vote replays its own recorded answer, so the replayed output and votes are the recorded ones', async () => {
    const cached = await startModelTestbed({ VERDICT_MODEL_CACHE: 'readwrite' });
    try {
      cached.server.setChatHandler(sequence(answerJson({ total: 5 }), answerJson({ total: 7 }), answerJson({ total: 7 })));
      const document = await cached.fileInput('a.txt', 'text/plain', 'Total 5 or 7');
      const request = blockRequest('extract', { json_schema: INVOICE_SCHEMA, n_consensus: 3 }, { 'input-file-document': document });
      const recorded = await new ExtractBlockExecutor({ models: cached.models }).execute(request);
      const replaying = new ModelClient({ ...cached.models.config, baseURL: null, cacheMode: 'replay' });
      const replayed = await new ExtractBlockExecutor({ models: replaying }).execute(request);
      assert.deepEqual(new Set((recorded.details!.votes as { total: number }[]).map((vote) => vote.total)), new Set([5, 7]), 'the samples disagreed');
      assert.deepEqual(replayed.outputs, recorded.outputs);
      assert.deepEqual(replayed.details, { ...recorded.details, model_calls: 0, cache_hits: 3, usage: { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 } });
      assert.equal(cached.server.chatRequests().length, 3);
    } finally {
      await cached.close();
    }
  });
});
