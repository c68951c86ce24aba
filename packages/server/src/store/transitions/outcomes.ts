import type { ErrorDetails, Verdict } from '@verdict/core';

export interface ResultOutcome {
  resultId: string;
  testId: string;
  status: 'completed' | 'error';
  verdict: Verdict | null;
  outputs: Record<string, unknown> | null;
  routing: string[] | null;
  warnings: string[];
  error: ErrorDetails | null;
  assertionResult: unknown;
  /** What the block reported beyond its outputs (model reasoning, likelihoods, cache hits). */
  details: Record<string, unknown> | null;
  /** Time the block itself took, when it ran. */
  durationMs: number | null;
}

/**
 * An outcome ready to record: what finishing decides on, and the row's new columns as the text of
 * one JSON array. The executor encodes an outcome as soon as it has it, so the outcome's objects
 * die young and the flush carries strings.
 */
export interface EncodedOutcome {
  resultId: string;
  testId: string;
  status: ResultOutcome['status'];
  verdict: Verdict | null;
  /** `[id, status, verdict, outputs, routing, warnings, error, assertion_result, details, duration_ms]` */
  row: string;
}

export function encodeOutcome(o: ResultOutcome): EncodedOutcome {
  const row = [o.resultId, o.status, o.verdict, o.outputs ?? null, o.routing ?? null, o.warnings, o.error ?? null, o.assertionResult ?? null, o.details ?? null, o.durationMs];
  return { resultId: o.resultId, testId: o.testId, status: o.status, verdict: o.verdict, row: JSON.stringify(row) };
}
