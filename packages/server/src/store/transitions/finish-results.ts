import type { ErrorDetails, Verdict } from '@verdict/core';
import { sql, type Transaction } from 'kysely';
import { toJson } from '../database.js';
import type { Database } from '../schema.js';
import { addDelta, applyCountDeltas, completeRunIfDone, countColumn, jsonArrayRows, lockLiveRun, type CountDeltas } from './shared.js';

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
 * one JSON array (JSON columns as JSON text inside it). The executor encodes an outcome as soon
 * as it has it, so the outcome's objects die young and the flush carries strings.
 */
export interface EncodedOutcome {
  resultId: string;
  testId: string;
  status: ResultOutcome['status'];
  verdict: Verdict | null;
  /** `[id, status, verdict, outputs, routing, warnings, error, assertion_result, details, duration_ms]` */
  row: string;
}

const jsonOrNull = (value: unknown) => (value === null || value === undefined ? null : toJson(value));

export function encodeOutcome(o: ResultOutcome): EncodedOutcome {
  const row = [o.resultId, o.status, o.verdict, jsonOrNull(o.outputs), jsonOrNull(o.routing), toJson(o.warnings), jsonOrNull(o.error), jsonOrNull(o.assertionResult), jsonOrNull(o.details), o.durationMs];
  return { resultId: o.resultId, testId: o.testId, status: o.status, verdict: o.verdict, row: JSON.stringify(row) };
}

function isFailing(outcome: EncodedOutcome): boolean {
  return outcome.status === 'error' || outcome.verdict === 'failed' || outcome.verdict === 'blocked';
}

/** Writes every outcome into its row with one statement. */
async function recordRows(trx: Transaction<Database>, runId: string, outcomes: EncodedOutcome[], now: string): Promise<Set<string>> {
  const rows = '[' + outcomes.map((outcome) => outcome.row).join(',') + ']';
  const { rows: updated } = await sql<{ id: string }>`
    UPDATE test_results SET status = r.value ->> 1, verdict = r.value ->> 2, outputs = r.value ->> 3, routing = r.value ->> 4,
      warnings = r.value ->> 5, error = r.value ->> 6, assertion_result = r.value ->> 7, execution_details = r.value ->> 8,
      duration_ms = CAST(r.value ->> 9 AS INTEGER), completed_at = ${now}
    FROM ${jsonArrayRows(trx, rows)}
    WHERE test_results.id = r.value ->> 0 AND test_results.run_id || '' = ${runId} AND test_results.status = 'running'
    RETURNING test_results.id`.execute(trx);
  return new Set(updated.map((row) => row.id));
}

/** The tests' latest summaries point at their newest terminal rows (DECISIONS §3), all tests with one statement. */
async function pointSummaries(trx: Transaction<Database>, outcomes: EncodedOutcome[]): Promise<void> {
  const rows = JSON.stringify(outcomes.map((o) => [o.testId, o.resultId, o.verdict === 'passed' ? 'passing' : isFailing(o) ? 'failing' : null]));
  await sql`
    UPDATE tests SET latest_result_id = r.value ->> 1,
      latest_passing_result_id = CASE WHEN r.value ->> 2 = 'passing' THEN r.value ->> 1 ELSE latest_passing_result_id END,
      latest_failing_result_id = CASE WHEN r.value ->> 2 = 'failing' THEN r.value ->> 1 ELSE latest_failing_result_id END
    FROM ${jsonArrayRows(trx, rows)}
    WHERE tests.id = r.value ->> 0`.execute(trx);
}

/** Keeps the last outcome per test: a batch can hold two results of one test only across runs, never within one. */
function lastPerTest(outcomes: EncodedOutcome[]): EncodedOutcome[] {
  return [...new Map(outcomes.map((outcome) => [outcome.testId, outcome])).values()];
}

/**
 * running → completed | error for rows of one run, with their counts and the tests' latest
 * summaries, in the caller's transaction. Only rows still `running` in a live run move: a result
 * arriving after a cancel, or for a row another worker already finished, is discarded.
 * Returns the ids that were recorded.
 */
export async function finishResults(trx: Transaction<Database>, runId: string, outcomes: EncodedOutcome[], now: string): Promise<string[]> {
  if (outcomes.length === 0) return [];
  if (!(await lockLiveRun(trx, runId))) return [];
  const moved = await recordRows(trx, runId, outcomes, now);
  const recorded = outcomes.filter((outcome) => moved.has(outcome.resultId));
  const deltas: CountDeltas = {};
  for (const outcome of recorded) {
    addDelta(deltas, 'n_running', -1);
    addDelta(deltas, countColumn(outcome.status), 1);
    if (outcome.status === 'completed' && outcome.verdict) addDelta(deltas, countColumn(outcome.verdict), 1);
  }
  if (recorded.length > 0) await pointSummaries(trx, lastPerTest(recorded));
  await applyCountDeltas(trx, runId, deltas);
  await completeRunIfDone(trx, runId, now);
  return recorded.map((outcome) => outcome.resultId);
}
