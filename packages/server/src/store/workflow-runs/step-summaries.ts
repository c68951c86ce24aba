import type { Kysely } from 'kysely';
import type { Database } from '../schema.js';

/** What a run's page shows of every step: no recorded payloads, which may be large and are read one step at a time. */
export async function listStepSummaryRows(db: Kysely<Database>, organizationId: string, runId: string, limit: number) {
  return db
    .selectFrom('workflow_run_steps')
    .select(['step_id', 'block_id', 'block_type', 'block_label', 'status', 'lifecycle', 'loop_containers', 'created_at', 'started_at', 'completed_at'])
    .where('run_id', '=', runId)
    .where('organization_id', '=', organizationId)
    .orderBy('created_at')
    .orderBy('id')
    .limit(limit)
    .execute();
}
