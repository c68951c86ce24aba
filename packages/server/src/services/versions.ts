import {
  blockConfigFingerprint,
  blockVersionIdFor,
  canonicalJson,
  edgeVersionIdFor,
  type Page,
  type Workflow,
  type WorkflowBlock,
  type WorkflowBlockVersion,
  type WorkflowBlockVersionDiff,
  type WorkflowEdge,
  type WorkflowEdgeVersion,
  type WorkflowEdgeVersionDiff,
  type WorkflowGraphVersion,
  type WorkflowGraphVersionDiff,
  type WorkflowVersionFieldDiff,
} from '@verdict/core';
import { createError } from '../errors/index.js';
import type { KeysetRequest } from '../store/keyset.js';
import { allVersions, findInVersions, findVersion, listVersions, snapshotDraft, type SnapshotBlock, type SnapshotEdge, type StoredVersion } from '../store/versions.js';
import { requireWorkflowRow } from '../store/workflows.js';
import { inGraphTransaction, lockWorkflow, restoreBlock, restoreEdge } from './graph.js';
import type { Services } from './index.js';
import { replaceDraft } from './workflows.js';

/**
 * Retab's version routes over the versions Verdict stores (docs/decisions.md §3): a workflow
 * version is a stored snapshot; its block and edge versions are derived from it, never stored apart.
 */

// ---- workflow versions ---------------------------------------------------------------------------

function blockVersionIds(version: StoredVersion): string[] {
  return version.snapshot.blocks.map((block) => blockVersionIdFor(version.workflowId, block));
}

function edgeVersionIds(version: StoredVersion): string[] {
  return version.snapshot.edges.map((edge) => edgeVersionIdFor(version.workflowId, edge));
}

function graphVersionOf(version: StoredVersion): WorkflowGraphVersion {
  return {
    id: version.id,
    workflow_id: version.workflowId,
    blocks: version.snapshot.blocks.map((block) => ({
      id: block.id,
      type: block.type,
      position: { x: block.position_x, y: block.position_y },
      label: block.label,
      config: block.config,
      width: block.width,
      height: block.height,
      parent_id: block.parent_id,
    })),
    edges: version.snapshot.edges.map((edge) => ({
      id: edge.id,
      source: edge.source_block,
      target: edge.target_block,
      source_handle: edge.source_handle,
      target_handle: edge.target_handle,
      animated: true,
    })),
    block_version_ids: blockVersionIds(version),
    edge_version_ids: edgeVersionIds(version),
    created_at: version.createdAt,
  };
}

async function requireVersion(services: Services, organizationId: string, workflowId: string, versionId: string): Promise<StoredVersion> {
  await requireWorkflowRow(services.store.db, organizationId, workflowId);
  const version = await findVersion(services.store.db, organizationId, workflowId, versionId);
  if (!version) throw createError('version_not_found', `No version \`${versionId}\` of workflow \`${workflowId}\`.`, { workflow_version_id: versionId, workflow_id: workflowId });
  return version;
}

export async function listWorkflowVersions(services: Services, organizationId: string, workflowId: string, request: KeysetRequest): Promise<Page<WorkflowGraphVersion>> {
  await requireWorkflowRow(services.store.db, organizationId, workflowId);
  const page = await listVersions(services.store.db, organizationId, workflowId, request);
  return { data: page.data.map(graphVersionOf), list_metadata: page.list_metadata };
}

export async function getWorkflowVersion(services: Services, organizationId: string, workflowId: string, versionId: string): Promise<WorkflowGraphVersion> {
  return graphVersionOf(await requireVersion(services, organizationId, workflowId, versionId));
}

/** Ids added, removed and changed between two keyed lists, each sorted. */
function idChanges<T extends { id: string }>(from: T[], to: T[]) {
  const before = new Map(from.map((item) => [item.id, canonicalJson(item)]));
  const after = new Map(to.map((item) => [item.id, canonicalJson(item)]));
  const sorted = (ids: string[]) => ids.sort();
  return {
    added: sorted([...after.keys()].filter((id) => !before.has(id))),
    removed: sorted([...before.keys()].filter((id) => !after.has(id))),
    changed: sorted([...after].filter(([id, value]) => before.has(id) && before.get(id) !== value).map(([id]) => id)),
  };
}

export async function diffWorkflowVersions(services: Services, organizationId: string, workflowId: string, fromId: string, toId: string): Promise<WorkflowGraphVersionDiff> {
  const from = await requireVersion(services, organizationId, workflowId, fromId);
  const to = await requireVersion(services, organizationId, workflowId, toId);
  const blocks = idChanges(from.snapshot.blocks, to.snapshot.blocks);
  const edges = idChanges(from.snapshot.edges, to.snapshot.edges);
  return {
    from_workflow_version_id: fromId,
    to_workflow_version_id: toId,
    added_block_ids: blocks.added,
    removed_block_ids: blocks.removed,
    changed_block_ids: blocks.changed,
    added_edge_ids: edges.added,
    removed_edge_ids: edges.removed,
    changed_edge_ids: edges.changed,
  };
}

/**
 * Makes the draft that version. The draft it replaces is stored as a version first, so a restore
 * can itself be undone.
 */
export async function restoreWorkflowVersion(services: Services, organizationId: string, workflowId: string, versionId: string): Promise<Workflow> {
  return inGraphTransaction(services, async (trx) => {
    await lockWorkflow(trx, organizationId, workflowId);
    const workflow = await requireWorkflowRow(trx, organizationId, workflowId);
    const version = await findVersion(trx, organizationId, workflowId, versionId);
    if (!version) throw createError('version_not_found', `No version \`${versionId}\` of workflow \`${workflowId}\`.`, { workflow_version_id: versionId, workflow_id: workflowId });
    await snapshotDraft(trx, organizationId, workflowId);
    return replaceDraft(trx, workflow, version.snapshot);
  });
}

// ---- block and edge versions ---------------------------------------------------------------------

/** What differs between a block version and an edge version: where they sit in a snapshot and how they look on the wire. */
interface PartKind<Part extends { id: string }, Wire extends { id: string; workflow_version_id: string; created_at: string }> {
  noun: 'block' | 'edge';
  partsOf(version: StoredVersion): Part[];
  versionIdOf(workflowId: string, part: Part): string;
  wire(part: Part, version: StoredVersion, versionId: string): Wire;
  /** The wire fields a diff compares. */
  fields: ReadonlyArray<keyof Wire & string>;
}

const BLOCKS: PartKind<SnapshotBlock, WorkflowBlockVersion> = {
  noun: 'block',
  partsOf: (version) => version.snapshot.blocks,
  versionIdOf: blockVersionIdFor,
  wire: ({ id: blockId, ...fields }, version, id) => ({
    id,
    block_id: blockId,
    workflow_id: version.workflowId,
    workflow_version_id: version.id,
    ...fields,
    config_hash: blockConfigFingerprint(fields),
    created_at: version.createdAt,
  }),
  fields: ['type', 'label', 'position_x', 'position_y', 'width', 'height', 'parent_id', 'config'],
};

const EDGES: PartKind<SnapshotEdge, WorkflowEdgeVersion> = {
  noun: 'edge',
  partsOf: (version) => version.snapshot.edges,
  versionIdOf: edgeVersionIdFor,
  wire: (edge, version, id) => ({
    id,
    edge_id: edge.id,
    workflow_id: version.workflowId,
    workflow_version_id: version.id,
    source: edge.source_block,
    target: edge.target_block,
    source_handle: edge.source_handle,
    target_handle: edge.target_handle,
    animated: true,
    created_at: version.createdAt,
  }),
  fields: ['source', 'target', 'source_handle', 'target_handle'],
};

/** Every distinct part version of the workflow, each with the oldest workflow version that holds it. */
function partVersions<Part extends { id: string }, Wire extends { id: string; workflow_version_id: string; created_at: string }>(
  kind: PartKind<Part, Wire>,
  versions: StoredVersion[],
): Map<string, { wire: Wire; heldBy: Set<string> }> {
  const found = new Map<string, { wire: Wire; heldBy: Set<string> }>();
  for (const version of versions) {
    for (const part of kind.partsOf(version)) {
      const id = kind.versionIdOf(version.workflowId, part);
      const known = found.get(id) ?? { wire: kind.wire(part, version, id), heldBy: new Set<string>() };
      known.heldBy.add(version.id);
      found.set(id, known);
    }
  }
  return found;
}

/** A keyset page over a list held in memory, ordered by (created_at, id) as the stored lists are. */
function pageOf<T extends { id: string; created_at: string }>(items: T[], request: KeysetRequest): Page<T> {
  const ascending = [...items].sort((a, b) => (a.created_at === b.created_at ? (a.id < b.id ? -1 : 1) : a.created_at < b.created_at ? -1 : 1));
  const ordered = request.order === 'asc' ? ascending : ascending.reverse();
  const cursor = request.after ?? request.before;
  const at = cursor === undefined ? -1 : ordered.findIndex((item) => item.id === cursor);
  if (cursor !== undefined && at < 0) {
    throw createError('validation_error', `The cursor \`${cursor}\` is not an item of this list; pass an id from a previous page's list_metadata.`, {
      issues: [{ path: `query.${request.before !== undefined ? 'before' : 'after'}`, message: 'unknown cursor' }],
    });
  }
  if (request.before !== undefined) {
    const start = Math.max(0, at - request.limit);
    const data = ordered.slice(start, at);
    return { data, list_metadata: { before: start > 0 ? (data[0]?.id ?? null) : null, after: data[data.length - 1]?.id ?? null } };
  }
  const data = ordered.slice(at + 1, at + 1 + request.limit);
  const hasMore = at + 1 + request.limit < ordered.length;
  return { data, list_metadata: { before: cursor !== undefined ? (data[0]?.id ?? null) : null, after: hasMore ? (data[data.length - 1]?.id ?? null) : null } };
}

export interface PartVersionFilter {
  workflowId: string;
  /** The block or edge id. */
  partId?: string;
  workflowVersionId?: string;
}

async function listPartVersions<Part extends { id: string }, Wire extends { id: string; workflow_version_id: string; created_at: string }>(
  services: Services,
  organizationId: string,
  kind: PartKind<Part, Wire>,
  filter: PartVersionFilter,
  request: KeysetRequest,
): Promise<Page<Wire>> {
  await requireWorkflowRow(services.store.db, organizationId, filter.workflowId);
  const found = [...partVersions(kind, await allVersions(services.store.db, organizationId, filter.workflowId)).values()];
  const partIdOf = (wire: Wire) => (wire as unknown as Record<string, string>)[`${kind.noun}_id`];
  const matching = found
    .filter(({ heldBy }) => filter.workflowVersionId === undefined || heldBy.has(filter.workflowVersionId))
    .map(({ wire }) => wire)
    .filter((wire) => filter.partId === undefined || partIdOf(wire) === filter.partId);
  return pageOf(matching, request);
}

async function requirePartVersion<Part extends { id: string }, Wire extends { id: string; workflow_version_id: string; created_at: string }>(
  services: Services,
  organizationId: string,
  kind: PartKind<Part, Wire>,
  versionId: string,
): Promise<{ wire: Wire; part: Part }> {
  const found = await findInVersions(services.store.db, organizationId, (version) => {
    const part = kind.partsOf(version).find((candidate) => kind.versionIdOf(version.workflowId, candidate) === versionId);
    return part && { wire: kind.wire(part, version, versionId), part };
  });
  if (!found) throw createError('version_not_found', `No ${kind.noun} version \`${versionId}\` in this organization.`, { [`${kind.noun}_version_id`]: versionId });
  return found;
}

function fieldDiffs<Wire>(fields: ReadonlyArray<keyof Wire & string>, from: Wire, to: Wire): WorkflowVersionFieldDiff[] {
  return fields
    .filter((field) => canonicalJson(from[field] ?? null) !== canonicalJson(to[field] ?? null))
    .map((field) => ({ field, from_value: from[field] ?? null, to_value: to[field] ?? null }));
}

async function diffPartVersions<Part extends { id: string }, Wire extends { id: string; workflow_version_id: string; created_at: string }>(
  services: Services,
  organizationId: string,
  kind: PartKind<Part, Wire>,
  fromId: string,
  toId: string,
) {
  const from = await requirePartVersion(services, organizationId, kind, fromId);
  const to = await requirePartVersion(services, organizationId, kind, toId);
  if (from.part.id !== to.part.id || (from.wire as { workflow_id?: string }).workflow_id !== (to.wire as { workflow_id?: string }).workflow_id) {
    throw createError('validation_error', `\`${fromId}\` and \`${toId}\` are versions of different ${kind.noun}s; a diff compares two versions of one ${kind.noun}.`, {
      issues: [{ path: `query.to_${kind.noun}_version_id`, message: `not a version of ${kind.noun} \`${from.part.id}\`` }],
    });
  }
  return { partId: from.part.id, changes: fieldDiffs(kind.fields, from.wire, to.wire) };
}

export const listBlockVersions = (services: Services, organizationId: string, filter: PartVersionFilter, request: KeysetRequest) =>
  listPartVersions(services, organizationId, BLOCKS, filter, request);
export const listEdgeVersions = (services: Services, organizationId: string, filter: PartVersionFilter, request: KeysetRequest) =>
  listPartVersions(services, organizationId, EDGES, filter, request);

export async function getBlockVersion(services: Services, organizationId: string, versionId: string): Promise<WorkflowBlockVersion> {
  return (await requirePartVersion(services, organizationId, BLOCKS, versionId)).wire;
}
export async function getEdgeVersion(services: Services, organizationId: string, versionId: string): Promise<WorkflowEdgeVersion> {
  return (await requirePartVersion(services, organizationId, EDGES, versionId)).wire;
}

export async function diffBlockVersions(services: Services, organizationId: string, fromId: string, toId: string): Promise<WorkflowBlockVersionDiff> {
  const { partId, changes } = await diffPartVersions(services, organizationId, BLOCKS, fromId, toId);
  return { from_block_version_id: fromId, to_block_version_id: toId, block_id: partId, changes };
}
export async function diffEdgeVersions(services: Services, organizationId: string, fromId: string, toId: string): Promise<WorkflowEdgeVersionDiff> {
  const { partId, changes } = await diffPartVersions(services, organizationId, EDGES, fromId, toId);
  return { from_edge_version_id: fromId, to_edge_version_id: toId, edge_id: partId, changes };
}

/** Puts the block back into its workflow's draft as that version holds it (created again if it was deleted). */
export async function restoreBlockVersion(services: Services, organizationId: string, versionId: string): Promise<WorkflowBlock> {
  const { wire, part } = await requirePartVersion(services, organizationId, BLOCKS, versionId);
  return restoreBlock(services, organizationId, wire.workflow_id, part);
}

/** Puts the edge back into its workflow's draft; its endpoints are checked as a new edge's are. */
export async function restoreEdgeVersion(services: Services, organizationId: string, versionId: string): Promise<WorkflowEdge> {
  const { wire, part } = await requirePartVersion(services, organizationId, EDGES, versionId);
  return restoreEdge(services, organizationId, wire.workflow_id, part);
}
