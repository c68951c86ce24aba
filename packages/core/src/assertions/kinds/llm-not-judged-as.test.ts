import { describe } from 'node:test';
import { fakeProvider, testCases } from '../test-support.js';

const notJudgedAs = (rubric: string, expected_label?: string) => ({ kind: 'llm_not_judged_as', rubric, ...(expected_label === undefined ? {} : { expected_label }) });
const judge = (label: string, reason = 'because') => fakeProvider({ judge: () => ({ label, reason, confidence: 0.7 }) });

describe('llm_not_judged_as', () => {
  testCases([
    { name: 'a "no" passes', condition: notJudgedAs('contains personal data'), actual: 'x', options: { provider: judge('no') }, outcome: 'passed', score: 0.7 },
    {
      name: 'a "yes" fails with the reason',
      condition: notJudgedAs('contains personal data'),
      actual: 'x',
      options: { provider: judge('yes', 'it lists a phone number') },
      outcome: 'failed',
      message: /the judge found that `value` satisfies the rubric, which it must not: it lists a phone number/,
      details: { reason: 'it lists a phone number', label: 'yes' },
    },
    { name: 'another label than the forbidden one passes', condition: notJudgedAs('category', 'spam'), actual: 'x', options: { provider: judge('invoice') }, outcome: 'passed' },
    { name: 'the forbidden label fails', condition: notJudgedAs('category', 'spam'), actual: 'x', options: { provider: judge('Spam') }, outcome: 'failed', message: /labelled `value` "Spam", which it must not be/ },
    { name: 'no provider blocks', condition: notJudgedAs('r'), actual: 'x', outcome: 'blocked', code: 'provider_not_configured' },
    { name: 'a judge that throws blocks', condition: notJudgedAs('r'), actual: 'x', options: { provider: fakeProvider({ judge: () => Promise.reject(new Error('boom')) }) }, outcome: 'blocked', code: 'provider_error' },
  ]);
});
