import type { FileDocumentInput, HandleInput } from '@verdict/core';
import type { BlobStore } from './blob-store.js';
import { FileInputError } from './errors.js';
import { normalizeFileInput, resolvedFileInput, type FileInputDeps, type NewFile, type ResolvedFileInput, type StoredFile } from './normalize.js';

export interface InputIssue {
  /** Path below `handle_inputs`, e.g. `input-file-document.document.url`. */
  path: string;
  message: string;
  /** The FileInputError's code (`file_not_found`, `unsupported_file_location`, …). */
  code: string;
}

/** Any of the three file shapes a handle input accepts; stored tests hold MaterializedDocument. */
export type FileDocument = FileDocumentInput;

/**
 * Files in test inputs: normalised and stored when a test is saved, read back when it runs. A file
 * that cannot be used at run time (its blob vanished, another organization's) is a FileInputError.
 */
export interface FileService {
  normalizeHandleInputs(organizationId: string, inputs: Record<string, HandleInput>): Promise<{ inputs: Record<string, HandleInput>; issues: InputIssue[] }>;
  resolve(organizationId: string, document: FileDocument, signal: AbortSignal): Promise<ResolvedFileInput>;
}

/** The `files` table, as the file service needs it; every call is scoped to one organization. */
export interface FileRecords {
  lookupFile(organizationId: string, id: string): Promise<StoredFile | null>;
  lookupFileBySha256(organizationId: string, sha256: string): Promise<StoredFile | null>;
  /** Inserts a row with a new `file_` id and returns it. */
  registerFile(organizationId: string, file: NewFile): Promise<StoredFile>;
}

export interface BlobFileServiceOptions {
  blobs: BlobStore;
  maxFileBytes: number;
  records: FileRecords;
}

/**
 * The FileService over the blob store: at test creation every file input becomes a
 * MaterializedDocument in the blob store (or an issue saying why it cannot); at run time a stored
 * document becomes a reader of its bytes, and a vanished blob is a FileInputError (the test runner
 * records it as a block failure), not a crash.
 */
export function createBlobFileService({ blobs, maxFileBytes, records }: BlobFileServiceOptions): FileService {
  const depsFor = (organizationId: string): FileInputDeps => ({
    blobs,
    maxFileBytes,
    lookupFile: (id) => records.lookupFile(organizationId, id),
    lookupFileBySha256: (sha256) => records.lookupFileBySha256(organizationId, sha256),
    registerFile: (file) => records.registerFile(organizationId, file),
  });

  return {
    async normalizeHandleInputs(organizationId, inputs) {
      const deps = depsFor(organizationId);
      const normalized: Record<string, HandleInput> = {};
      const issues: InputIssue[] = [];
      for (const [handleId, input] of Object.entries(inputs)) {
        if (input.type !== 'file') {
          normalized[handleId] = input;
          continue;
        }
        try {
          normalized[handleId] = { ...input, document: await normalizeFileInput(input.document, deps) };
        } catch (error) {
          if (!(error instanceof FileInputError)) throw error;
          issues.push({ path: `${handleId}.document`, message: error.message, code: error.code });
          normalized[handleId] = input;
        }
      }
      return { inputs: normalized, issues };
    },

    async resolve(organizationId: string, document: FileDocument, signal: AbortSignal): Promise<ResolvedFileInput> {
      signal.throwIfAborted();
      return resolvedFileInput(await normalizeFileInput(document, depsFor(organizationId)), blobs);
    },
  };
}
