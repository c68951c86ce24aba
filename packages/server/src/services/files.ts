import type { FileRef, HandleInput, MaterializedDocument, MIMEData } from '@verdict/core';
import type { ResolvedFileInput } from '../execution/blocks/types.js';

export interface InputIssue {
  /** Path below `handle_inputs`, e.g. `input-file-document.document.url`. */
  path: string;
  message: string;
}

/** Files in test inputs: normalised and stored when a test is saved, read back when it runs. */
export interface FileService {
  normalizeHandleInputs(organizationId: string, inputs: Record<string, HandleInput>): Promise<{ inputs: Record<string, HandleInput>; issues: InputIssue[] }>;
  resolve(organizationId: string, document: FileDocument, signal: AbortSignal): Promise<ResolvedFileInput>;
}

/** Any of the three file shapes a handle input accepts; stored tests hold MaterializedDocument. */
export type FileDocument = MaterializedDocument | FileRef | MIMEData;
