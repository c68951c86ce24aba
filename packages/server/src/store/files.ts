import { isoNow, newId, type Page } from '@verdict/core';
import { sql, type Kysely, type Selectable } from 'kysely';
import type { FileRecords, NewFile, StoredFile } from '../files/index.js';
import { keysetPage, type KeysetRequest } from './keyset.js';
import type { Database, FilesTable } from './schema.js';

export type FileRow = Selectable<FilesTable>;

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
    registerFile: (organizationId, file) => insertFile(db, organizationId, newId('file'), file),
  };
}

/** Records a file under a given id (a new one, or the id its upload reserved). */
export async function insertFile(db: Kysely<Database>, organizationId: string, id: string, file: NewFile): Promise<StoredFile> {
  await db.insertInto('files').values({ id, organization_id: organizationId, ...file, created_at: isoNow() }).execute();
  return { id, filename: file.filename, mime_type: file.mime_type, size_bytes: file.size_bytes, sha256: file.sha256 };
}

/** The organization's file with this id, with its timestamps (for `GET /v1/files/{id}`). */
export async function findFileRow(db: Kysely<Database>, organizationId: string, id: string): Promise<FileRow | undefined> {
  return db.selectFrom('files').selectAll().where('organization_id', '=', organizationId).where('id', '=', id).executeTakeFirst();
}

/** A page of the organization's files in creation order (ids sort by creation time). */
export async function listFileRows(db: Kysely<Database>, organizationId: string, filter: { filename?: string; mimeType?: string }, request: KeysetRequest): Promise<Page<FileRow>> {
  let query = db.selectFrom('files').selectAll().where('organization_id', '=', organizationId);
  if (filter.filename !== undefined) query = query.where('filename', '=', filter.filename);
  if (filter.mimeType !== undefined) query = query.where('mime_type', '=', filter.mimeType);
  return keysetPage(query, sql.ref('id'), sql.ref('id'), request, async (id) => (await findFileRow(db, organizationId, id))?.id);
}
