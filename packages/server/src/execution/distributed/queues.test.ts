import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { AssertionSpec } from '@verdict/core';
import { queueFor } from './queues.js';

const assertion = (condition: Record<string, unknown>) => ({ id: 'assert_1', target: { output_handle_id: 'output-json-0', path: null }, condition, label: null }) as AssertionSpec;

test('tests that call the model server go to the rate-limited queue: model blocks and model-judged assertions', () => {
  assert.equal(queueFor('function', assertion({ kind: 'equals', expected: 1 })), 'tests');
  assert.equal(queueFor('function', assertion({ kind: 'similarity_gte', reference: 'a', threshold: 0.5, method: 'levenshtein' })), 'tests');
  for (const type of ['extract', 'split', 'classifier']) assert.equal(queueFor(type, assertion({ kind: 'equals', expected: 1 })), 'model-tests', type);
  assert.equal(queueFor('function', assertion({ kind: 'llm_judged_as', rubric: 'polite' })), 'model-tests');
  assert.equal(queueFor('function', assertion({ kind: 'similarity_gte', reference: 'a', threshold: 0.5, method: 'embeddings' })), 'model-tests');
  assert.equal(queueFor('function', assertion({ kind: 'all_items_match', condition: { kind: 'llm_not_judged_as', rubric: 'rude' } })), 'model-tests');
});
