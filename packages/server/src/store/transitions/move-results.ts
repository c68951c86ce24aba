import { isoNow, type LiveStatus } from '@verdict/core';
import { sql, type Transaction } from 'kysely';
import type { Database } from '../schema.js';
import type { EncodedOutcome } from './outcomes.js';
import { expression, rowUpdate, type RowUpdateTerms } from './row-update.js';
import { addDelta, applyCountDeltas, completeRunIfDone, countColumn, idIn, lockLiveRun, ofRun, type CountDeltas } from './shared.js';

/**
 * Rows of one run moving forward, grouped by the status each leaves. A row may skip statuses: one
 * handed to the executor, started and finished within the same few milliseconds goes from
 * `pending` to `completed` in one write — nobody could have read the statuses in between, since
 * they would have been committed together.
 */
export interface RowMoves {
  /** pending → queued */
  queue?: string[];
  /** → running: `[id, started_at]` of each row, the time its test started */
  start?: { from: 'pending' | 'queued'; rows: [string, string][] }[];
  /** → completed | error, with the outcome recorded */
  finish?: { from: LiveStatus; outcomes: EncodedOutcome[] }[];
}

/**
 * Moves rows of one live run forward in the caller's transaction, with the run's counts, its status
 * (pending → queued → running → completed as its rows go; it starts when the first of its rows
 * did, `now` is when it completes) and the tests' latest summaries. Each row moves only from the
 * status it is said to leave: a row of a run that ended (a cancel, a failure), or one another
 * worker already moved, stays as it is. Returns the ids that moved.
 */
export async function moveResults(trx: Transaction<Database>, runId: string, moves: RowMoves, now: string): Promise<string[]> {
  const run = await lockLiveRun(trx, runId);
  if (!run) return [];
  const deltas: CountDeltas = {};
  const moved: string[] = [];
  const queued = await markQueued(trx, runId, moves.queue ?? []);
  addDelta(deltas, 'n_pending', -queued.length);
  addDelta(deltas, 'n_queued', queued.length);
  moved.push(...queued);
  // When the first of the rows this write starts began: the run's start, if it starts now.
  let firstStart: string | null = null;
  for (const { from, rows: starts } of moves.start ?? []) {
    const rows = await markRunning(trx, runId, starts, from);
    addDelta(deltas, countColumn(from), -rows.length);
    addDelta(deltas, 'n_running', rows.length);
    for (const [id, time] of rows) {
      moved.push(id);
      firstStart = earlier(firstStart, time);
    }
  }
  const finished: EncodedOutcome[] = [];
  for (const { from, outcomes } of moves.finish ?? []) {
    const recorded = await recordOutcomes(trx, runId, outcomes, from);
    for (const outcome of recorded) {
      addDelta(deltas, countColumn(from), -1);
      addDelta(deltas, countColumn(outcome.status), 1);
      if (outcome.status === 'completed' && outcome.verdict) addDelta(deltas, countColumn(outcome.verdict), 1);
      moved.push(outcome.resultId);
      if (from !== 'running') firstStart = earlier(firstStart, outcome.startedAt ?? outcome.completedAt);
    }
    finished.push(...recorded);
  }
  if (finished.length > 0) await pointSummaries(trx, lastPerTest(finished));
  await applyCountDeltas(trx, runId, deltas);
  if (firstStart !== null && run.status !== 'running') {
    await trx.updateTable('test_runs').set({ status: 'running', started_at: sql`coalesce(started_at, ${firstStart})` }).where('id', '=', runId).execute();
  } else if (queued.length > 0 && run.status === 'pending') {
    await trx.updateTable('test_runs').set({ status: 'queued' }).where('id', '=', runId).execute();
  }
  if (finished.length > 0) await completeRunIfDone(trx, runId, now);
  return moved;
}

/** ISO timestamps order as text. */
function earlier(time: string | null, other: string): string {
  return time === null || other < time ? other : time;
}

/** pending → queued for rows handed to an executor (a run that has not started becomes `queued`). */
export function queueResults(trx: Transaction<Database>, runId: string, resultIds: string[]): Promise<string[]> {
  return moveResults(trx, runId, { queue: resultIds }, isoNow());
}

/** queued → running when a worker starts rows (the run becomes `running`, `started_at` set by its first row). */
export function startResults(trx: Transaction<Database>, runId: string, resultIds: string[], now: string): Promise<string[]> {
  return moveResults(trx, runId, { start: [{ from: 'queued', rows: resultIds.map((id) => [id, now]) }] }, now);
}

async function markQueued(trx: Transaction<Database>, runId: string, ids: string[]): Promise<string[]> {
  if (ids.length === 0) return [];
  const rows = await trx
    .updateTable('test_results')
    .set({ status: 'queued' })
    .where(ofRun(runId))
    .where(idIn(trx, ids))
    .where('status', '=', 'pending')
    .returning('id')
    .execute();
  return rows.map((row) => row.id);
}

/** Returns the `[id, started_at]` of the rows that moved. */
function markRunning(trx: Transaction<Database>, runId: string, starts: [string, string][], from: 'pending' | 'queued'): Promise<[string, string][]> {
  return MARK_RUNNING.run(trx, starts, { runId, from });
}

/** The run and the status its rows leave: a row of another run, or one not in that status, is not moved. */
type Leaving = {
  runId: string;
  from: LiveStatus;
};

/**
 * `run_id = ?` as an expression, so the planner looks rows up by primary key: otherwise SQLite walks
 * the run's (run_id, status) index over every row in that status (see `ofRun`).
 */
function leaving<Row, Shared extends Leaving>({ shared }: RowUpdateTerms<Row, Shared>) {
  return expression<Row, Shared>`run_id || '' = ${shared('runId')} AND status = ${shared('from')}`;
}

const MARK_RUNNING = rowUpdate('test_results', (terms: RowUpdateTerms<[string, string], Leaving>) => ({
  key: terms.text(([id]) => id),
  set: {
    status: expression`'running'`,
    started_at: terms.text(([, startedAt]) => startedAt),
    attempts: expression`attempts + 1`,
  },
  where: leaving(terms),
}));

/**
 * Writes each outcome into its row, with the times the outcome carries; a row that had not been
 * started yet is started by the same write (`started_at`, one more attempt).
 */
function recordOutcomes(trx: Transaction<Database>, runId: string, outcomes: EncodedOutcome[], from: LiveStatus): Promise<EncodedOutcome[]> {
  return RECORD_OUTCOME.run(trx, outcomes, { runId, from, attempt: from === 'running' ? 0 : 1 });
}

/** The one description of the columns recording an outcome writes: both dialects' statements come from it. */
const RECORD_OUTCOME = rowUpdate('test_results', (terms: RowUpdateTerms<EncodedOutcome, Leaving & { attempt: number }>) => {
  const { text, integer, shared } = terms;
  return {
    key: text((o) => o.resultId),
    set: {
      status: text((o) => o.status),
      verdict: text((o) => o.verdict),
      outputs: text((o) => o.outputs),
      routing: text((o) => o.routing),
      warnings: text((o) => o.warnings),
      error: text((o) => o.error),
      assertion_result: text((o) => o.assertionResult),
      execution_details: text((o) => o.executionDetails),
      duration_ms: integer((o) => o.durationMs),
      started_at: expression`coalesce(started_at, ${text((o) => o.startedAt ?? o.completedAt)})`,
      completed_at: text((o) => o.completedAt),
      attempts: expression`attempts + ${shared('attempt')}`,
    },
    where: leaving(terms),
  };
});

function isFailing(outcome: EncodedOutcome): boolean {
  return outcome.status === 'error' || outcome.verdict === 'failed' || outcome.verdict === 'blocked';
}

/** The tests' latest summaries point at their newest terminal rows (docs/decisions.md §3). */
async function pointSummaries(trx: Transaction<Database>, outcomes: EncodedOutcome[]): Promise<void> {
  await POINT_SUMMARIES.run(trx, outcomes, {});
}

const POINT_SUMMARIES = rowUpdate('tests', ({ text }: RowUpdateTerms<EncodedOutcome, Record<never, never>>) => {
  const resultId = text((o) => o.resultId);
  const summary = text((o) => (o.verdict === 'passed' ? 'passing' : isFailing(o) ? 'failing' : null));
  return {
    key: text((o) => o.testId),
    set: {
      latest_result_id: resultId,
      latest_passing_result_id: expression`CASE WHEN ${summary} = 'passing' THEN ${resultId} ELSE latest_passing_result_id END`,
      latest_failing_result_id: expression`CASE WHEN ${summary} = 'failing' THEN ${resultId} ELSE latest_failing_result_id END`,
    },
  };
});

/** Keeps the last outcome per test: a batch can hold two results of one test only across runs, never within one. */
function lastPerTest(outcomes: EncodedOutcome[]): EncodedOutcome[] {
  return [...new Map(outcomes.map((outcome) => [outcome.testId, outcome])).values()];
}
