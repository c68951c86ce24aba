import { LIVE_STATUSES } from '@verdict/core';
import type { Transaction } from 'kysely';
import { sql } from 'kysely';
import type { Database } from '../schema.js';

/** What a cancel decided (not to be taken for a test's outcome, `ResultOutcome`). */
export type CancelDecision = 'cancelled' | 'already_cancelled' | 'not_cancellable' | 'not_found';

/**
 * A run can only be cancelled if it is pending, queued or running (docs/decisions.md §4); a
 * cancelled run never changes again.
 *
 * One conditional update of the run decides. Rows already terminal keep their verdicts; every
 * other row becomes `cancelled` with no verdict, and the counts move with them, in the same
 * transaction. Each cancelled row becomes its test's latest result (neither passing nor failing).
 * A run finishing at the same instant is either completed first (then this answers
 * `not_cancellable`) or cancelled first (then its late results are discarded). A run of another
 * organization is `not_found`, as an unknown one.
 */
export async function cancelRun(
  trx: Transaction<Database>,
  organizationId: string,
  runId: string,
  reason: string | null,
  now: string,
): Promise<{ outcome: CancelDecision; status: string | null }> {
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
    .returning('id')
    .executeTakeFirst();
  if (!cancelled) {
    const current = await trx.selectFrom('test_runs').select('status').where('id', '=', runId).where('organization_id', '=', organizationId).executeTakeFirst();
    if (!current) return { outcome: 'not_found', status: null };
    return { outcome: current.status === 'cancelled' ? 'already_cancelled' : 'not_cancellable', status: current.status };
  }
  await trx
    .updateTable('test_results')
    .set({ status: 'cancelled', verdict: null, completed_at: now })
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
      eb.selectFrom('test_results').select('test_id').where('run_id', '=', runId).where('status', '=', 'cancelled').where('completed_at', '=', now),
    )
    .execute();
  return { outcome: 'cancelled', status: 'cancelled' };
}
