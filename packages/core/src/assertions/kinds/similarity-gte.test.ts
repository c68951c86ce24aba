import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { evaluateOn, fakeProvider, testCases } from '../test-support.js';

const levenshtein = (reference: unknown, threshold: number) => ({ kind: 'similarity_gte', reference, threshold });
const embeddings = (reference: unknown, threshold: number) => ({ kind: 'similarity_gte', reference, threshold, method: 'embeddings' });
const vectors: Record<string, number[]> = { north: [0, 1], east: [1, 0], 'north-east': [1, 1] };
const embedder = () => fakeProvider({ embed: (texts) => texts.map((text) => vectors[text] ?? [0, 0]) });

describe('similarity_gte (levenshtein)', () => {
  testCases([
    { name: 'kitten → sitting is 1 − 3/7', condition: levenshtein('kitten', 0.5), actual: 'sitting', outcome: 'passed', score: 1 - 3 / 7 },
    { name: 'below the threshold fails with the score', condition: levenshtein('kitten', 0.9), actual: 'sitting', outcome: 'failed', score: 1 - 3 / 7, message: /levenshtein similarity at `value` is 0.571, below the threshold 0.9/ },
    { name: 'exactly at the threshold passes (1 − 1/5 ≥ 0.8)', condition: levenshtein('abcde', 0.8), actual: 'abcdX', outcome: 'passed', score: 0.8 },
    { name: 'two empty strings are identical', condition: levenshtein('', 1), actual: '', outcome: 'passed', score: 1 },
    { name: 'non-strings compare as canonical JSON', condition: levenshtein({ b: 2, a: 1 }, 1), actual: { a: 1, b: 2 }, outcome: 'passed', score: 1 },
    { name: 'a number compares as its JSON text', condition: levenshtein('12', 1), actual: 12, outcome: 'passed', score: 1 },
  ]);

  test('reports the metric and threshold even when the path is missing', async () => {
    const result = await evaluateOn(levenshtein('x', 0.7));
    assert.deepEqual([result.outcome, result.failure?.code, result.metric_kind, result.threshold, result.score], ['failed', 'path_not_found', 'levenshtein', 0.7, null]);
  });

  test('long texts with a small difference are compared quickly', async () => {
    const text = 'lorem ipsum '.repeat(200_000);
    const started = performance.now();
    const result = await evaluateOn(levenshtein(text, 0.99), text.replace('ipsum', 'IPSUM'));
    assert.equal(result.outcome, 'passed');
    assert.ok(performance.now() - started < 2000);
  });

  test('texts too long and too different to compare block instead of hanging', async () => {
    const result = await evaluateOn(levenshtein('a'.repeat(40_000), 0.5), 'b'.repeat(40_000));
    assert.equal(result.outcome, 'blocked');
    assert.equal(result.failure?.code, 'execution_error');
    assert.match(result.failure?.message ?? '', /too long to compare/);
  });
});

describe('similarity_gte (embeddings)', () => {
  testCases([
    { name: 'cosine of orthogonal vectors is 0', condition: embeddings('north', 0.5), actual: 'east', options: { provider: embedder() }, outcome: 'failed', score: 0, message: /embeddings similarity at `value` is 0.000/ },
    { name: 'cosine of 45° is √2/2', condition: embeddings('north', 0.7), actual: 'north-east', options: { provider: embedder() }, outcome: 'passed', score: Math.SQRT1_2 },
    { name: 'no provider blocks', condition: embeddings('north', 0.5), actual: 'north', outcome: 'blocked', code: 'provider_not_configured', message: /`similarity_gte` needs a model provider/ },
    { name: 'a zero vector cannot be compared', condition: embeddings('north', 0.5), actual: 'nowhere', options: { provider: embedder() }, outcome: 'blocked', code: 'provider_error', message: /cannot be compared/ },
    {
      name: 'a provider error blocks with its message',
      condition: embeddings('north', 0.5),
      actual: 'east',
      options: { provider: fakeProvider({ embed: () => Promise.reject(new Error('HTTP 503 from the model server')) }) },
      outcome: 'blocked',
      code: 'provider_error',
      message: /the model provider failed: HTTP 503 from the model server/,
    },
  ]);

  test('sends the value and the reference, as text, in that order', async () => {
    const provider = embedder();
    await evaluateOn(embeddings({ b: 1 }, 0.5), 'east', { provider });
    assert.deepEqual(provider.embedRequests, [['east', '{"b":1}']]);
  });

  test('identical texts score 1 without a model call', async () => {
    const provider = embedder();
    const result = await evaluateOn(embeddings('same', 1), 'same', { provider });
    assert.deepEqual([result.outcome, result.score, result.metric_kind, provider.embedRequests.length], ['passed', 1, 'embeddings', 0]);
  });

  test('an aborted signal rejects instead of producing a result', async () => {
    const controller = new AbortController();
    const provider = fakeProvider({
      embed: () => {
        controller.abort(new Error('run cancelled'));
        throw new Error('request aborted');
      },
    });
    await assert.rejects(evaluateOn(embeddings('north', 0.5), 'east', { provider, signal: controller.signal }), /run cancelled/);
  });
});
