import { isoNow, newId } from '@verdict/core';
import type { Kysely } from 'kysely';
import type { FileRecords } from '../files/index.js';
import type { Database } from './schema.js';

/** What a stored file is to the file service (`StoredFile`). */
const STORED_FILE_COLUMNS = ['id', 'filename', 'mime_type', 'size_bytes', 'sha256'] as const;

/** File metadata rows; the bytes live in the content-addressed blob store under the data dir. */
export function fileRecords(db: Kysely<Database>): FileRecords {
  return {
    async lookupFile(organizationId, id) {
      const row = await db
        .selectFrom('files')
        .select(STORED_FILE_COLUMNS)
        .where('organization_id', '=', organizationId)
        .where('id', '=', id)
        .executeTakeFirst();
      return row ?? null;
    },
    async lookupFileBySha256(organizationId, sha256) {
      const row = await db
        .selectFrom('files')
        .select(STORED_FILE_COLUMNS)
        .where('organization_id', '=', organizationId)
        .where('sha256', '=', sha256)
        .orderBy('id')
        .limit(1)
        .executeTakeFirst();
      return row ?? null;
    },
    async registerFile(organizationId, file) {
      const row = { id: newId('file'), organization_id: organizationId, ...file, created_at: isoNow() };
      await db.insertInto('files').values(row).execute();
      return { id: row.id, filename: row.filename, mime_type: row.mime_type, size_bytes: row.size_bytes, sha256: row.sha256 };
    },
  };
}
