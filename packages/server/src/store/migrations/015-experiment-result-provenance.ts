import type { Kysely } from 'kysely';

/**
 * Where a result's document came from (the workflow run step it was captured from, or the
 * provenance given with it), copied from the document when the run is created as its inputs are:
 * the document set can be replaced afterwards, and a result keeps answering what it ran on.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('experiment_results').addColumn('provenance', 'text').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('experiment_results').dropColumn('provenance').execute();
}
