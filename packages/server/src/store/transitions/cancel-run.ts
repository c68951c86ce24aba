import { LIVE_STATUSES } from '@verdict/core';
import type SQLite from 'better-sqlite3';
import type { Kysely, Transaction } from 'kysely';
import { sql } from 'kysely';
import type { RunRow } from '../runs.js';
import type { Database } from '../schema.js';

/** What a cancel decided (not to be taken for a test's outcome, `ResultOutcome`). */
export type CancelDecision = 'cancelled' | 'already_cancelled' | 'not_cancellable' | 'not_found';

/**
 * A run can only be cancelled if it is pending, queued or running (docs/decisions.md §4); a
 * cancelled run never changes again.
 *
 * One conditional update of the run decides, and moves every unfinished row's count to
 * `n_cancelled`; the cancelled run's row is returned with the decision. From then on no writer
 * moves its rows (they move only while their run is live, `moveResults`), so what its unfinished
 * rows become is settled: `cancelUnfinishedRows` writes it, in the same transaction
 * (`cancelRun`) or in the next one while readers wait for it (the SQLite store, see
 * TestRunsService.cancel). A run finishing at the same instant is either completed first (then
 * this answers `not_cancellable`) or cancelled first (then its late results are discarded). A run
 * of another organization is `not_found`, as an unknown one.
 */
export async function decideCancel(
  trx: Transaction<Database>,
  organizationId: string,
  runId: string,
  reason: string | null,
  now: string,
): Promise<{ outcome: CancelDecision; status: string | null; run?: RunRow }> {
  const cancelled = await trx
    .updateTable('test_runs')
    .set({
      status: 'cancelled',
      cancel_reason: reason,
      completed_at: now,
      n_cancelled: sql`n_cancelled + n_pending + n_queued + n_running`,
      n_pending: 0,
      n_queued: 0,
      n_running: 0,
    })
    .where('id', '=', runId)
    .where('organization_id', '=', organizationId)
    .where('status', 'in', LIVE_STATUSES)
    .returningAll()
    .executeTakeFirst();
  if (cancelled) return { outcome: 'cancelled', status: 'cancelled', run: cancelled };
  const current = await trx.selectFrom('test_runs').select('status').where('id', '=', runId).where('organization_id', '=', organizationId).executeTakeFirst();
  if (!current) return { outcome: 'not_found', status: null };
  return { outcome: current.status === 'cancelled' ? 'already_cancelled' : 'not_cancellable', status: current.status };
}

/** What `decideCancelNow` decided; `too_large`: nothing, the run has more unfinished rows than it may leave for later. */
export type ImmediateCancelDecision =
  | { outcome: 'cancelled'; run: RunRow; draftRevision: string | null }
  | { outcome: 'already_cancelled' | 'not_cancellable'; status: string }
  | { outcome: 'not_found' }
  | { outcome: 'too_large' };

const liveStatusList = LIVE_STATUSES.map((status) => `'${status}'`).join(', ');
const SELECT_RUN_STATUS = `select status, n_pending + n_queued + n_running as unfinished from test_runs where id = ? and organization_id = ?`;
const CANCEL_LIVE_RUN = `update test_runs set status = 'cancelled', cancel_reason = ?, completed_at = ?,
    n_cancelled = n_cancelled + n_pending + n_queued + n_running, n_pending = 0, n_queued = 0, n_running = 0
  where id = ? and organization_id = ? and status in (${liveStatusList})
  returning *, (select draft_revision from workflows where workflows.organization_id = test_runs.organization_id and workflows.id = test_runs.workflow_id) as draft_revision`;

/**
 * `decideCancel` on a SQLite store's writing connection, inside the caller's synchronous
 * transaction (Store.writeNow): two prepared statements and no await, so the decision costs the
 * event loop tenths of a millisecond once its turn comes. The run's unfinished rows are left for
 * `cancelUnfinishedRows`, unless there are more than `mostUnfinished`: then nothing is decided.
 * The cancelled run comes with its workflow's draft revision, for the answer's freshness.
 */
export function decideCancelNow(
  connection: SQLite.Database,
  ids: { organizationId: string; runId: string },
  reason: string | null,
  now: string,
  mostUnfinished: number,
): ImmediateCancelDecision {
  const current = connection.prepare(SELECT_RUN_STATUS).get(ids.runId, ids.organizationId) as { status: string; unfinished: number } | undefined;
  if (!current) return { outcome: 'not_found' };
  if (!(LIVE_STATUSES as readonly string[]).includes(current.status)) return { outcome: current.status === 'cancelled' ? 'already_cancelled' : 'not_cancellable', status: current.status };
  if (current.unfinished > mostUnfinished) return { outcome: 'too_large' };
  const { draft_revision: draftRevision, ...run } = connection.prepare(CANCEL_LIVE_RUN).get(reason, now, ids.runId, ids.organizationId) as RunRow & { draft_revision: string | null };
  return { outcome: 'cancelled', run, draftRevision };
}

/**
 * The unfinished rows of a run cancelled at `cancelledAt` become `cancelled` with no verdict; rows
 * already terminal keep their verdicts. Each cancelled row becomes its test's latest result
 * (neither passing nor failing).
 */
export async function cancelUnfinishedRows(trx: Transaction<Database>, runId: string, cancelledAt: string): Promise<void> {
  await trx
    .updateTable('test_results')
    .set({ status: 'cancelled', verdict: null, completed_at: cancelledAt })
    .where('run_id', '=', runId)
    .where('status', 'in', LIVE_STATUSES)
    .execute();
  await trx
    .updateTable('tests')
    .set({
      latest_result_id: (eb) =>
        eb.selectFrom('test_results').select('test_results.id').whereRef('test_results.test_id', '=', 'tests.id').where('test_results.run_id', '=', runId).limit(1),
    })
    .where('id', 'in', (eb) =>
      eb.selectFrom('test_results').select('test_id').where('run_id', '=', runId).where('status', '=', 'cancelled').where('completed_at', '=', cancelledAt),
    )
    .execute();
}

/** Decides a cancel and writes its rows in the caller's transaction. */
export async function cancelRun(...[trx, organizationId, runId, reason, now]: Parameters<typeof decideCancel>): ReturnType<typeof decideCancel> {
  const decision = await decideCancel(trx, organizationId, runId, reason, now);
  if (decision.outcome === 'cancelled') await cancelUnfinishedRows(trx, runId, now);
  return decision;
}

/**
 * Rows left unfinished under a cancelled run: a process that stopped between a cancel's decision
 * and the writing of its rows. Run when a store is opened for serving, before anyone reads it.
 */
export async function finishCancelledRuns(db: Kysely<Database>): Promise<number> {
  const runs = await db
    .selectFrom('test_runs')
    .select(['id', 'completed_at'])
    .where('status', '=', 'cancelled')
    .where(({ exists, selectFrom }) =>
      exists(selectFrom('test_results').select('test_results.id').whereRef('test_results.run_id', '=', 'test_runs.id').where('test_results.status', 'in', LIVE_STATUSES)),
    )
    .execute();
  for (const run of runs) await db.transaction().execute((trx) => cancelUnfinishedRows(trx, run.id, run.completed_at!));
  return runs.length;
}
