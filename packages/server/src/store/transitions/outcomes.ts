import type { ErrorDetails, Verdict } from '@verdict/core';
import { toJson } from '../database.js';

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

/** The columns an outcome writes, JSON ones as JSON text: `[status, verdict, outputs, routing, warnings, error, assertion_result, execution_details, duration_ms]`. */
export type OutcomeColumns = [string, string | null, string | null, string | null, string, string | null, string | null, string | null, number | null];

/**
 * An outcome ready to record: what finishing decides on, the row's new columns as plain values,
 * and when the test started and finished. The executor encodes an outcome as soon as it has it,
 * so the outcome's objects die young and the flush carries strings.
 */
export interface EncodedOutcome {
  resultId: string;
  testId: string;
  status: ResultOutcome['status'];
  verdict: Verdict | null;
  columns: OutcomeColumns;
  /** When the test started, if its start is written with this outcome (null: the row's stands). */
  startedAt: string | null;
  completedAt: string;
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

const jsonOrNull = (value: unknown) => (value === null || value === undefined ? null : toJson(value));

export function encodeOutcome(o: ResultOutcome, times: OutcomeTimes): EncodedOutcome {
  const columns: OutcomeColumns = [
    o.status,
    o.verdict,
    jsonOrNull(o.outputs),
    jsonOrNull(o.routing),
    toJson(o.warnings),
    jsonOrNull(o.error),
    jsonOrNull(o.assertionResult),
    jsonOrNull(o.details),
    o.durationMs,
  ];
  return { resultId: o.resultId, testId: o.testId, status: o.status, verdict: o.verdict, columns, ...times };
}
