import { LIVE_STATUSES } from '@verdict/core';
import type { Insertable, Kysely, Transaction } from 'kysely';
import type { Database, ExperimentResultsTable, ExperimentRunsTable } from './schema.js';

/**
 * Every change of an experiment run's or result's lifecycle, each one guarded statement (as
 * store/transitions/ does for test runs, docs/decisions.md §3): a run moves pending → running →
 * completed / error, or from any live status to cancelled; a result moves pending → running →
 * completed / error, and only while its run is live. Nothing else writes these columns.
 */

type Db = Kysely<Database> | Transaction<Database>;

/** A new run, its `pending` results, and the experiment pointing at it: one transaction. */
export async function insertExperimentRun(db: Kysely<Database>, run: Insertable<ExperimentRunsTable>, results: Insertable<ExperimentResultsTable>[]): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await trx.insertInto('experiment_runs').values(run).execute();
    for (let start = 0; start < results.length; start += 100) await trx.insertInto('experiment_results').values(results.slice(start, start + 100)).execute();
    await trx.updateTable('experiments').set({ last_run_id: run.id }).where('organization_id', '=', run.organization_id).where('id', '=', run.experiment_id).execute();
  });
}

/** A pending run starts once. */
export async function startExperimentRun(db: Db, organizationId: string, runId: string, now: string): Promise<void> {
  await db.updateTable('experiment_runs').set({ status: 'running', started_at: now }).where('organization_id', '=', organizationId).where('id', '=', runId).where('status', '=', 'pending').execute();
}

/** Takes the run's row lock when it is live (a no-op update, as lockLiveRun does for test runs): a cancel and a finishing result are strictly ordered. */
async function lockLiveRun(db: Db, organizationId: string, runId: string): Promise<boolean> {
  const row = await db
    .updateTable('experiment_runs')
    .set((eb) => ({ status: eb.ref('status') }))
    .where('organization_id', '=', organizationId)
    .where('id', '=', runId)
    .where('status', 'in', [...LIVE_STATUSES])
    .returning('id')
    .executeTakeFirst();
  return row !== undefined;
}

/** A pending result of a live run starts, counting the attempt; false when it may not (run ended, row taken). */
export async function startExperimentResult(db: Kysely<Database>, organizationId: string, runId: string, resultId: string, now: string): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    if (!(await lockLiveRun(trx, organizationId, runId))) return false;
    const moved = await trx
      .updateTable('experiment_results')
      .set((eb) => ({ status: 'running', started_at: now, attempt: eb('attempt', '+', 1) }))
      .where('organization_id', '=', organizationId)
      .where('id', '=', resultId)
      .where('status', '=', 'pending')
      .executeTakeFirst();
    return Number(moved.numUpdatedRows) === 1;
  });
}

export interface ExperimentResultOutcome {
  status: 'completed' | 'error';
  handleOutputs: string | null;
  votes: string | null;
  pageCount: number | null;
  details: string | null;
  errorMessage: string | null;
  errorDetails: string | null;
  durationMs: number | null;
  artifact: { id: string; operation: string; body: string } | null;
}

/** A running result of a live run finishes, and its run's counts move in the same transaction; a late outcome of an ended run is dropped. */
export async function finishExperimentResult(db: Kysely<Database>, organizationId: string, runId: string, resultId: string, outcome: ExperimentResultOutcome, now: string): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    if (!(await lockLiveRun(trx, organizationId, runId))) return false;
    const moved = await trx
      .updateTable('experiment_results')
      .set({
        status: outcome.status,
        handle_outputs: outcome.handleOutputs,
        votes: outcome.votes,
        page_count: outcome.pageCount,
        details: outcome.details,
        error_message: outcome.errorMessage,
        error_details: outcome.errorDetails,
        duration_ms: outcome.durationMs,
        artifact_id: outcome.artifact?.id ?? null,
        artifact_operation: outcome.artifact?.operation ?? null,
        artifact: outcome.artifact?.body ?? null,
        completed_at: now,
      })
      .where('organization_id', '=', organizationId)
      .where('id', '=', resultId)
      .where('status', '=', 'running')
      .executeTakeFirst();
    if (Number(moved.numUpdatedRows) !== 1) return false;
    const counter = outcome.status === 'completed' ? 'completed_document_count' : 'error_count';
    await trx
      .updateTable('experiment_runs')
      .set((eb) => ({ [counter]: eb(counter, '+', 1) }))
      .where('organization_id', '=', organizationId)
      .where('id', '=', runId)
      .execute();
    return true;
  });
}

/** A result whose attempt failed for a reason other than its block goes back to pending, to be tried again. */
export async function retryExperimentResult(db: Kysely<Database>, organizationId: string, resultId: string): Promise<void> {
  await db.updateTable('experiment_results').set({ status: 'pending', started_at: null }).where('organization_id', '=', organizationId).where('id', '=', resultId).where('status', '=', 'running').execute();
}

/** A running run with no live result left ends: completed with its score, or error when no document produced a result. */
export async function finishExperimentRun(db: Kysely<Database>, organizationId: string, runId: string, score: number | null, now: string): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const live = await trx
      .selectFrom('experiment_results')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('organization_id', '=', organizationId)
      .where('run_id', '=', runId)
      .where('status', 'in', [...LIVE_STATUSES])
      .executeTakeFirstOrThrow();
    if (Number(live.n) > 0) return false;
    const run = await trx.selectFrom('experiment_runs').select(['completed_document_count']).where('organization_id', '=', organizationId).where('id', '=', runId).executeTakeFirst();
    const failed = run !== undefined && run.completed_document_count === 0;
    const moved = await trx
      .updateTable('experiment_runs')
      .set({ status: failed ? 'error' : 'completed', score, completed_at: now, error_message: failed ? 'Every document of the run failed; see each result for its error.' : null })
      .where('organization_id', '=', organizationId)
      .where('id', '=', runId)
      .where('status', '=', 'running')
      .executeTakeFirst();
    return Number(moved.numUpdatedRows) === 1;
  });
}

/** A live run is cancelled with its live results; 'not_found' or 'not_cancellable' (already ended) otherwise. */
export async function cancelExperimentRun(
  db: Kysely<Database>,
  organizationId: string,
  runId: string,
  reason: string | null,
  now: string,
): Promise<{ outcome: 'cancelled' | 'not_found' | 'not_cancellable'; status?: string }> {
  return db.transaction().execute(async (trx) => {
    const moved = await trx
      .updateTable('experiment_runs')
      .set({ status: 'cancelled', cancel_reason: reason, completed_at: now })
      .where('organization_id', '=', organizationId)
      .where('id', '=', runId)
      .where('status', 'in', [...LIVE_STATUSES])
      .executeTakeFirst();
    if (Number(moved.numUpdatedRows) !== 1) {
      const row = await trx.selectFrom('experiment_runs').select('status').where('organization_id', '=', organizationId).where('id', '=', runId).executeTakeFirst();
      return row === undefined ? { outcome: 'not_found' } : { outcome: 'not_cancellable', status: row.status };
    }
    await trx
      .updateTable('experiment_results')
      .set({ status: 'cancelled', completed_at: now, error_message: reason })
      .where('organization_id', '=', organizationId)
      .where('run_id', '=', runId)
      .where('status', 'in', [...LIVE_STATUSES])
      .execute();
    return { outcome: 'cancelled' };
  });
}

/** On start, results a stopped process held as running go back to pending (their run is resumed). */
export async function requeueExperimentResults(db: Kysely<Database>, organizationId: string, runId: string): Promise<void> {
  await db
    .updateTable('experiment_results')
    .set({ status: 'pending', started_at: null })
    .where('organization_id', '=', organizationId)
    .where('run_id', '=', runId)
    .where('status', '=', 'running')
    .execute();
}
