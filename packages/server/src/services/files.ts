import type { FileObject, Page } from '@verdict/core';
import { createError } from '../errors/index.js';
import { findFileRow, listFileRows, type FileRow } from '../store/files.js';
import type { KeysetRequest } from '../store/keyset.js';
import type { Services } from './index.js';

/** Retab's `File`; files do not change, so `updated_at` is when it was stored. */
function fileObjectOf(row: FileRow): FileObject {
  return { object: 'file', id: row.id, filename: row.filename, mime_type: row.mime_type, size_bytes: row.size_bytes, created_at: row.created_at, updated_at: row.created_at };
}

async function requireFileRow(services: Services, organizationId: string, fileId: string): Promise<FileRow> {
  const row = await findFileRow(services.store.db, organizationId, fileId);
  if (!row) throw createError('file_not_found', fileId);
  return row;
}

export async function getFile(services: Services, organizationId: string, fileId: string): Promise<FileObject> {
  return fileObjectOf(await requireFileRow(services, organizationId, fileId));
}

export async function listFiles(services: Services, organizationId: string, filter: { filename?: string; mimeType?: string }, page: KeysetRequest): Promise<Page<FileObject>> {
  const rows = await listFileRows(services.store.db, organizationId, filter, page);
  return { data: rows.data.map(fileObjectOf), list_metadata: rows.list_metadata };
}

/** The organization's file with its bytes, for `GET /v1/files/{file_id}/content`. */
export async function readFile(services: Services, organizationId: string, fileId: string): Promise<{ file: FileRow; bytes: Buffer }> {
  const file = await requireFileRow(services, organizationId, fileId);
  return { file, bytes: await services.fileStorage.blobs.readBlob(file.sha256) };
}
