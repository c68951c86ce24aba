import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  answerJson,
  failOnceThen,
  hang,
  malformedThen,
  rateLimitedThen,
  rejectJsonSchema,
  sequence,
  startFakeModelServer,
  textEmbeddings,
  type FakeModelServer,
} from '../testing/fake-model-server.js';
import { ModelClient, type ChatJsonRequest } from './client.js';
import { modelConfigFromEnv } from '../config.js';
import type { ModelConfig } from './config.js';
import { ModelError } from './errors.js';

const FAST_RETRY = { baseDelayMs: 5, maxDelayMs: 20 };
const TOTAL_SCHEMA = { type: 'object', properties: { total: { type: 'number' } }, required: ['total'] };

let server: FakeModelServer;
let dataDir: string;

before(async () => {
  server = await startFakeModelServer();
  dataDir = await mkdtemp(join(tmpdir(), 'verdict-model-'));
});
after(async () => {
  await server.close();
  await rm(dataDir, { recursive: true, force: true });
});

function config(overrides: Record<string, string> = {}, baseURL = server.baseURL): ModelConfig {
  return modelConfigFromEnv({ VERDICT_MODEL_BASE_URL: baseURL, VERDICT_MODEL: 'fake-model', VERDICT_EMBEDDING_MODEL: 'fake-embed', ...overrides }, dataDir)!;
}

function client(overrides: Record<string, string> = {}): ModelClient {
  return new ModelClient(config(overrides), { retry: FAST_RETRY });
}

function askTotal(signal: AbortSignal): ChatJsonRequest {
  return { model: 'fake-model', messages: [{ role: 'user', content: 'What is the total?' }], jsonSchema: TOTAL_SCHEMA, schemaName: 'invoice', signal };
}

function neverAborted(): AbortSignal {
  return new AbortController().signal;
}

function requestsSince(start: number) {
  return server.chatRequests().slice(start);
}

describe('ModelClient.chatJson', () => {
  test('asks for a json_schema response format and returns the parsed answer', async () => {
    server.setChatHandler(answerJson({ total: 12 }));
    const start = server.chatRequests().length;
    const result = await client().chatJson({ ...askTotal(neverAborted()), temperature: 0 });
    assert.deepEqual(result, { value: { total: 12 }, raw: '{"total":12}', cached: false, attempts: 1, usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 } });
    const [sent] = requestsSince(start);
    assert.equal(sent.body.model, 'fake-model');
    assert.equal(sent.body.temperature, 0);
    assert.deepEqual(sent.body.response_format, { type: 'json_schema', json_schema: { name: 'invoice', schema: TOTAL_SCHEMA, strict: false } });
  });

  test('falls back to JSON mode with the schema in the prompt when the server refuses json_schema, and remembers it', async () => {
    server.setChatHandler(rejectJsonSchema({ total: 7 }));
    const start = server.chatRequests().length;
    const models = client();
    const first = await models.chatJson(askTotal(neverAborted()));
    assert.deepEqual(first.value, { total: 7 });
    assert.equal(first.attempts, 2);
    const [refused, accepted] = requestsSince(start);
    assert.equal(refused.body.response_format.type, 'json_schema');
    assert.deepEqual(accepted.body.response_format, { type: 'json_object' });
    assert.match(accepted.body.messages[0].content, /JSON Schema:\n\{"type":"object"/);

    const second = await models.chatJson(askTotal(neverAborted()));
    assert.equal(second.attempts, 1, 'the refused format is not tried again');
    assert.equal(requestsSince(start).length, 3);
  });

  test('repairs a malformed answer with one more turn that quotes the problem', async () => {
    server.setChatHandler(malformedThen({ total: 3 }));
    const start = server.chatRequests().length;
    const result = await client().chatJson(askTotal(neverAborted()));
    assert.deepEqual(result.value, { total: 3 });
    assert.equal(result.attempts, 2);
    assert.deepEqual(result.usage, { prompt_tokens: 2, completion_tokens: 2, total_tokens: 4 }, 'the repair turn spent tokens too');
    const repair = requestsSince(start)[1].body.messages;
    assert.equal(repair.at(-2).role, 'assistant');
    assert.equal(repair.at(-2).content, '{"total": 12,, oops');
    assert.match(repair.at(-1).content, /not valid JSON/);
  });

  test('repairs an answer that misses the schema, and gives up after one repair', async () => {
    server.setChatHandler(answerJson({ total: 'twelve' }));
    const start = server.chatRequests().length;
    await assert.rejects(client().chatJson(askTotal(neverAborted())), (error: unknown) => {
      assert.ok(error instanceof ModelError);
      assert.equal(error.code, 'invalid_model_output');
      assert.match(error.message, /total.* must be number/);
      return true;
    });
    assert.equal(requestsSince(start).length, 2);
  });

  test('reads JSON wrapped in a Markdown fence', async () => {
    server.setChatHandler(() => ({ content: '```json\n{"total": 5}\n```' }));
    assert.deepEqual((await client().chatJson(askTotal(neverAborted()))).value, { total: 5 });
  });

  test('waits for Retry-After on 429, then succeeds', async () => {
    server.setChatHandler(rateLimitedThen({ total: 1 }, 1, 1));
    const started = performance.now();
    const result = await client().chatJson(askTotal(neverAborted()));
    const elapsed = performance.now() - started;
    assert.deepEqual(result.value, { total: 1 });
    assert.equal(result.attempts, 2);
    assert.ok(elapsed >= 950, `waited ${elapsed} ms for Retry-After: 1`);
    assert.ok(elapsed < 3000, `waited ${elapsed} ms`);
  });

  test('retries a 5xx answer', async () => {
    server.setChatHandler(failOnceThen({ total: 2 }, 503));
    const result = await client().chatJson(askTotal(neverAborted()));
    assert.deepEqual(result.value, { total: 2 });
    assert.equal(result.attempts, 2);
  });

  test('gives up after VERDICT_MODEL_MAX_RETRIES retries with provider_error', async () => {
    server.setChatHandler(() => ({ status: 500, body: { error: { message: 'boom' } } }));
    const start = server.chatRequests().length;
    await assert.rejects(client({ VERDICT_MODEL_MAX_RETRIES: '2' }).chatJson(askTotal(neverAborted())), (error: unknown) => {
      assert.ok(error instanceof ModelError);
      assert.equal(error.code, 'provider_error');
      assert.deepEqual(error.details, { status: 500, attempts: 3 });
      assert.equal((error.cause as { status?: number }).status, 500, "the last attempt's failure is kept as the cause");
      return true;
    });
    assert.equal(requestsSince(start).length, 3);
  });

  test('does not retry a 401', async () => {
    server.setChatHandler(() => ({ status: 401, body: { error: { message: 'Incorrect API key' } } }));
    const start = server.chatRequests().length;
    await assert.rejects(client().chatJson(askTotal(neverAborted())), /Incorrect API key/);
    assert.equal(requestsSince(start).length, 1);
  });

  test('an aborted hung request closes the server-side connection within a second', async () => {
    server.setChatHandler(hang());
    const controller = new AbortController();
    const call = client().chatJson(askTotal(controller.signal));
    await server.hungRequestsReceived(1);
    const closed = server.hungRequestClosed(1);
    const abortedAt = performance.now();
    controller.abort(new Error('run cancelled'));
    await assert.rejects(call, /run cancelled/);
    await closed;
    const closedAfter = performance.now() - abortedAt;
    assert.ok(closedAfter < 1000, `connection closed ${closedAfter} ms after the abort`);
  });

  test('an abort during a backoff wait ends the call at once', async () => {
    server.setChatHandler(() => ({ status: 429, headers: { 'retry-after': '30' }, body: { error: { message: 'slow down' } } }));
    const controller = new AbortController();
    const start = server.chatRequests().length;
    const call = client().chatJson(askTotal(controller.signal));
    while (requestsSince(start).length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    await new Promise((resolve) => setTimeout(resolve, 50)); // now inside the 30 s wait
    const abortedAt = performance.now();
    controller.abort(new Error('run cancelled'));
    await assert.rejects(call, /run cancelled/);
    assert.ok(performance.now() - abortedAt < 100);
    assert.equal(requestsSince(start).length, 1);
  });

  test('a per-attempt timeout is retried, then reported as provider_error', async () => {
    server.setChatHandler(hang());
    const hungBefore = server.requests.length;
    const models = client({ VERDICT_MODEL_TIMEOUT_MS: '150', VERDICT_MODEL_MAX_RETRIES: '1' });
    await assert.rejects(models.chatJson(askTotal(neverAborted())), (error: unknown) => {
      assert.ok(error instanceof ModelError);
      assert.equal(error.code, 'provider_error');
      assert.match(error.message, /timed out/i);
      assert.equal(error.details.attempts, 2);
      return true;
    });
    assert.equal(server.requests.length - hungBefore, 2);
  });

  test('never has more requests in flight than VERDICT_MODEL_CONCURRENCY', async () => {
    const limited = await startFakeModelServer({ chat: () => ({ content: '{"total": 1}', delayMs: 60 }) });
    try {
      const models = new ModelClient(config({ VERDICT_MODEL_CONCURRENCY: '2' }, limited.baseURL), { retry: FAST_RETRY });
      const results = await Promise.all(Array.from({ length: 7 }, () => models.chatJson(askTotal(neverAborted()))));
      assert.equal(results.length, 7);
      assert.equal(limited.peakConcurrentRequests(), 2);
    } finally {
      await limited.close();
    }
  });

  test('records answers in readwrite mode and replays them with the server gone', async () => {
    const recorder = await startFakeModelServer({ chat: answerJson({ total: 42 }) });
    const cacheDir = await mkdtemp(join(tmpdir(), 'verdict-cache-'));
    const cacheConfig = (mode: string, baseURL: string) =>
      ({ ...modelConfigFromEnv({ VERDICT_MODEL_BASE_URL: baseURL, VERDICT_MODEL_CACHE: mode, VERDICT_EMBEDDING_MODEL: 'e' }, cacheDir)! });
    try {
      const recording = new ModelClient(cacheConfig('readwrite', recorder.baseURL));
      const first = await recording.chatJson(askTotal(neverAborted()));
      const again = await recording.chatJson(askTotal(neverAborted()));
      const vectors = await recording.embed({ model: 'e', texts: ['a b'], signal: neverAborted() });
      assert.equal(first.cached, false);
      assert.deepEqual({ ...again, cached: true }, { value: { total: 42 }, raw: '{"total":42}', cached: true, attempts: 0, usage: { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 } });
      assert.equal(recorder.requests.length, 2, 'the second chat call was a cache hit');
      await recorder.close();

      const replaying = new ModelClient(cacheConfig('replay', recorder.baseURL));
      assert.deepEqual((await replaying.chatJson(askTotal(neverAborted()))).value, { total: 42 });
      assert.deepEqual((await replaying.embed({ model: 'e', texts: ['a b'], signal: neverAborted() })).vectors, vectors.vectors);
      await assert.rejects(
        replaying.chatJson({ ...askTotal(neverAborted()), sample: 2 }),
        (error: unknown) => error instanceof ModelError && error.code === 'model_cache_miss',
      );
    } finally {
      await rm(cacheDir, { recursive: true, force: true });
    }
  });
  test('a recorded answer is replayed for the same schema written with its keys in another order, and not for another schema', async () => {
    const recorder = await startFakeModelServer({ chat: answerJson({ total: 42 }) });
    const cacheDir = await mkdtemp(join(tmpdir(), 'verdict-cache-'));
    const cacheConfig = (mode: string) => ({ ...modelConfigFromEnv({ VERDICT_MODEL_BASE_URL: recorder.baseURL, VERDICT_MODEL_CACHE: mode }, cacheDir)! });
    try {
      await new ModelClient(cacheConfig('readwrite')).chatJson(askTotal(neverAborted()));
      await recorder.close();
      const replaying = new ModelClient(cacheConfig('replay'));
      const reordered = { required: ['total'], properties: { total: { type: 'number' } }, type: 'object' };
      assert.deepEqual(await replaying.chatJson({ ...askTotal(neverAborted()), jsonSchema: reordered }), { value: { total: 42 }, raw: '{"total":42}', cached: true, attempts: 0, usage: { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 } });
      await assert.rejects(
        replaying.chatJson({ ...askTotal(neverAborted()), jsonSchema: { ...reordered, required: [] } }),
        (error: unknown) => error instanceof ModelError && error.code === 'model_cache_miss',
      );
    } finally {
      await rm(cacheDir, { recursive: true, force: true });
    }
  });

  test('an organization replays only the answers recorded for its own calls', async () => {
    const recorder = await startFakeModelServer({ chat: answerJson({ total: 42 }), embeddings: textEmbeddings });
    const cacheDir = await mkdtemp(join(tmpdir(), 'verdict-cache-'));
    const cacheConfig = (mode: string) => ({ ...modelConfigFromEnv({ VERDICT_MODEL_BASE_URL: recorder.baseURL, VERDICT_MODEL_CACHE: mode, VERDICT_EMBEDDING_MODEL: 'e' }, cacheDir)! });
    const ask = (organizationId: string) => ({ ...askTotal(neverAborted()), organizationId });
    const embed = (organizationId: string) => ({ model: 'e', texts: ['a b'], organizationId, signal: neverAborted() });
    const isMiss = (error: unknown) => error instanceof ModelError && error.code === 'model_cache_miss';
    try {
      const recording = new ModelClient(cacheConfig('readwrite'));
      await recording.chatJson(ask('org_a'));
      await recording.embed(embed('org_a'));
      assert.equal(recorder.requests.length, 2);
      assert.equal((await recording.chatJson(ask('org_b'))).cached, false, "the same request of another organization is not answered from org_a's record");
      assert.equal((await recording.embed(embed('org_b'))).cached, false);
      assert.equal(recorder.requests.length, 4);

      const replaying = new ModelClient(cacheConfig('replay'));
      assert.equal((await replaying.chatJson(ask('org_a'))).cached, true);
      assert.equal((await replaying.embed(embed('org_a'))).cached, true);
      await assert.rejects(replaying.chatJson(ask('org_c')), isMiss);
      await assert.rejects(replaying.embed(embed('org_c')), isMiss);
      await assert.rejects(replaying.chatJson(askTotal(neverAborted())), isMiss, 'a call for no organization reads no tenant\'s record');
    } finally {
      await recorder.close();
      await rm(cacheDir, { recursive: true, force: true });
    }
  });
});

describe('ModelClient.embed', () => {
  test('returns one vector per text, in order, from the embedding model', async () => {
    const start = server.requests.length;
    const result = await client().embed({ model: 'fake-embed', texts: ['invoice total', 'invoice total', 'weather report'], signal: neverAborted() });
    assert.equal(result.vectors.length, 3);
    assert.deepEqual(result.vectors[0], result.vectors[1]);
    assert.notDeepEqual(result.vectors[0], result.vectors[2]);
    const sent = server.requests[start];
    assert.equal(sent.path, '/v1/embeddings');
    assert.equal(sent.body.model, 'fake-embed');
    assert.equal(sent.body.encoding_format, 'float');
  });

  test('makes no request for no texts', async () => {
    const start = server.requests.length;
    assert.deepEqual(await client().embed({ model: 'fake-embed', texts: [], signal: neverAborted() }), { vectors: [], cached: false, attempts: 0 });
    assert.equal(server.requests.length, start);
  });

  test('reports a malformed embeddings answer as provider_error', async () => {
    server.setEmbeddingsHandler(() => ({ status: 200, body: { object: 'list', data: [] } }));
    try {
      await assert.rejects(client().embed({ model: 'fake-embed', texts: ['x'], signal: neverAborted() }), { code: 'provider_error' });
    } finally {
      server.setEmbeddingsHandler(textEmbeddings);
    }
  });
});

describe('ModelClient model names', () => {
  test('maps a missing model and Retab aliases to VERDICT_MODEL, keeps others', () => {
    const models = client();
    assert.equal(models.chatModel(undefined), 'fake-model');
    assert.equal(models.chatModel('retab-large'), 'fake-model');
    assert.equal(models.chatModel('gpt-4.1-mini'), 'gpt-4.1-mini');
  });

  test('reports provider_not_configured when no model name can be found', () => {
    const models = new ModelClient(modelConfigFromEnv({ VERDICT_MODEL_BASE_URL: server.baseURL }, dataDir)!);
    assert.throws(() => models.chatModel('retab-small'), { code: 'provider_not_configured' });
    assert.throws(() => models.embeddingModel(), { code: 'provider_not_configured' });
  });
});

test('sequence gives each call the next handler and repeats the last', async () => {
  const scripted = sequence(answerJson(1), answerJson(2));
  const request = { path: '/v1/chat/completions', headers: {}, body: null, index: 0 };
  assert.deepEqual([await scripted(request), await scripted(request), await scripted(request)], [{ content: '1' }, { content: '2' }, { content: '2' }]);
});
