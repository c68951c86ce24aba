import type { Kysely } from 'kysely';

/**
 * The artifact of a result's block execution (an extraction, classification or split, shaped as a
 * workflow step's): its id, operation and body, kept on the result so that experiment outputs stay
 * apart from workflow runs and GET /v1/workflows/artifacts/{id} still finds them by id.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('experiment_results').addColumn('artifact_id', 'text').execute();
  await db.schema.alterTable('experiment_results').addColumn('artifact_operation', 'text').execute();
  await db.schema.alterTable('experiment_results').addColumn('artifact', 'text').execute();
  await db.schema.createIndex('experiment_results_artifact_id').on('experiment_results').columns(['organization_id', 'artifact_id']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('experiment_results_artifact_id').execute();
  for (const column of ['artifact', 'artifact_operation', 'artifact_id']) await db.schema.alterTable('experiment_results').dropColumn(column).execute();
}
