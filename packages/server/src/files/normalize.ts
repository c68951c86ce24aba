import type { FileDocumentInput, FileRef, MaterializedDocument, MaterializedDocumentInput, MIMEData } from '@verdict/core';
import { blobUri, sha256OfBlobUri, type BlobStore } from './blob-store.js';
import { checkContent } from './content.js';
import { decodeDataUrl, tooLarge } from './data-url.js';
import { FileInputError } from './errors.js';
import { fileIdOfVerdictUrl } from './file-urls.js';
import { HOW_TO_UPLOAD } from './limits.js';

/** A row of the `files` table, without its organization and timestamp. */
export interface StoredFile {
  id: string;
  filename: string;
  mime_type: string;
  size_bytes: number;
  sha256: string;
}

/** A file whose bytes are checked and in the blob store, not yet recorded in the database. */
export type NewFile = Omit<StoredFile, 'id'>;

export interface FileStoreDeps {
  blobs: BlobStore;
  maxFileBytes: number;
  /** Records a new file (a `files` row of the caller's organization, id from `newId('file')`) and returns it. */
  registerFile(file: NewFile): Promise<StoredFile>;
}

export interface FileInputDeps extends FileStoreDeps {
  /** The caller's organization's file with this id, or null. */
  lookupFile(id: string): Promise<StoredFile | null>;
  /** A file of the caller's organization with these bytes, or null. */
  lookupFileBySha256(sha256: string): Promise<StoredFile | null>;
}

export interface UploadedFile {
  filename: string;
  bytes: Buffer;
  /** The type the client declared (multipart part header or data URL); the filename and the bytes decide when absent. */
  mimeType?: string | null;
}

function cleanFilename(filename: string): string {
  const trimmed = filename.trim();
  return trimmed === '' ? 'document' : trimmed;
}

/** Checks an upload (size, supported type, readable content), puts its bytes in the blob store and records it. */
export async function storeFile(upload: UploadedFile, deps: FileStoreDeps): Promise<StoredFile> {
  const filename = cleanFilename(upload.filename);
  if (upload.bytes.length > deps.maxFileBytes) throw tooLarge(filename, upload.bytes.length, deps.maxFileBytes);
  if (upload.bytes.length === 0) throw new FileInputError(`${filename} is empty.`, 'corrupt_file', { filename });
  const { mimeType } = await checkContent(upload.bytes, filename, upload.mimeType);
  const { sha256, size } = await deps.blobs.putBlob(upload.bytes);
  return deps.registerFile({ filename, mime_type: mimeType, size_bytes: size, sha256 });
}

/** `{filename, url}` with a data: URL (the JSON form of `POST /v1/files`, and MIMEData handle inputs). */
export async function storeMimeData(input: MIMEData, deps: FileStoreDeps): Promise<StoredFile> {
  const filename = cleanFilename(input.filename);
  const { mimeType, bytes } = decodeDataUrl(input.url, filename, deps.maxFileBytes);
  return storeFile({ filename, bytes, mimeType }, deps);
}

export function fileRefOf(file: StoredFile): FileRef {
  return { id: file.id, filename: file.filename, mime_type: file.mime_type };
}

export function materializedDocumentOf(file: StoredFile): MaterializedDocument {
  return {
    original_id: file.id,
    filename: file.filename,
    mime_type: file.mime_type,
    gcs_uri: blobUri(file.sha256),
    size_bytes: file.size_bytes,
    content_fingerprint: file.sha256,
  };
}

/**
 * A reference to a file the caller's organization never stored. "Another organization's" and
 * "nobody's" are one answer, word for word, so that a reference cannot probe other tenants; the
 * message names what the caller sent (an id or a hash), nothing the server knows.
 */
function noSuchFile(reference: { id: string } | { sha256: string }): FileInputError {
  if ('id' in reference) {
    return new FileInputError(`This organization has no file \`${reference.id}\`; ${HOW_TO_UPLOAD}.`, 'file_not_found', { file_id: reference.id });
  }
  return new FileInputError(`This organization has no file with these bytes (sha256); ${HOW_TO_UPLOAD}.`, 'file_not_found');
}

async function storedFileById(id: string, deps: FileInputDeps): Promise<StoredFile> {
  const file = await deps.lookupFile(id);
  if (file === null) throw noSuchFile({ id });
  await deps.blobs.requireBlob(file.sha256);
  return file;
}

async function normalizeMaterialized(document: MaterializedDocumentInput, deps: FileInputDeps): Promise<MaterializedDocument> {
  const sha256 = document.gcs_uri === undefined ? null : sha256OfBlobUri(document.gcs_uri);
  if (sha256 === null) {
    // Without a Verdict blob URI the id decides: a document copied from Retab (gs://…) can still
    // be used when its file was uploaded here under the same id.
    const file = await deps.lookupFile(document.original_id);
    if (file !== null) return materializedDocumentOf(await storedFileById(file.id, deps));
    if (document.gcs_uri === undefined) throw noSuchFile({ id: document.original_id });
    throw new FileInputError(`${document.filename} points to ${document.gcs_uri}, which this server cannot read; ${HOW_TO_UPLOAD}.`, 'unsupported_file_location', {
      gcs_uri: document.gcs_uri,
    });
  }
  // The blob store is shared and content-addressed: bytes existing there prove nothing; the
  // organization's own file records decide, and the store is not touched before they do.
  const file = await deps.lookupFileBySha256(sha256);
  if (file === null) throw noSuchFile({ sha256 });
  await deps.blobs.requireBlob(sha256);
  return { ...document, gcs_uri: blobUri(sha256), content_fingerprint: sha256 };
}

async function normalizeMimeData(input: MIMEData, deps: FileInputDeps): Promise<MaterializedDocument> {
  // Verdict's own file URL (the `url` that completing an upload answers) names a stored file.
  const verdictFileId = fileIdOfVerdictUrl(input.url);
  if (verdictFileId !== null) return materializedDocumentOf(await storedFileById(verdictFileId, deps));
  return materializedDocumentOf(await storeMimeData(input, deps));
}

/**
 * Turns any of the three file shapes a handle input accepts into the one stored form:
 * MIMEData (data: URL) is checked, stored and recorded, and MIMEData with Verdict's own file URL
 * is looked up; a FileRef is looked up; a MaterializedDocument must point at bytes the
 * organization stored (or name its file by `original_id`). Throws FileInputError with a clear
 * message for anything unusable, so the caller can refuse the test with a 422 when it is created.
 * Run time calls it again: a stored reference that is not (or no longer) the organization's is
 * refused before its bytes are read.
 */
export async function normalizeFileInput(input: FileDocumentInput | FileRef, deps: FileInputDeps): Promise<MaterializedDocument> {
  if ('original_id' in input) return normalizeMaterialized(input, deps);
  if ('url' in input) return normalizeMimeData(input, deps);
  return materializedDocumentOf(await storedFileById(input.id, deps));
}

/** The blob a normalised document's bytes live in. */
export function documentSha256(document: MaterializedDocument): string {
  const sha256 = sha256OfBlobUri(document.gcs_uri) ?? document.content_fingerprint ?? null;
  if (sha256 === null) {
    throw new FileInputError(`${document.filename} is not stored on this server (${document.gcs_uri}).`, 'unsupported_file_location', {
      gcs_uri: document.gcs_uri,
    });
  }
  return sha256;
}

/** A file handle input after normalisation: metadata plus a way to read its bytes from the blob store. */
export interface ResolvedFileInput {
  type: 'file';
  document: MaterializedDocument;
  read(): Promise<Buffer>;
  /** The pages of the document the handle carries (a split's subdocument), 1-based; absent: all of them. */
  pages?: number[];
}

/** A resolved file narrowed to the pages its handle carries (a split's subdocument), when it carries some. */
export function withPages(file: ResolvedFileInput, pages: number[] | undefined): ResolvedFileInput {
  return pages ? { ...file, pages } : file;
}

/** A file handle input for the block executors: the document plus a reader of its bytes. */
export function resolvedFileInput(document: MaterializedDocument, blobs: BlobStore): ResolvedFileInput {
  return { type: 'file', document, read: () => blobs.readBlob(documentSha256(document)) };
}
