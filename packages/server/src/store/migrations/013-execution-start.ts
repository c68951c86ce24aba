import type { Kysely } from 'kysely';

/**
 * When a result's block began executing, apart from when the executor took the row (`started_at`):
 * a test waits for a sandbox thread or a Python process after that, and its queue time (creation to
 * execution start) is shown apart from its execution time (issue 24 item 10).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('test_results').addColumn('execution_started_at', 'text').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('test_results').dropColumn('execution_started_at').execute();
}
