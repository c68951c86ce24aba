import type { FileDocument } from '../../files/index.js';
import type { ResolvedHandleInput } from '../blocks/types.js';

/** What one handle carries between steps, as steps record it (a test's handle input has the same shape). */
export type HandlePayload = { type: 'json'; data: unknown } | { type: 'file'; document: FileDocument & { id: string; filename: string; mime_type: string } };

/**
 * A block's raw output on one handle as a payload: a file output is `{type: 'file', id, filename,
 * mime_type, …}` (execution/blocks/model-support's filePayload), anything else is JSON.
 */
export function payloadOfOutput(value: unknown): HandlePayload {
  if (isFileOutput(value)) return { type: 'file', document: { id: value.id, filename: value.filename, mime_type: value.mime_type } };
  return { type: 'json', data: value };
}

function isFileOutput(value: unknown): value is { id: string; filename: string; mime_type: string } {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const candidate = value as Record<string, unknown>;
  return candidate.type === 'file' && typeof candidate.id === 'string' && typeof candidate.filename === 'string' && typeof candidate.mime_type === 'string';
}

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
