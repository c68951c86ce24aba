// Helpers for the engine's own tests: table-driven cases and a scripted model provider.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConditionSchema } from './conditions.js';
import { evaluateAssertion, type EvaluateOptions } from './evaluate.js';
import type { AssertionModelProvider, JudgeRequest, JudgeVerdict } from './provider.js';
import type { AssertionResult, AssertionSpec } from './spec.js';

export const HANDLE = 'output-json-0';

/** A spec on `value` of the output handle; the condition goes through `ConditionSchema`, defaults included. */
export function specFor(condition: unknown, path: string | null = 'value'): AssertionSpec {
  return { id: 'assert_test', target: { output_handle_id: HANDLE, path }, condition: ConditionSchema.parse(condition), label: 'under test' };
}

/** Evaluates `condition` on `{value: actual}`; without `actual` the path `value` is missing. */
export function evaluateOn(condition: unknown, ...[actual, options]: [] | [unknown] | [unknown, EvaluateOptions]): Promise<AssertionResult> {
  const payload = actual === undefined ? {} : { value: actual };
  return evaluateAssertion(specFor(condition), { [HANDLE]: payload }, options ?? {});
}

export interface Case {
  name: string;
  condition: unknown;
  /** The value at the target path; leave it out to test a missing path. */
  actual?: unknown;
  outcome: AssertionResult['outcome'];
  /** Defaults to `condition_not_met` for failures and none for passes. */
  code?: string;
  message?: RegExp;
  score?: number;
  details?: Record<string, unknown>;
  options?: EvaluateOptions;
}

/** One node:test per row: checks outcome, failure code, message and (optionally) score and details. */
export function testCases(cases: readonly Case[]): void {
  for (const row of cases) {
    test(row.name, async () => {
      const result = 'actual' in row ? await evaluateOn(row.condition, row.actual, row.options ?? {}) : await evaluateOn(row.condition);
      assert.equal(result.outcome, row.outcome, `outcome; failure: ${JSON.stringify(result.failure)}`);
      assert.equal(result.failure?.code ?? null, row.code ?? (row.outcome === 'failed' ? 'condition_not_met' : null), 'failure code');
      if (row.message) assert.match(result.failure?.message ?? '', row.message);
      if (row.score !== undefined) assert.ok(Math.abs((result.score ?? NaN) - row.score) < 1e-9, `score ${result.score} ≠ ${row.score}`);
      for (const [key, value] of Object.entries(row.details ?? {})) assert.deepEqual(result.failure?.details[key], value, `details.${key}`);
    });
  }
}

export interface FakeProvider extends AssertionModelProvider {
  judgeRequests: JudgeRequest[];
  embedRequests: string[][];
}

/** A provider whose answers are scripted by the test; it records what it was asked. */
export function fakeProvider(script: {
  judge?: (request: JudgeRequest) => JudgeVerdict | Promise<JudgeVerdict>;
  embed?: (texts: string[]) => number[][] | Promise<number[][]>;
}): FakeProvider {
  const provider: FakeProvider = {
    judgeRequests: [],
    embedRequests: [],
    async judge(request) {
      provider.judgeRequests.push(request);
      if (!script.judge) throw new Error('judge not scripted');
      return script.judge(request);
    },
    async embed(texts) {
      provider.embedRequests.push(texts);
      if (!script.embed) throw new Error('embed not scripted');
      return script.embed(texts);
    },
  };
  return provider;
}
