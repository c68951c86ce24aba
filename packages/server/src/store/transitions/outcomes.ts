import type { ErrorDetails, Verdict } from '@verdict/core';
import { toJson } from '../database.js';

/**
 * A JSON value kept as the text a sandbox thread wrote (and checked): recorded as it is, so the
 * main thread neither parses it nor serialises it again; `value()` parses it for who needs it.
 */
export class JsonText {
  constructor(readonly text: string) {}

  value(): unknown {
    return JSON.parse(this.text);
  }
}

export interface ResultOutcome {
  resultId: string;
  testId: string;
  status: 'completed' | 'error';
  verdict: Verdict | null;
  outputs: Record<string, unknown> | JsonText | null;
  routing: string[] | null;
  warnings: string[];
  error: ErrorDetails | null;
  /** An AssertionResult, as a value or as JSON text. */
  assertionResult: unknown;
  /** What the block reported beyond its outputs (model reasoning, likelihoods, cache hits). */
  details: Record<string, unknown> | null;
  /** Time the block itself took, when it ran (not the wait for a sandbox thread or process). */
  durationMs: number | null;
  /** When the block began executing (ISO), when it ran: the result's queue time ends there. */
  executionStartedAt?: string | null;
}

/**
 * An outcome ready to record: the row's new values as plain strings and numbers (JSON ones as JSON
 * text), and when the test started and finished. The executor encodes an outcome as soon as it has
 * it, so the outcome's objects die young and the flush carries strings. Which column each value
 * goes to is said once, in move-results.ts (`FINISH_ROW`).
 */
export interface EncodedOutcome extends OutcomeTimes {
  resultId: string;
  testId: string;
  status: ResultOutcome['status'];
  verdict: Verdict | null;
  outputs: string | null;
  routing: string | null;
  warnings: string;
  error: string | null;
  assertionResult: string | null;
  executionDetails: string | null;
  durationMs: number | null;
  executionStartedAt: string | null;
}

/**
 * When the test started and finished, as the executor saw them: a row's timestamps say when things
 * happened, not when the write carrying them committed. `startedAt` null: the row's start was
 * written already (or is unknown) and stands.
 */
export interface OutcomeTimes {
  startedAt: string | null;
  completedAt: string;
}

const jsonOrNull = (value: unknown) => (value === null || value === undefined ? null : value instanceof JsonText ? value.text : toJson(value));

/**
 * Encodes an outcome for the writer. One that cannot be encoded (a value JSON cannot hold, or one
 * nested deep enough to overflow the stack) is recorded as `blocked` with the reason instead: the
 * failure stays with its test, and never reaches the batch its row is written in.
 */
export function encodeOutcome(o: ResultOutcome, times: OutcomeTimes): EncodedOutcome {
  try {
    return encodeValues(o, times);
  } catch (error) {
    return encodeValues(unrecordable(o, error), times);
  }
}

function encodeValues(o: ResultOutcome, { startedAt, completedAt }: OutcomeTimes): EncodedOutcome {
  return {
    resultId: o.resultId,
    testId: o.testId,
    status: o.status,
    verdict: o.verdict,
    outputs: jsonOrNull(o.outputs),
    routing: jsonOrNull(o.routing),
    warnings: toJson(o.warnings),
    error: jsonOrNull(o.error),
    assertionResult: jsonOrNull(o.assertionResult),
    executionDetails: jsonOrNull(o.details),
    durationMs: o.durationMs,
    executionStartedAt: o.executionStartedAt ?? null,
    startedAt,
    completedAt,
  };
}

/** What is recorded of an outcome that cannot be encoded: its verdict becomes `blocked`, with why; its values are dropped. */
function unrecordable(o: ResultOutcome, error: unknown): ResultOutcome {
  const message = `The result of this test could not be recorded: ${error instanceof Error ? error.message : String(error)}`;
  const failure = { code: 'execution_error', message, details: {} };
  const original = typeof o.assertionResult === 'object' && o.assertionResult !== null ? (o.assertionResult as Record<string, unknown>) : {};
  const text = (key: string) => (typeof original[key] === 'string' ? original[key] : null);
  return {
    ...o,
    status: 'completed',
    verdict: 'blocked',
    outputs: null,
    routing: null,
    warnings: [],
    error: { message, error_code: 'result_not_recordable' },
    assertionResult: {
      assertion_id: text('assertion_id') ?? '',
      condition_kind: text('condition_kind') ?? 'unknown',
      outcome: 'blocked',
      actual_value: null,
      expected_value: null,
      score: null,
      threshold: null,
      metric_kind: null,
      assertion_label: text('assertion_label'),
      failure,
    },
    details: null,
  };
}
