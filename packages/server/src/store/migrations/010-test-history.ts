import type { Kysely } from 'kysely';

/**
 * A test's history (its results across runs, newest first) and its stability (its latest results)
 * are read by test, in creation order: without this index each read sorts every result of the test.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.createIndex('test_results_history').on('test_results').columns(['test_id', 'created_at', 'id']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('test_results_history').execute();
}
