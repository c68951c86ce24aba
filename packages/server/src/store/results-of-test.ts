import type { Kysely } from 'kysely';
import type { Database } from './schema.js';

/**
 * A test's latest results, newest run first, small columns only: run ids grow with time, so the
 * `test_results_by_test (test_id, run_id)` index serves the order and the limit.
 */
export async function listLatestResultsOfTest(db: Kysely<Database>, organizationId: string, testId: string, limit: number) {
  return db
    .selectFrom('test_results')
    .select(['id', 'run_id', 'status', 'verdict', 'created_at', 'started_at', 'completed_at'])
    .where('test_id', '=', testId)
    .where('organization_id', '=', organizationId)
    .orderBy('run_id', 'desc')
    .limit(limit)
    .execute();
}
