import type { Kysely } from 'kysely';

/**
 * Keys are revoked, never deleted: sessions and runs keep referring to a revoked key's id, and
 * every process refuses it once its short key cache expires. `last_used_at` is written at most
 * once a minute per key and process, so `verdict keys list` can show stale keys.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('api_keys').addColumn('revoked_at', 'text').execute();
  await db.schema.alterTable('api_keys').addColumn('last_used_at', 'text').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('api_keys').dropColumn('last_used_at').execute();
  await db.schema.alterTable('api_keys').dropColumn('revoked_at').execute();
}
