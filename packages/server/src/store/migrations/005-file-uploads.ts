import type { Kysely } from 'kysely';

/**
 * Retab's upload flow (docs/api.md, "Uploads"): a reservation per upload until it is completed,
 * and the secret that signs the upload and download URLs, shared by every process of a deployment.
 * Files are listed per organization in id (creation) order.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('file_uploads')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('organization_id', 'text', (c) => c.notNull())
    .addColumn('filename', 'text', (c) => c.notNull())
    .addColumn('content_type', 'text')
    .addColumn('size_bytes', 'integer', (c) => c.notNull())
    .addColumn('sha256', 'text')
    .addColumn('received_sha256', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('file_uploads_by_organization_expiry').on('file_uploads').columns(['organization_id', 'expires_at']).execute();
  await db.schema
    .createTable('url_signing_keys')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('secret', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('files_by_organization').on('files').columns(['organization_id', 'id']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('files_by_organization').execute();
  await db.schema.dropTable('url_signing_keys').execute();
  await db.schema.dropTable('file_uploads').execute();
}
