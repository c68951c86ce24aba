import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { evaluateOn, fakeProvider, testCases } from '../test-support.js';

const judgedAs = (rubric: string, expected_label?: string | null) => ({ kind: 'llm_judged_as', rubric, ...(expected_label === undefined ? {} : { expected_label }) });
const judge = (label: string, reason = 'because', confidence: number | null = 0.9) => fakeProvider({ judge: () => ({ label, reason, confidence }) });

describe('llm_judged_as', () => {
  testCases([
    { name: 'a "yes" passes when no label is asked for', condition: judgedAs('is polite'), actual: 'Dear sir', options: { provider: judge('yes') }, outcome: 'passed', score: 0.9 },
    { name: 'labels compare trimmed and case-insensitively', condition: judgedAs('is polite'), actual: 'x', options: { provider: judge('  YES ') }, outcome: 'passed' },
    {
      name: 'a "no" fails with the reason',
      condition: judgedAs('is polite'),
      actual: 'Go away',
      options: { provider: judge('no', 'the tone is rude', 0.8) },
      outcome: 'failed',
      score: 0.8,
      message: /the judge found that `value` does not satisfy the rubric: the tone is rude/,
      details: { label: 'no', reason: 'the tone is rude', confidence: 0.8, expected_label: null },
    },
    { name: 'the expected label passes', condition: judgedAs('category', 'Invoice'), actual: 'x', options: { provider: judge('invoice') }, outcome: 'passed' },
    { name: 'another label fails', condition: judgedAs('category', 'invoice'), actual: 'x', options: { provider: judge('receipt', 'has no VAT number') }, outcome: 'failed', message: /labelled `value` "receipt", not "invoice": has no VAT number/ },
    { name: 'a blank expected label means a yes/no question', condition: judgedAs('ok?', '  '), actual: 'x', options: { provider: judge('yes') }, outcome: 'passed' },
    { name: 'no provider blocks', condition: judgedAs('is polite'), actual: 'x', outcome: 'blocked', code: 'provider_not_configured', message: /`llm_judged_as` needs a model provider/ },
    { name: 'a judge without a label is a provider error', condition: judgedAs('r'), actual: 'x', options: { provider: fakeProvider({ judge: () => ({}) as never }) }, outcome: 'blocked', code: 'provider_error', message: /no label/ },
    { name: 'a judge that throws blocks', condition: judgedAs('r'), actual: 'x', options: { provider: fakeProvider({ judge: () => Promise.reject(new Error('rate limited')) }) }, outcome: 'blocked', code: 'provider_error', message: /rate limited/ },
  ]);

  test('the judge gets the rubric, the value, the expected label and the signal', async () => {
    const provider = judge('yes');
    const signal = new AbortController().signal;
    await evaluateOn(judgedAs('is a total', 'yes'), { total: 3 }, { provider, signal });
    assert.deepEqual(provider.judgeRequests, [{ rubric: 'is a total', value: { total: 3 }, expectedLabel: 'yes', signal }]);
  });

  test('reports metric llm_judge and the condition as expected value', async () => {
    const result = await evaluateOn(judgedAs('is polite', 'yes'), 'hi', { provider: judge('yes', 'ok', null) });
    assert.deepEqual([result.metric_kind, result.threshold, result.score, result.expected_value, result.failure], ['llm_judge', null, null, { rubric: 'is polite', expected_label: 'yes' }, null]);
  });

  test('a cancelled run rejects with the abort reason, asking no judge', async () => {
    const controller = new AbortController();
    controller.abort(new Error('cancelled'));
    const provider = judge('yes');
    await assert.rejects(evaluateOn(judgedAs('r'), 'x', { provider, signal: controller.signal }), /cancelled/);
    assert.equal(provider.judgeRequests.length, 0);
  });
});
