import { z } from 'zod';
import { Timestamp } from './common.js';

/**
 * File shapes on the wire (docs/compatibility.md, "Files"). Requests may name a file three ways;
 * a stored file goes out in one shape that both SDK generations parse (`StoredFileDocument`).
 */

/** A stored file as tests refer to it (Retab's 393edb37 shape; Verdict's blob store backs `gcs_uri`). */
export const MaterializedDocument = z
  .object({
    original_id: z.string(),
    filename: z.string(),
    mime_type: z.string(),
    gcs_uri: z.string(),
    size_bytes: z.number().int().default(0),
    content_fingerprint: z.string().nullable().optional(),
  })
  .meta({ id: 'MaterializedDocument' });
export type MaterializedDocument = z.infer<typeof MaterializedDocument>;

/** A MaterializedDocument as a request may send it: without `gcs_uri`, `original_id` alone names the file. */
export const MaterializedDocumentInput = MaterializedDocument.extend({ gcs_uri: z.string().optional() }).meta({ id: 'MaterializedDocumentReference' });
export type MaterializedDocumentInput = z.infer<typeof MaterializedDocumentInput>;

export const FileRef = z.object({ id: z.string(), filename: z.string(), mime_type: z.string() }).meta({ id: 'FileRef' });
export type FileRef = z.infer<typeof FileRef>;
export const MIMEData = z.object({ filename: z.string(), url: z.string() }).meta({ id: 'MIMEData' });
export type MIMEData = z.infer<typeof MIMEData>;

/**
 * The pages of a file a handle carries, 1-based and ascending: a split block routes each
 * subdocument's pages of its input on that subdocument's handle, and the blocks below read only
 * those (Verdict extension; Retab materialises a new file instead). Absent: the whole file.
 */
export const PageSubset = z
  .array(z.number().int().min(1).max(100_000))
  .min(1)
  .max(10_000)
  .refine((pages) => pages.every((page, i) => i === 0 || page > pages[i - 1]!), 'List the pages ascending, each once.')
  .meta({ id: 'PageSubset', description: "Verdict extension: the file's pages (1-based, ascending) this handle carries, e.g. one subdocument of a split; absent means the whole file." });
export type PageSubset = z.infer<typeof PageSubset>;

/** The three ways a request names a file; MaterializedDocument first so its extra keys are kept when present. */
export const FileDocumentInput = z.union([MaterializedDocumentInput, FileRef, MIMEData]);
export type FileDocumentInput = z.infer<typeof FileDocumentInput>;

/**
 * A stored file in a response: the union of Retab's two generations' keys (`original_id` and
 * `gcs_uri` for 393edb37's MaterializedDocument, `id` for later FileRefs), retab-api-delta §2.5.
 */
export const StoredFileDocument = z
  .object({
    id: z.string(),
    original_id: z.string(),
    filename: z.string(),
    mime_type: z.string(),
    gcs_uri: z.string(),
    size_bytes: z.number().int(),
    content_fingerprint: z.string().nullable(),
  })
  .meta({ id: 'StoredFileDocument' });
export type StoredFileDocument = z.infer<typeof StoredFileDocument>;

/** The one serializer of a stored file for responses (test sources, result inputs and outputs): both SDK generations parse it. */
export function fileForWire(document: MaterializedDocument): StoredFileDocument {
  return {
    id: document.original_id,
    original_id: document.original_id,
    filename: document.filename,
    mime_type: document.mime_type,
    gcs_uri: document.gcs_uri,
    size_bytes: document.size_bytes,
    content_fingerprint: document.content_fingerprint ?? null,
  };
}

/** `File` of `GET /v1/files[/{id}]`: Retab's File, which also carries every FileRef key. */
export const FileObject = z
  .object({
    object: z.literal('file'),
    id: z.string(),
    filename: z.string(),
    mime_type: z.string(),
    size_bytes: z.number().int().meta({ description: 'Verdict extension.' }),
    created_at: Timestamp,
    updated_at: Timestamp,
  })
  .meta({ id: 'File' });
export type FileObject = z.infer<typeof FileObject>;

const Sha256Hex = z
  .string()
  .regex(/^[0-9a-fA-F]{64}$/, 'sha256 is the 64 hex digits of the SHA-256 of the bytes.')
  .nullable()
  .optional();

export const CreateUploadRequest = z
  .object({
    filename: z.string().trim().min(1, 'Give the name of the file, with its extension.').max(1000),
    content_type: z.string().max(255).nullable().optional(),
    size_bytes: z.number().int().min(1, 'An empty file cannot be uploaded.'),
    sha256: Sha256Hex,
  })
  .meta({ id: 'UploadFileRequest' });
export type CreateUploadRequest = z.infer<typeof CreateUploadRequest>;

/** Every key under both casings: Retab's Node SDK read snake_case before 2026-06-14 and camelCase since (retab-api-delta §2.4). */
export const CreateUploadResponse = z
  .object({
    file_id: z.string(),
    fileId: z.string(),
    upload_url: z.string(),
    uploadUrl: z.string(),
    upload_method: z.literal('PUT'),
    uploadMethod: z.literal('PUT'),
    upload_headers: z.record(z.string(), z.string()),
    uploadHeaders: z.record(z.string(), z.string()),
    mime_data: MIMEData,
    mimeData: MIMEData,
    expires_at: Timestamp,
    expiresAt: Timestamp,
  })
  .meta({ id: 'CreateUploadResponse' });
export type CreateUploadResponse = z.infer<typeof CreateUploadResponse>;

export const CompleteUploadRequest = z
  .object({
    sha256: Sha256Hex,
  })
  .meta({ id: 'CompleteFileUploadRequest' });

export const FileLink = z
  .object({
    download_url: z.string(),
    expires_in: z.string().meta({ description: 'Seconds the download_url stays valid, e.g. `3600s`.' }),
    filename: z.string(),
    mime_data: MIMEData,
  })
  .meta({ id: 'FileLink' });
export type FileLink = z.infer<typeof FileLink>;
