import type { HandleOutput } from '@verdict/core';
import type { FileDocument } from '../../files/index.js';
import type { ResolvedHandleInput } from '../blocks/types.js';

/** What one handle carries between steps, as steps record it (a test's handle input has the same shape). */
export type HandlePayload = HandleOutput;

/** The same payloads as the manual source of a test, JSON text: what a block executor reads. */
export function manualSourceJson(handleInputs: Record<string, HandlePayload>): string {
  return JSON.stringify({ type: 'manual', handle_inputs: handleInputs });
}

/** Payloads made ready for an executor: files become readers of their bytes. */
export async function resolvePayloads(
  handleInputs: Record<string, HandlePayload>,
  resolveFile: (document: FileDocument) => Promise<ResolvedHandleInput>,
): Promise<Record<string, ResolvedHandleInput>> {
  const resolved: Record<string, ResolvedHandleInput> = {};
  for (const [handleId, payload] of Object.entries(handleInputs)) {
    resolved[handleId] = payload.type === 'json' ? { type: 'json', data: payload.data } : await resolveFile(payload.document);
  }
  return resolved;
}
