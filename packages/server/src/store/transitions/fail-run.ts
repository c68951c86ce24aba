import { LIVE_STATUSES, type ErrorDetails } from '@verdict/core';
import type { ExpressionBuilder, Transaction } from 'kysely';
import { sql } from 'kysely';
import { toJson } from '../database.js';
import type { Database } from '../schema.js';

/**
 * A run can only be failed if it is pending, queued or running (docs/decisions.md §3); a failed
 * run never changes again.
 *
 * For a failure of the run itself (its workflow or snapshot cannot be loaded): the run becomes
 * `error` and its unfinished rows `error` too (`run_failed`), counted in the same transaction;
 * rows already terminal keep their verdicts. Those rows become their tests' latest (and latest
 * failing) results, as every terminal transition of a row does. One test's failure never comes here.
 */
export async function failRun(trx: Transaction<Database>, runId: string, message: string, details: ErrorDetails | null, now: string): Promise<boolean> {
  const failed = await trx
    .updateTable('test_runs')
    .set({
      status: 'error',
      error_message: message,
      error_details: details === null ? null : toJson(details),
      completed_at: now,
      n_error: sql`n_error + n_pending + n_queued + n_running`,
      n_pending: 0,
      n_queued: 0,
      n_running: 0,
    })
    .where('id', '=', runId)
    .where('status', 'in', LIVE_STATUSES)
    .returning('id')
    .executeTakeFirst();
  if (!failed) return false;
  await trx
    .updateTable('test_results')
    .set({ status: 'error', completed_at: now, error: toJson({ message, error_code: 'run_failed' }) })
    .where('run_id', '=', runId)
    .where('status', 'in', LIVE_STATUSES)
    .execute();
  const failedRowOfTest = (eb: ExpressionBuilder<Database, 'tests'>) =>
    eb.selectFrom('test_results').select('test_results.id').whereRef('test_results.test_id', '=', 'tests.id').where('test_results.run_id', '=', runId).limit(1);
  await trx
    .updateTable('tests')
    .set({ latest_result_id: failedRowOfTest, latest_failing_result_id: failedRowOfTest })
    .where('id', 'in', (eb) =>
      eb.selectFrom('test_results').select('test_id').where('run_id', '=', runId).where('status', '=', 'error').where('completed_at', '=', now),
    )
    .execute();
  return true;
}
