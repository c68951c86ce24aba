import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { blockedResult, evaluateAssertion } from './evaluate.js';
import { AssertionResult, type AssertionSpec } from './spec.js';
import { HANDLE, specFor } from './test-support.js';

const document = { total: 12, vendor: { name: 'Acme' }, reasoning___total: 'sum of lines' };

describe('evaluateAssertion', () => {
  test('a passing result carries the whole wire shape', async () => {
    const spec: AssertionSpec = { ...specFor({ kind: 'equals', expected: 12 }, 'total'), label: 'total is 12' };
    const result = await evaluateAssertion(spec, { [HANDLE]: document });
    assert.deepEqual(result, {
      assertion_id: 'assert_test',
      condition_kind: 'equals',
      outcome: 'passed',
      actual_value: 12,
      expected_value: 12,
      score: null,
      threshold: null,
      metric_kind: null,
      assertion_label: 'total is 12',
      failure: null,
    });
    assert.deepEqual(AssertionResult.parse(result), result);
  });

  test('an empty or null path targets the whole payload', async () => {
    for (const path of [null, '']) {
      const result = await evaluateAssertion(specFor({ kind: 'object_contains', expected: { total: 12 } }, path), { [HANDLE]: document });
      assert.equal(result.outcome, 'passed');
      assert.deepEqual(result.actual_value, document);
    }
  });

  test('a missing output handle blocks and lists the handles produced', async () => {
    const result = await evaluateAssertion(specFor({ kind: 'exists' }), { 'output-json-1': {}, 'output-file-invoice': 'file_1' });
    assert.equal(result.outcome, 'blocked');
    assert.deepEqual(result.failure, {
      code: 'output_handle_missing',
      message: 'the block did not produce the output handle `output-json-0`: it produced `output-json-1`, `output-file-invoice`',
      details: { output_handle_id: HANDLE, produced_handles: ['output-json-1', 'output-file-invoice'] },
    });
  });

  test('no outputs at all blocks even not_exists', async () => {
    const result = await evaluateAssertion(specFor({ kind: 'not_exists' }), null);
    assert.equal(result.failure?.code, 'output_handle_missing');
    assert.match(result.failure?.message ?? '', /it produced no outputs/);
  });

  test('a null handle payload is a payload, not a missing handle', async () => {
    const result = await evaluateAssertion(specFor({ kind: 'equals', expected: null }, null), { [HANDLE]: null });
    assert.equal(result.outcome, 'passed');
  });

  test('a missing path fails with path_not_found, actual_value null, and says why', async () => {
    const result = await evaluateAssertion(specFor({ kind: 'starts_with', expected: 'A' }, 'vendor.address.city'), { [HANDLE]: document });
    assert.deepEqual([result.outcome, result.actual_value, result.expected_value], ['failed', null, 'A']);
    assert.deepEqual(result.failure, {
      code: 'path_not_found',
      message: 'nothing at `vendor.address.city`: `vendor` has no key `address`',
      details: { missing: '`vendor` has no key `address`' },
    });
  });

  test('messages use the canonical spelling of the path', async () => {
    const result = await evaluateAssertion(specFor({ kind: 'number_compare', op: 'gt', expected: 0 }, 'lines.0.qty'), { [HANDLE]: { lines: [{ qty: '3' }] } });
    assert.equal(result.failure?.message, 'expected a number at `lines[0].qty`, found the string "3"');
  });

  test('a malformed path blocks with invalid_path', async () => {
    const result = await evaluateAssertion(specFor({ kind: 'exists' }, 'items[x'), { [HANDLE]: document });
    assert.equal(result.outcome, 'blocked');
    assert.equal(result.failure?.code, 'invalid_path');
  });

  test('an unknown condition kind blocks instead of throwing', async () => {
    const spec = { ...specFor({ kind: 'exists' }), condition: { kind: 'telepathy' } } as unknown as AssertionSpec;
    const result = await evaluateAssertion(spec, { [HANDLE]: document });
    assert.deepEqual([result.outcome, result.condition_kind, result.failure?.code], ['blocked', 'telepathy', 'execution_error']);
  });

  test('a payload nested deep enough to overflow the stack still gets a verdict', async () => {
    const nest = () => {
      let deep: unknown = 1;
      for (let depth = 0; depth < 200_000; depth++) deep = [deep];
      return deep;
    };
    const result = await evaluateAssertion(specFor({ kind: 'equals', expected: nest() }, null), { [HANDLE]: nest() });
    assert.equal(result.outcome, 'blocked');
    assert.equal(result.failure?.code, 'execution_error');
    assert.match(result.failure?.message ?? '', /^the assertion could not be evaluated: Maximum call stack size exceeded/);
  });
});

describe('blockedResult', () => {
  test('builds a blocked result for a crashed block, keeping expected value and metric', () => {
    const spec = specFor({ kind: 'similarity_gte', reference: 'abc', threshold: 0.8 });
    const result = blockedResult(spec, 'block_execution_failed', 'the function threw: TypeError: x is undefined', { error: 'TypeError' });
    assert.deepEqual(result, {
      assertion_id: 'assert_test',
      condition_kind: 'similarity_gte',
      outcome: 'blocked',
      actual_value: null,
      expected_value: 'abc',
      score: null,
      threshold: 0.8,
      metric_kind: 'levenshtein',
      assertion_label: 'under test',
      failure: { code: 'block_execution_failed', message: 'the function threw: TypeError: x is undefined', details: { error: 'TypeError' } },
    });
  });
});
