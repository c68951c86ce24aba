import { isoNow, type LiveStatus } from '@verdict/core';
import { sql, type Transaction } from 'kysely';
import type { Database } from '../schema.js';
import type { EncodedOutcome } from './outcomes.js';
import { expression, rowsOf, type RowsOf } from './row-update.js';
import { addDelta, applyCountDeltas, completeRunIfDone, countColumn, idIn, lockLiveRun, ofRun, type CountDeltas } from './shared.js';

/*
 * The rules moveResults enforces (docs/decisions.md §3):
 * - A row can only be moved while its run is live; the rows of a run that ended stay as they are.
 * - A row can only be queued if it was pending.
 * - A row can only be started (→ running) if it was in the status the caller names, pending or
 *   queued; each start counts one attempt.
 * - A row can only be finished (→ completed | error) if it was in the status the caller names: a
 *   finished row is never moved again, and a second outcome for it is discarded.
 * - The run's counts, its status and the tests' latest summaries move in the same transaction as
 *   the rows: the run becomes queued when its first row is queued, running when its first row
 *   starts (its start is that row's), completed when its last row is terminal.
 */

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
  const queued = await queueRows(trx, runId, moves.queue ?? []);
  addDelta(deltas, 'n_pending', -queued.length);
  addDelta(deltas, 'n_queued', queued.length);
  moved.push(...queued);
  // When the first of the rows this write starts began: the run's start, if it starts now.
  let firstStart: string | null = null;
  for (const { from, rows: starts } of moves.start ?? []) {
    const rows = await startRows(trx, runId, starts, from);
    addDelta(deltas, countColumn(from), -rows.length);
    addDelta(deltas, 'n_running', rows.length);
    for (const [id, time] of rows) {
      moved.push(id);
      firstStart = earlier(firstStart, time);
    }
  }
  const finished: EncodedOutcome[] = [];
  for (const { from, outcomes } of moves.finish ?? []) {
    const recorded = await finishRows(trx, runId, outcomes, from);
    for (const outcome of recorded) {
      addDelta(deltas, countColumn(from), -1);
      addDelta(deltas, countColumn(outcome.status), 1);
      if (outcome.status === 'completed' && outcome.verdict) addDelta(deltas, countColumn(outcome.verdict), 1);
      moved.push(outcome.resultId);
      if (from !== 'running') firstStart = earlier(firstStart, outcome.startedAt ?? outcome.completedAt);
    }
    finished.push(...recorded);
  }
  if (finished.length > 0) await pointSummaries(trx, finished);
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

/** pending → queued for rows handed to an executor (a run that has not started becomes `queued`). A row can only be queued if it was pending. */
export function queueResults(trx: Transaction<Database>, runId: string, resultIds: string[]): Promise<string[]> {
  return moveResults(trx, runId, { queue: resultIds }, isoNow());
}

/** queued → running when a worker starts rows (the run becomes `running`, `started_at` set by its first row). A row can only be started here if it was queued. */
export function startResults(trx: Transaction<Database>, runId: string, resultIds: string[], now: string): Promise<string[]> {
  return moveResults(trx, runId, { start: [{ from: 'queued', rows: resultIds.map((id) => [id, now]) }] }, now);
}

async function queueRows(trx: Transaction<Database>, runId: string, ids: string[]): Promise<string[]> {
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
function startRows(trx: Transaction<Database>, runId: string, starts: [string, string][], from: 'pending' | 'queued'): Promise<[string, string][]> {
  return START_ROW.run(trx, starts, { runId, from });
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
function leaving<Row, Shared extends Leaving>({ shared }: RowsOf<Row, Shared>) {
  return expression<Row, Shared>`run_id || '' = ${shared('runId')} AND status = ${shared('from')}`;
}

const startedRow = rowsOf<[string, string], Leaving>();
const START_ROW = startedRow.update('test_results', {
  key: startedRow.text(([id]) => id),
  set: {
    status: expression`'running'`,
    started_at: startedRow.text(([, startedAt]) => startedAt),
    attempts: expression`attempts + 1`,
  },
  where: leaving(startedRow),
});

/**
 * Writes each outcome into its row, with the times the outcome carries; a row that had not been
 * started yet is started by the same write (`started_at`, one more attempt).
 */
function finishRows(trx: Transaction<Database>, runId: string, outcomes: EncodedOutcome[], from: LiveStatus): Promise<EncodedOutcome[]> {
  return FINISH_ROW.run(trx, outcomes, { runId, from, attempt: from === 'running' ? 0 : 1 });
}

/** The one description of the columns recording an outcome writes: both dialects' statements come from it. */
const finishedRow = rowsOf<EncodedOutcome, Leaving & { attempt: number }>();
const FINISH_ROW = finishedRow.update('test_results', {
  key: finishedRow.text((o) => o.resultId),
  set: {
    status: finishedRow.text((o) => o.status),
    verdict: finishedRow.text((o) => o.verdict),
    outputs: finishedRow.text((o) => o.outputs),
    routing: finishedRow.text((o) => o.routing),
    warnings: finishedRow.text((o) => o.warnings),
    error: finishedRow.text((o) => o.error),
    assertion_result: finishedRow.text((o) => o.assertionResult),
    execution_details: finishedRow.text((o) => o.executionDetails),
    duration_ms: finishedRow.integer((o) => o.durationMs),
    execution_started_at: finishedRow.text((o) => o.executionStartedAt),
    started_at: expression`coalesce(started_at, ${finishedRow.text((o) => o.startedAt ?? o.completedAt)})`,
    completed_at: finishedRow.text((o) => o.completedAt),
    attempts: expression`attempts + ${finishedRow.shared('attempt')}`,
  },
  where: leaving(finishedRow),
});

function isFailing(outcome: EncodedOutcome): boolean {
  return outcome.status === 'error' || outcome.verdict === 'failed' || outcome.verdict === 'blocked';
}

/** The tests' latest summaries point at their newest terminal rows (docs/decisions.md §3). */
async function pointSummaries(trx: Transaction<Database>, outcomes: EncodedOutcome[]): Promise<void> {
  await POINT_SUMMARIES.run(trx, outcomes, {});
}

const testSummary = rowsOf<EncodedOutcome>();
const summarisedResultId = testSummary.text((o) => o.resultId);
const summaryKind = testSummary.text((o) => (o.verdict === 'passed' ? 'passing' : isFailing(o) ? 'failing' : null));
const POINT_SUMMARIES = testSummary.update('tests', {
  key: testSummary.text((o) => o.testId),
  set: {
    latest_result_id: summarisedResultId,
    latest_passing_result_id: expression`CASE WHEN ${summaryKind} = 'passing' THEN ${summarisedResultId} ELSE latest_passing_result_id END`,
    latest_failing_result_id: expression`CASE WHEN ${summaryKind} = 'failing' THEN ${summarisedResultId} ELSE latest_failing_result_id END`,
  },
});
