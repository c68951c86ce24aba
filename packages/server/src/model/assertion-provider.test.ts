import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { evaluateAssertion, type AssertionSpec } from '@verdict/core';
import { answerJson, startFakeModelServer, type FakeModelServer } from '../testing/fake-model-server.js';
import { ModelAssertionProvider } from './assertion-provider.js';
import { ModelClient } from './client.js';
import { modelConfigFromEnv } from '../config.js';

let server: FakeModelServer;
let provider: ModelAssertionProvider;

before(async () => {
  server = await startFakeModelServer();
  const config = modelConfigFromEnv({ VERDICT_MODEL_BASE_URL: server.baseURL, VERDICT_MODEL: 'judge-model', VERDICT_EMBEDDING_MODEL: 'embed-model' }, '/unused');
  provider = new ModelAssertionProvider(new ModelClient(config!));
});
after(() => server.close());

function cosine(a: number[], b: number[]): number {
  const dot = a.reduce((sum, x, i) => sum + x * b[i], 0);
  return dot / (Math.hypot(...a) * Math.hypot(...b));
}

test('judge asks VERDICT_MODEL at temperature 0 for a yes/no verdict with its reason', async () => {
  server.setChatHandler(answerJson({ label: 'yes', reason: 'The total is a positive amount.', confidence: 0.9 }));
  const start = server.chatRequests().length;
  const verdict = await provider.judge({ rubric: 'The total is positive.', value: { total: 12 }, expectedLabel: null });
  assert.deepEqual(verdict, { label: 'yes', reason: 'The total is a positive amount.', confidence: 0.9 });
  const sent = server.chatRequests()[start].body;
  assert.equal(sent.model, 'judge-model');
  assert.equal(sent.temperature, 0);
  assert.deepEqual(sent.response_format.json_schema.schema.properties.label.enum, ['yes', 'no']);
  assert.match(sent.messages[1].content, /Rubric:\nThe total is positive\.\n\nValue:\n\{\n  "total": 12\n\}/);
});

test('judge with an expected label asks for a free label and reports a missing confidence as null', async () => {
  server.setChatHandler(answerJson({ label: ' positive ', reason: 'Upbeat wording.' }));
  const start = server.chatRequests().length;
  const verdict = await provider.judge({ rubric: 'Tone: positive, neutral or negative.', value: 'Great service!', expectedLabel: 'positive' });
  assert.deepEqual(verdict, { label: 'positive', reason: 'Upbeat wording.', confidence: null });
  const sent = server.chatRequests()[start].body;
  assert.equal(sent.response_format.json_schema.schema.properties.label.enum, undefined);
  assert.doesNotMatch(sent.messages[1].content, /expected/i, 'the expected label is not revealed to the judge');
});

test('judge refuses an answer outside yes/no after the repair turn', async () => {
  server.setChatHandler(answerJson({ label: 'maybe', reason: '?' }));
  await assert.rejects(provider.judge({ rubric: 'r', value: 1, expectedLabel: null }), { code: 'invalid_model_output' });
});

test('embed returns the embedding model vectors: equal texts have cosine 1, related texts score above unrelated ones', async () => {
  const start = server.requests.length;
  const [a, same, related, unrelated] = await provider.embed(['Total due: 99.50 EUR', 'Total due: 99.50 EUR', 'Total due 99.50', 'Weather in Paris']);
  assert.equal(server.requests[start].body.model, 'embed-model');
  assert.ok(Math.abs(cosine(a, same) - 1) < 1e-9);
  assert.ok(cosine(a, related) > cosine(a, unrelated));
});

test('a cancelled judge call rejects with the abort reason', async () => {
  server.setChatHandler(() => ({ hang: true }));
  const controller = new AbortController();
  const call = provider.judge({ rubric: 'r', value: 1, expectedLabel: null, signal: controller.signal });
  await server.hungRequestsReceived(1);
  controller.abort(new Error('run cancelled'));
  await assert.rejects(call, /run cancelled/);
});

test('the assertion engine runs similarity_gte with embeddings and llm_judged_as through the provider', async () => {
  const spec = (condition: Record<string, unknown>) =>
    ({ id: 'assert_1', target: { output_handle_id: 'output-json-0', path: 'note' }, condition, label: null }) as unknown as AssertionSpec;
  const outputs = { 'output-json-0': { note: 'Total due 99.50 EUR' } };

  const similar = await evaluateAssertion(spec({ kind: 'similarity_gte', reference: 'Total due: 99.50 EUR', threshold: 0.99, method: 'embeddings' }), outputs, { provider });
  assert.equal(similar.outcome, 'passed');
  assert.ok(Math.abs((similar.score ?? 0) - 1) < 1e-9);
  const unrelated = await evaluateAssertion(spec({ kind: 'similarity_gte', reference: 'Weather in Paris', threshold: 0.9, method: 'embeddings' }), outputs, { provider });
  assert.equal(unrelated.outcome, 'failed');

  server.setChatHandler(answerJson({ label: 'no', reason: 'The amount is in euros, not dollars.', confidence: 0.95 }));
  const judged = await evaluateAssertion(spec({ kind: 'llm_judged_as', rubric: 'The amount is in US dollars.' }), outputs, { provider });
  assert.equal(judged.outcome, 'failed');
  assert.match(JSON.stringify(judged), /The amount is in euros, not dollars\./);
});

test("an organization's judge and embeddings are answered from its own cached calls, never another organization's", async () => {
  server.setChatHandler(answerJson({ label: 'yes', reason: 'Positive.' }));
  const cacheDir = await mkdtemp(join(tmpdir(), 'verdict-judge-cache-'));
  try {
    const env = { VERDICT_MODEL_BASE_URL: server.baseURL, VERDICT_MODEL: 'judge-model', VERDICT_EMBEDDING_MODEL: 'embed-model', VERDICT_MODEL_CACHE: 'readwrite' };
    const cached = new ModelAssertionProvider(new ModelClient(modelConfigFromEnv(env, cacheDir)!));
    const judge = (organizationId: string) => cached.forOrganization(organizationId).judge({ rubric: 'The total is positive.', value: 3, expectedLabel: null });
    const embed = (organizationId: string) => cached.forOrganization(organizationId).embed(['a b']);
    const start = server.requests.length;
    await judge('org_a');
    await embed('org_a');
    await judge('org_a');
    await embed('org_a');
    assert.equal(server.requests.length - start, 2, "org_a's repeated calls are cache hits");
    await judge('org_b');
    await embed('org_b');
    assert.equal(server.requests.length - start, 4, "org_b's identical calls reach the model: org_a's record is not theirs");
  } finally {
    await rm(cacheDir, { recursive: true, force: true });
  }
});
