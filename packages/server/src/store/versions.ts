import { isoNow, versionIdFor, workflowDraftFingerprint, type BlockConfig, type BlockType } from '@verdict/core';
import type { Kysely } from 'kysely';
import { fromJson, toJson } from './database.js';
import { loadDraft } from './graph.js';
import type { Database } from './schema.js';

export interface SnapshotBlock {
  id: string;
  type: BlockType;
  label: string;
  config: BlockConfig | null;
  parent_id: string | null;
  position_x: number;
  position_y: number;
  width: number | null;
  height: number | null;
}

export interface SnapshotEdge {
  id: string;
  source_block: string;
  source_handle: string | null;
  target_block: string;
  target_handle: string | null;
}

/** An immutable, content-addressed copy of a draft (docs/decisions.md §3, §8). */
export interface WorkflowSnapshot {
  versionId: string;
  draftFingerprint: string;
  blocks: SnapshotBlock[];
  edges: SnapshotEdge[];
}

/** Stores the current draft as a version (idempotent: same content, same `ver_` id) and returns it. */
export async function snapshotDraft(db: Kysely<Database>, organizationId: string, workflowId: string): Promise<WorkflowSnapshot> {
  const draft = await loadDraft(db, organizationId, workflowId);
  const blocks: SnapshotBlock[] = draft.blocks.map((row) => ({
    id: row.id,
    type: row.type as BlockType,
    label: row.label,
    config: fromJson<BlockConfig>(row.config),
    parent_id: row.parent_id,
    position_x: row.position_x,
    position_y: row.position_y,
    width: row.width,
    height: row.height,
  }));
  const edges: SnapshotEdge[] = draft.edges.map((row) => ({
    id: row.id,
    source_block: row.source_block,
    source_handle: row.source_handle,
    target_block: row.target_block,
    target_handle: row.target_handle,
  }));
  const draftFingerprint = workflowDraftFingerprint(blocks, edges);
  const snapshot: WorkflowSnapshot = { versionId: versionIdFor(draftFingerprint), draftFingerprint, blocks, edges };
  await db
    .insertInto('workflow_versions')
    .values({ organization_id: organizationId, workflow_id: workflowId, id: snapshot.versionId, snapshot: toJson(snapshot), created_at: isoNow() })
    .onConflict((c) => c.columns(['organization_id', 'workflow_id', 'id']).doNothing())
    .execute();
  return snapshot;
}

export async function loadSnapshot(db: Kysely<Database>, organizationId: string, workflowId: string, versionId: string): Promise<WorkflowSnapshot | null> {
  const row = await db
    .selectFrom('workflow_versions')
    .select('snapshot')
    .where('organization_id', '=', organizationId)
    .where('workflow_id', '=', workflowId)
    .where('id', '=', versionId)
    .executeTakeFirst();
  return row ? fromJson<WorkflowSnapshot>(row.snapshot) : null;
}
