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

/** Until the blob store is wired: file inputs are refused at test creation with a clear message. */
export const noFileSupport: FileService = {
  async normalizeHandleInputs(_organizationId, inputs) {
    const issues = Object.entries(inputs)
      .filter(([, input]) => input.type === 'file')
      .map(([handleId]) => ({ path: handleId, message: 'file inputs are not supported by this server configuration' }));
    return { inputs, issues };
  },
  async resolve() {
    throw new Error('file inputs are not supported by this server configuration');
  },
};
