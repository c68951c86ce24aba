import { isoNow } from '@verdict/core';
import { sql, type Transaction } from 'kysely';
import type { Database } from '../schema.js';
import type { EncodedOutcome } from './outcomes.js';
import { addDelta, applyCountDeltas, completeRunIfDone, countColumn, idIn, isPostgres, lockLiveRun, ofRun, postgresJsonRows, updateEachRow, type CountDeltas } from './shared.js';

/** The statuses a row moves forward from. */
export type UnfinishedStatus = 'pending' | 'queued' | 'running';

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
  finish?: { from: UnfinishedStatus; outcomes: EncodedOutcome[] }[];
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
async function markRunning(trx: Transaction<Database>, runId: string, starts: [string, string][], from: 'pending' | 'queued'): Promise<[string, string][]> {
  if (starts.length === 0) return [];
  if (!isPostgres(trx)) return updateEachRow(trx, MARK_RUNNING, starts, ([id, startedAt]) => [startedAt, id, runId, from]);
  const { rows } = await sql<{ id: string }>`
    UPDATE test_results SET status = 'running', started_at = r.value ->> 1, attempts = attempts + 1
    FROM ${postgresJsonRows(JSON.stringify(starts))}
    WHERE test_results.id = r.value ->> 0 AND test_results.run_id || '' = ${runId} AND test_results.status = ${from}
    RETURNING test_results.id`.execute(trx);
  const started = new Set(rows.map((row) => row.id));
  return starts.filter(([id]) => started.has(id));
}

const MARK_RUNNING = `UPDATE test_results SET status = 'running', started_at = ?, attempts = attempts + 1 WHERE id = ? AND run_id || '' = ? AND status = ?`;

/**
 * Writes each outcome into its row, with the times the outcome carries; a row that had not been
 * started yet is started by the same write (`started_at`, one more attempt).
 */
async function recordOutcomes(trx: Transaction<Database>, runId: string, outcomes: EncodedOutcome[], from: UnfinishedStatus): Promise<EncodedOutcome[]> {
  const attempt = from === 'running' ? 0 : 1;
  if (isPostgres(trx)) return recordOutcomesAsOneStatement(trx, runId, outcomes, from, attempt);
  return updateEachRow(trx, RECORD_OUTCOME, outcomes, ({ resultId, columns, startedAt, completedAt }) => [
    ...columns,
    completedAt,
    startedAt ?? completedAt,
    attempt,
    resultId,
    runId,
    from,
  ]);
}

const RECORD_OUTCOME = `UPDATE test_results SET status = ?, verdict = ?, outputs = ?, routing = ?, warnings = ?, error = ?,
  assertion_result = ?, execution_details = ?, duration_ms = ?, completed_at = ?, started_at = coalesce(started_at, ?), attempts = attempts + ?
  WHERE id = ? AND run_id || '' = ? AND status = ?`;

async function recordOutcomesAsOneStatement(trx: Transaction<Database>, runId: string, outcomes: EncodedOutcome[], from: UnfinishedStatus, attempt: number): Promise<EncodedOutcome[]> {
  const rows = JSON.stringify(outcomes.map(({ resultId, columns, startedAt, completedAt }) => [resultId, ...columns, startedAt ?? completedAt, completedAt]));
  const { rows: updated } = await sql<{ id: string }>`
    UPDATE test_results SET status = r.value ->> 1, verdict = r.value ->> 2, outputs = r.value ->> 3, routing = r.value ->> 4,
      warnings = r.value ->> 5, error = r.value ->> 6, assertion_result = r.value ->> 7, execution_details = r.value ->> 8,
      duration_ms = CAST(r.value ->> 9 AS INTEGER), completed_at = r.value ->> 11, started_at = coalesce(started_at, r.value ->> 10),
      attempts = attempts + ${attempt}
    FROM ${postgresJsonRows(rows)}
    WHERE test_results.id = r.value ->> 0 AND test_results.run_id || '' = ${runId} AND test_results.status = ${from}
    RETURNING test_results.id`.execute(trx);
  const recorded = new Set(updated.map((row) => row.id));
  return outcomes.filter((outcome) => recorded.has(outcome.resultId));
}

function isFailing(outcome: EncodedOutcome): boolean {
  return outcome.status === 'error' || outcome.verdict === 'failed' || outcome.verdict === 'blocked';
}

/** The tests' latest summaries point at their newest terminal rows (docs/decisions.md §3). */
async function pointSummaries(trx: Transaction<Database>, outcomes: EncodedOutcome[]): Promise<void> {
  const summaries = outcomes.map((o): [string, string, string | null] => [o.testId, o.resultId, o.verdict === 'passed' ? 'passing' : isFailing(o) ? 'failing' : null]);
  if (!isPostgres(trx)) {
    await updateEachRow(trx, POINT_SUMMARIES, summaries, ([testId, resultId, kind]) => [resultId, kind, resultId, kind, resultId, testId]);
    return;
  }
  await sql`
    UPDATE tests SET latest_result_id = r.value ->> 1,
      latest_passing_result_id = CASE WHEN r.value ->> 2 = 'passing' THEN r.value ->> 1 ELSE latest_passing_result_id END,
      latest_failing_result_id = CASE WHEN r.value ->> 2 = 'failing' THEN r.value ->> 1 ELSE latest_failing_result_id END
    FROM ${postgresJsonRows(JSON.stringify(summaries))}
    WHERE tests.id = r.value ->> 0`.execute(trx);
}

const POINT_SUMMARIES = `UPDATE tests SET latest_result_id = ?,
  latest_passing_result_id = CASE WHEN ? = 'passing' THEN ? ELSE latest_passing_result_id END,
  latest_failing_result_id = CASE WHEN ? = 'failing' THEN ? ELSE latest_failing_result_id END
  WHERE id = ?`;

/** Keeps the last outcome per test: a batch can hold two results of one test only across runs, never within one. */
function lastPerTest(outcomes: EncodedOutcome[]): EncodedOutcome[] {
  return [...new Map(outcomes.map((outcome) => [outcome.testId, outcome])).values()];
}
