import { LIVE_STATUSES } from '@verdict/core';
import { sql, type Kysely, type Transaction } from 'kysely';
import type { Db } from '../transitions/shared.js';
import type { Database, WorkflowArtifactsTable, WorkflowRunStepsTable, WorkflowRunsTable } from '../schema.js';

/**
 * Every state change of a workflow run, its steps and artifacts (docs/decisions.md §4 for the
 * cancel rule they share with test runs). Each is one guarded statement: a run that is no longer
 * live never changes again, and no step is recorded into it.
 */

export async function insertWorkflowRun(db: Db, row: WorkflowRunsTable): Promise<void> {
  await db.insertInto('workflow_runs').values(row).execute();
}

/**
 * pending → running, and every start counted: a resumed run is already running, keeps its start
 * and counts one more attempt.
 */
export async function startWorkflowRun(db: Db, runId: string, now: string): Promise<boolean> {
  const result = await db
    .updateTable('workflow_runs')
    .set({ status: 'running', started_at: sql`coalesce(started_at, ${now})`, attempts: sql`attempts + 1` })
    .where('id', '=', runId)
    .where('status', 'in', LIVE_STATUSES)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/**
 * Locks the live runs among `runIds` for the rest of the transaction (a no-op UPDATE takes the row
 * locks on PostgreSQL; SQLite's writer lock already serialises), so that a step and a cancel are
 * strictly ordered; returns the ids of those still live.
 */
async function lockLiveWorkflowRuns(trx: Transaction<Database>, runIds: string[]): Promise<Set<string>> {
  const rows = await trx.updateTable('workflow_runs').set({ status: sql`status` }).where('id', 'in', runIds).where('status', 'in', LIVE_STATUSES).returning('id').execute();
  return new Set(rows.map((row) => row.id));
}

/** A settled step and its artifact, as the engine records them. */
export interface WorkflowStepWrite {
  step: WorkflowRunStepsTable;
  artifact: WorkflowArtifactsTable | null;
}

/**
 * Steps are recorded only into live runs, each with its artifact, in one transaction for all of
 * `writes` (several runs' steps settle at once under load: one commit and three statements for
 * them all instead of five statements each): a step that finishes after its run was cancelled (or
 * failed) is dropped. A step is recorded once (its (run_id, step_id) is unique): a resumed run
 * does not record it twice. Answers, for each write, whether it was recorded.
 */
export async function recordWorkflowSteps(db: Kysely<Database>, writes: WorkflowStepWrite[]): Promise<boolean[]> {
  return db.transaction().execute(async (trx) => {
    const live = await lockLiveWorkflowRuns(trx, [...new Set(writes.map((write) => write.step.run_id))]);
    const candidates = writes.filter((write) => live.has(write.step.run_id));
    if (candidates.length === 0) return writes.map(() => false);
    const inserted = await trx
      .insertInto('workflow_run_steps')
      .values(candidates.map((write) => write.step))
      .onConflict((c) => c.columns(['run_id', 'step_id']).doNothing())
      .returning('id')
      .execute();
    const recorded = new Set(inserted.map((row) => row.id));
    const artifacts = candidates.flatMap((write) => (write.artifact && recorded.has(write.step.id) ? [write.artifact] : []));
    if (artifacts.length > 0) await trx.insertInto('workflow_artifacts').values(artifacts).execute();
    return writes.map((write) => recorded.has(write.step.id));
  });
}

/** A run finishes once, from a live status: completed, or error with what failed where. */
export async function finishWorkflowRun(db: Db, runId: string, outcome: { status: 'completed' } | { status: 'error'; errorJson: string }, now: string): Promise<boolean> {
  const result = await db
    .updateTable('workflow_runs')
    .set({ status: outcome.status, error: outcome.status === 'error' ? outcome.errorJson : null, completed_at: now, started_at: sql`coalesce(started_at, ${now})` })
    .where('id', '=', runId)
    .where('status', 'in', LIVE_STATUSES)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

export type WorkflowCancelDecision = 'cancelled' | 'already_cancelled' | 'not_cancellable' | 'not_found';

/**
 * A workflow run can only be cancelled while pending or running; a cancelled run never changes
 * again. A retry of the same cancel (its `command_id`) answers `cancelled` again, not a failure.
 */
export async function cancelWorkflowRun(
  db: Db,
  organizationId: string,
  runId: string,
  cancel: { reason: string | null; commandId: string | null },
  now: string,
): Promise<{ decision: WorkflowCancelDecision; status: string | null }> {
  const cancelled = await db
    .updateTable('workflow_runs')
    .set({ status: 'cancelled', cancel_reason: cancel.reason, cancel_command_id: cancel.commandId, completed_at: now })
    .where('id', '=', runId)
    .where('organization_id', '=', organizationId)
    .where('status', 'in', LIVE_STATUSES)
    .returning('id')
    .executeTakeFirst();
  if (cancelled) return { decision: 'cancelled', status: 'cancelled' };
  const current = await db
    .selectFrom('workflow_runs')
    .select(['status', 'cancel_command_id'])
    .where('id', '=', runId)
    .where('organization_id', '=', organizationId)
    .executeTakeFirst();
  if (!current) return { decision: 'not_found', status: null };
  if (current.status !== 'cancelled') return { decision: 'not_cancellable', status: current.status };
  const sameCommand = cancel.commandId !== null && current.cancel_command_id === cancel.commandId;
  return { decision: sameCommand ? 'cancelled' : 'already_cancelled', status: 'cancelled' };
}

/** Deletes a finished run with its steps and artifacts. */
export async function deleteWorkflowRun(db: Kysely<Database>, organizationId: string, runId: string): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const deleted = await trx.deleteFrom('workflow_runs').where('id', '=', runId).where('organization_id', '=', organizationId).returning('id').executeTakeFirst();
    if (!deleted) return false;
    await trx.deleteFrom('workflow_run_steps').where('run_id', '=', runId).execute();
    await trx.deleteFrom('workflow_artifacts').where('run_id', '=', runId).execute();
    return true;
  });
}
