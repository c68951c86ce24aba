import type { ErrorDetails, Verdict } from '@verdict/core';
import type { Transaction } from 'kysely';
import { toJson } from '../database.js';
import type { Database } from '../schema.js';
import { addDelta, applyCountDeltas, completeRunIfDone, countColumn, lockLiveRun, type CountDeltas } from './shared.js';

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

function isFailing(outcome: ResultOutcome): boolean {
  return outcome.status === 'error' || outcome.verdict === 'failed' || outcome.verdict === 'blocked';
}

/**
 * running → completed | error for rows of one run, with their counts and the tests' latest
 * summaries, in the caller's transaction. Only rows still `running` in a live run move: a result
 * arriving after a cancel, or for a row another worker already finished, is discarded.
 * Returns the ids that were recorded.
 */
export async function finishResults(trx: Transaction<Database>, runId: string, outcomes: ResultOutcome[], now: string): Promise<string[]> {
  if (outcomes.length === 0) return [];
  const run = await lockLiveRun(trx, runId);
  if (!run) return [];
  const recorded: string[] = [];
  const deltas: CountDeltas = {};
  for (const outcome of outcomes) {
    const row = await trx
      .updateTable('test_results')
      .set({
        status: outcome.status,
        verdict: outcome.verdict,
        outputs: outcome.outputs === null ? null : toJson(outcome.outputs),
        routing: outcome.routing === null ? null : toJson(outcome.routing),
        warnings: toJson(outcome.warnings),
        error: outcome.error === null ? null : toJson(outcome.error),
        assertion_result: outcome.assertionResult === null ? null : toJson(outcome.assertionResult),
        execution_details: outcome.details === null ? null : toJson(outcome.details),
        duration_ms: outcome.durationMs,
        completed_at: now,
      })
      .where('id', '=', outcome.resultId)
      .where('run_id', '=', runId)
      .where('status', '=', 'running')
      .returning('started_at')
      .executeTakeFirst();
    if (!row) continue;
    recorded.push(outcome.resultId);
    addDelta(deltas, 'n_running', -1);
    addDelta(deltas, countColumn(outcome.status), 1);
    if (outcome.status === 'completed' && outcome.verdict) addDelta(deltas, countColumn(outcome.verdict), 1);
    await trx
      .updateTable('tests')
      .set({
        latest_result_id: outcome.resultId,
        ...(outcome.verdict === 'passed' ? { latest_passing_result_id: outcome.resultId } : {}),
        ...(isFailing(outcome) ? { latest_failing_result_id: outcome.resultId } : {}),
      })
      .where('id', '=', outcome.testId)
      .execute();
  }
  await applyCountDeltas(trx, runId, deltas);
  await completeRunIfDone(trx, runId, now);
  return recorded;
}
