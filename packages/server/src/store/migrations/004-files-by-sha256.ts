import type { Kysely } from 'kysely';

/**
 * A file input that names bytes by their hash is authorised by the organization's own `files` rows
 * (the blob store is shared): that lookup runs on every test save and every run of the test.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.createIndex('files_by_organization_sha256').on('files').columns(['organization_id', 'sha256']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('files_by_organization_sha256').execute();
}
