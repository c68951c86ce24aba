import type { Kysely } from 'kysely';

/**
 * How many times a workflow run was started (issue 22, the distributed executor): a run whose
 * process or worker died is resumed by the next one, and a run that kills every process that takes
 * it is given up after a few attempts instead of being handed on forever.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('workflow_runs').addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0)).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('workflow_runs').dropColumn('attempts').execute();
}
