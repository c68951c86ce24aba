import type { ErrorDetails, Verdict } from '@verdict/core';
import { sql, type RawBuilder, type Transaction } from 'kysely';
import { toJson } from '../database.js';
import type { Database } from '../schema.js';
import { addDelta, applyCountDeltas, completeRunIfDone, countColumn, lockLiveRun, ofRun, type CountDeltas } from './shared.js';

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

// Each row binds two parameters per column in the CASE expressions below.
const ROWS_PER_STATEMENT = 100;

const jsonOrNull = (value: unknown) => (value === null || value === undefined ? null : toJson(value));

function isFailing(outcome: ResultOutcome): boolean {
  return outcome.status === 'error' || outcome.verdict === 'failed' || outcome.verdict === 'blocked';
}

/** `CASE id WHEN <id> THEN <value> … END`: one statement writes a different value into each row. */
function perRow<T>(rows: T[], idOf: (row: T) => string, valueOf: (row: T) => unknown, cast?: 'integer'): RawBuilder<unknown> {
  const branches = rows.map((row) => {
    const value = valueOf(row);
    return cast ? sql`WHEN ${idOf(row)} THEN CAST(${value} AS integer)` : sql`WHEN ${idOf(row)} THEN ${value}`;
  });
  return sql`CASE id ${sql.join(branches, sql` `)} END`;
}

async function recordRows(trx: Transaction<Database>, runId: string, outcomes: ResultOutcome[], now: string): Promise<Set<string>> {
  const id = (outcome: ResultOutcome) => outcome.resultId;
  const updated = await trx
    .updateTable('test_results')
    .set({
      status: perRow(outcomes, id, (o) => o.status),
      verdict: perRow(outcomes, id, (o) => o.verdict),
      outputs: perRow(outcomes, id, (o) => jsonOrNull(o.outputs)),
      routing: perRow(outcomes, id, (o) => jsonOrNull(o.routing)),
      warnings: perRow(outcomes, id, (o) => toJson(o.warnings)),
      error: perRow(outcomes, id, (o) => jsonOrNull(o.error)),
      assertion_result: perRow(outcomes, id, (o) => jsonOrNull(o.assertionResult)),
      execution_details: perRow(outcomes, id, (o) => jsonOrNull(o.details)),
      duration_ms: perRow(outcomes, id, (o) => o.durationMs, 'integer'),
      completed_at: now,
    } as never)
    .where(ofRun(runId))
    .where('status', '=', 'running')
    .where('id', 'in', outcomes.map(id))
    .returning('id')
    .execute();
  return new Set(updated.map((row) => row.id));
}

/** The tests' latest summaries point at their newest terminal rows (DECISIONS §3). */
async function pointSummaries(trx: Transaction<Database>, outcomes: ResultOutcome[]): Promise<void> {
  const byTest = (column: 'latest_result_id' | 'latest_passing_result_id' | 'latest_failing_result_id', chosen: ResultOutcome[]) =>
    chosen.length === 0
      ? Promise.resolve()
      : trx
          .updateTable('tests')
          .set({ [column]: perRow(chosen, (o) => o.testId, (o) => o.resultId) } as never)
          .where('id', 'in', chosen.map((o) => o.testId))
          .execute();
  await byTest('latest_result_id', outcomes);
  await byTest('latest_passing_result_id', outcomes.filter((o) => o.verdict === 'passed'));
  await byTest('latest_failing_result_id', outcomes.filter(isFailing));
}

/** Keeps the last outcome per test: a batch can hold two results of one test only across runs, never within one. */
function lastPerTest(outcomes: ResultOutcome[]): ResultOutcome[] {
  return [...new Map(outcomes.map((outcome) => [outcome.testId, outcome])).values()];
}

/**
 * running → completed | error for rows of one run, with their counts and the tests' latest
 * summaries, in the caller's transaction. Only rows still `running` in a live run move: a result
 * arriving after a cancel, or for a row another worker already finished, is discarded.
 * Returns the ids that were recorded.
 */
export async function finishResults(trx: Transaction<Database>, runId: string, outcomes: ResultOutcome[], now: string): Promise<string[]> {
  if (outcomes.length === 0) return [];
  if (!(await lockLiveRun(trx, runId))) return [];
  const recorded: ResultOutcome[] = [];
  for (let start = 0; start < outcomes.length; start += ROWS_PER_STATEMENT) {
    const chunk = outcomes.slice(start, start + ROWS_PER_STATEMENT);
    const moved = await recordRows(trx, runId, chunk, now);
    recorded.push(...chunk.filter((outcome) => moved.has(outcome.resultId)));
  }
  const deltas: CountDeltas = {};
  for (const outcome of recorded) {
    addDelta(deltas, 'n_running', -1);
    addDelta(deltas, countColumn(outcome.status), 1);
    if (outcome.status === 'completed' && outcome.verdict) addDelta(deltas, countColumn(outcome.verdict), 1);
  }
  for (let start = 0; start < recorded.length; start += ROWS_PER_STATEMENT) {
    await pointSummaries(trx, lastPerTest(recorded.slice(start, start + ROWS_PER_STATEMENT)));
  }
  await applyCountDeltas(trx, runId, deltas);
  await completeRunIfDone(trx, runId, now);
  return recorded.map((outcome) => outcome.resultId);
}
