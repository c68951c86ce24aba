import { canonicalJson, fingerprint } from '../canonical.js';
import type { BlockConfig, BlockType } from '../schemas/workflows.js';
import { replayedHandleInputs, type HandleInput, type WorkflowTestSource } from '../schemas/tests.js';
import type { EdgeEndpoints } from './edges.js';
import { sortedBy } from './sort.js';

/** The parts of a block that change what it computes; label, position and size do not. */
export interface ExecutableBlock {
  id: string;
  type: BlockType;
  config: BlockConfig | null;
  parent_id: string | null;
}

/** An absent config and an empty one configure a block the same way. */
function executablePart(block: Omit<ExecutableBlock, 'id'>) {
  return { type: block.type, config: block.config ?? {}, parent_id: block.parent_id ?? null };
}

function edgePart(edge: EdgeEndpoints) {
  return {
    source_block: edge.source_block,
    source_handle: edge.source_handle ?? null,
    target_block: edge.target_block,
    target_handle: edge.target_handle ?? null,
  };
}

/** docs/decisions.md §8: H(type + config + parent). */
export function blockConfigFingerprint(block: Omit<ExecutableBlock, 'id'>): string {
  return fingerprint(executablePart(block));
}

/** docs/decisions.md §8: H of every block's executable part (sorted by id) and every edge's endpoints (sorted); edge ids are not executable. */
export function workflowDraftFingerprint(blocks: ExecutableBlock[], edges: EdgeEndpoints[]): string {
  const blockParts = sortedBy(blocks.map((block) => ({ id: block.id, ...executablePart(block) })), (part) => part.id);
  const edgeParts = sortedBy(edges.map(edgePart), canonicalJson);
  return fingerprint({ blocks: blockParts, edges: edgeParts });
}

/** A file is identified by its content (else its original file id) and type; its name does not change what a block sees. */
function fileIdentity(document: Extract<HandleInput, { type: 'file' }>['document']) {
  const content =
    ('content_fingerprint' in document && document.content_fingerprint) ||
    ('original_id' in document && document.original_id) ||
    ('id' in document && document.id) ||
    ('url' in document && document.url) ||
    null;
  return { type: 'file', content_fingerprint: content, mime_type: 'mime_type' in document ? document.mime_type : null };
}

export function handleInputsFingerprint(inputs: Record<string, HandleInput>): string {
  const reduced = Object.fromEntries(
    Object.entries(inputs).map(([handleId, input]) => [handleId, input.type === 'file' ? fileIdentity(input.document) : { type: 'json', data: input.data }]),
  );
  return fingerprint(reduced);
}

/** The handle-inputs fingerprint of a test's source: of the inputs it replays. */
export function testSourceFingerprint(source: WorkflowTestSource): string {
  return handleInputsFingerprint(replayedHandleInputs(source));
}

export interface FingerprintSet {
  handle_inputs_fingerprint: string;
  workflow_draft_fingerprint: string;
  block_config_fingerprint: string;
}

/** docs/decisions.md §8: the cache key of one test execution. */
export function executionFingerprint(parts: FingerprintSet): string {
  return fingerprint([parts.handle_inputs_fingerprint, parts.workflow_draft_fingerprint, parts.block_config_fingerprint]);
}

/** Publishing and test runs snapshot the draft under this content-addressed id. */
export function versionIdFor(draftFingerprint: string): string {
  return 'ver_' + draftFingerprint;
}

/** The draft fingerprint a version id was made from (versionIdFor's inverse). */
export function draftFingerprintOfVersion(versionId: string): string {
  return versionId.startsWith('ver_') ? versionId.slice('ver_'.length) : versionId;
}

/**
 * A block or edge as one stored workflow version holds it is named by a hash of the workflow and
 * all of its fields: the same block in two versions has one id, and any change (label included)
 * gives another.
 */
export function blockVersionIdFor(workflowId: string, block: { id: string }): string {
  return 'blkver_' + fingerprint({ workflow_id: workflowId, block });
}

export function edgeVersionIdFor(workflowId: string, edge: { id: string }): string {
  return 'edgver_' + fingerprint({ workflow_id: workflowId, edge });
}
