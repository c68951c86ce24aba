import type { HandleOutput } from '@verdict/core';
import { withPages, type FileDocument, type ResolvedFileInput } from '../../files/index.js';
import type { ResolvedHandleInput } from '../blocks/types.js';

/** What one handle carries between steps, as steps record it (a test's handle input has the same shape). */
export type HandlePayload = HandleOutput;

/** The same payloads as the manual source of a test, JSON text: what a block executor reads. */
export function manualSourceJson(handleInputs: Record<string, HandlePayload>): string {
  return JSON.stringify({ type: 'manual', handle_inputs: handleInputs });
}

/** Payloads made ready for an executor: files become readers of their bytes (of the pages their handle carries). */
export async function resolvePayloads(
  handleInputs: Record<string, HandlePayload>,
  resolveFile: (document: FileDocument) => Promise<ResolvedFileInput>,
): Promise<Record<string, ResolvedHandleInput>> {
  const resolved: Record<string, ResolvedHandleInput> = {};
  for (const [handleId, payload] of Object.entries(handleInputs)) {
    resolved[handleId] = payload.type === 'json' ? { type: 'json', data: payload.data } : withPages(await resolveFile(payload.document), payload.pages);
  }
  return resolved;
}
