import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encodeOutcome, JsonText, type ResultOutcome } from './outcomes.js';

const TIMES = { startedAt: null, completedAt: '2026-11-29T00:00:00.000Z' };
const OUTCOME: ResultOutcome = {
  resultId: 'r',
  testId: 't',
  status: 'completed',
  verdict: 'passed',
  outputs: { 'output-json-0': 1 },
  routing: null,
  warnings: [],
  error: null,
  assertionResult: { assertion_id: 'assert_1', condition_kind: 'equals', outcome: 'passed', assertion_label: 'total' },
  details: null,
  durationMs: 2,
};

test('outputs and assertion results kept as JSON text are recorded as they are', () => {
  const text = '{"output-json-0":{"total":12}}';
  const encoded = encodeOutcome({ ...OUTCOME, outputs: new JsonText(text), assertionResult: new JsonText('{"outcome":"passed"}') }, TIMES);
  assert.equal(encoded.outputs, text);
  assert.equal(encoded.assertionResult, '{"outcome":"passed"}');
});

test('an outcome that cannot be encoded becomes blocked, saying why, and keeps what names its assertion', () => {
  for (const outputs of [{ 'output-json-0': 10n }, { 'output-json-0': deeplyNested(20_000) }]) {
    const encoded = encodeOutcome({ ...OUTCOME, outputs }, TIMES);
    assert.equal(encoded.verdict, 'blocked');
    const { status, verdict, outputs: outputsColumn, error, assertionResult } = encoded;
    assert.deepEqual([status, verdict, outputsColumn], ['completed', 'blocked', null]);
    assert.match(JSON.parse(error!).message, /^The result of this test could not be recorded: /);
    const result = JSON.parse(assertionResult!);
    assert.deepEqual([result.assertion_id, result.condition_kind, result.outcome, result.assertion_label, result.failure.code], ['assert_1', 'equals', 'blocked', 'total', 'execution_error']);
  }
});

function deeplyNested(depth: number): unknown {
  let value: unknown = 1;
  for (let i = 0; i < depth; i++) value = [value];
  return value;
}
