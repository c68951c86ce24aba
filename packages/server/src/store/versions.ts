import { isoNow, versionIdFor, workflowDraftFingerprint, type BlockConfig, type BlockType, type Page } from '@verdict/core';
import { BoundedCache } from '@verdict/core/assertions/lru';
import { sql, type Kysely } from 'kysely';
import { keysetPage, type KeysetRequest } from './keyset.js';
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

/** The blocks of several versions of one workflow, in one query; a version not stored is left out. */
export async function loadSnapshotBlocks(db: Kysely<Database>, organizationId: string, workflowId: string, versionIds: string[]): Promise<Map<string, Map<string, SnapshotBlock>>> {
  if (versionIds.length === 0) return new Map();
  const rows = await db
    .selectFrom('workflow_versions')
    .select(['id', 'snapshot'])
    .where('organization_id', '=', organizationId)
    .where('workflow_id', '=', workflowId)
    .where('id', 'in', versionIds)
    .execute();
  return new Map(rows.map((row) => [row.id, new Map(fromJson<WorkflowSnapshot>(row.snapshot)!.blocks.map((block) => [block.id, block]))]));
}

/**
 * Fingerprints of current drafts by organization, workflow and draft revision (migration 018: a
 * token that triggers renew on every change to the workflow's blocks or edges). Polling a run reads
 * its workflow's draft fingerprint every time; computing it reads and hashes every block and edge.
 */
const fingerprintsByRevision = new BoundedCache<string, string>(10_000);

/**
 * The fingerprint of each workflow's current draft: one query when they are cached, three when not.
 * `revisions`: the workflows' draft revisions when the caller read them already (with the run).
 */
export async function draftFingerprints(
  db: Kysely<Database>,
  organizationId: string,
  workflowIds: string[],
  revisions?: ReadonlyMap<string, string | null>,
): Promise<Map<string, string>> {
  if (workflowIds.length === 0) return new Map();
  // The revision is read before the graph: a change in between caches a fingerprint newer than its key, never an older one.
  const known = revisions ?? (await draftRevisions(db, organizationId, workflowIds));
  const keys = new Map<string, string>();
  for (const [workflowId, revision] of known) if (revision !== null) keys.set(workflowId, `${organizationId}\0${workflowId}\0${revision}`);
  const fingerprints = new Map<string, string>();
  for (const workflowId of workflowIds) {
    const cached = fingerprintsByRevision.get(keys.get(workflowId) ?? '');
    if (cached !== undefined) fingerprints.set(workflowId, cached);
  }
  const missing = workflowIds.filter((workflowId) => !fingerprints.has(workflowId));
  for (const [workflowId, fingerprint] of await computeDraftFingerprints(db, organizationId, missing)) {
    fingerprints.set(workflowId, fingerprint);
    const key = keys.get(workflowId);
    if (key) fingerprintsByRevision.set(key, fingerprint);
  }
  return fingerprints;
}

async function draftRevisions(db: Kysely<Database>, organizationId: string, workflowIds: string[]): Promise<Map<string, string | null>> {
  const rows = await db.selectFrom('workflows').select(['id', 'draft_revision']).where('organization_id', '=', organizationId).where('id', 'in', workflowIds).execute();
  return new Map(rows.map((row) => [row.id, row.draft_revision]));
}

/** The fingerprint of each workflow's current draft from its blocks and edges, in two queries whatever the number of workflows. */
async function computeDraftFingerprints(db: Kysely<Database>, organizationId: string, workflowIds: string[]): Promise<Map<string, string>> {
  if (workflowIds.length === 0) return new Map();
  const [blocks, edges] = await Promise.all([
    db.selectFrom('blocks').select(['workflow_id', 'id', 'type', 'config', 'parent_id']).where('organization_id', '=', organizationId).where('workflow_id', 'in', workflowIds).execute(),
    db.selectFrom('edges').select(['workflow_id', 'source_block', 'source_handle', 'target_block', 'target_handle']).where('organization_id', '=', organizationId).where('workflow_id', 'in', workflowIds).execute(),
  ]);
  return new Map(
    workflowIds.map((workflowId) => [
      workflowId,
      workflowDraftFingerprint(
        blocks.filter((block) => block.workflow_id === workflowId).map((block) => ({ id: block.id, type: block.type as BlockType, config: fromJson<BlockConfig>(block.config), parent_id: block.parent_id })),
        edges.filter((edge) => edge.workflow_id === workflowId),
      ),
    ]),
  );
}

/** A stored version with its snapshot parsed. */
export interface StoredVersion {
  id: string;
  workflowId: string;
  createdAt: string;
  snapshot: WorkflowSnapshot;
}

function storedVersionOf(row: { id: string; workflow_id: string; created_at: string; snapshot: string }): StoredVersion {
  return { id: row.id, workflowId: row.workflow_id, createdAt: row.created_at, snapshot: fromJson<WorkflowSnapshot>(row.snapshot)! };
}

function versionsOf(db: Kysely<Database>, organizationId: string, workflowId: string) {
  return db
    .selectFrom('workflow_versions')
    .select(['id', 'workflow_id', 'created_at', 'snapshot'])
    .where('organization_id', '=', organizationId)
    .where('workflow_id', '=', workflowId);
}

export async function findVersion(db: Kysely<Database>, organizationId: string, workflowId: string, versionId: string): Promise<StoredVersion | null> {
  const row = await versionsOf(db, organizationId, workflowId).where('id', '=', versionId).executeTakeFirst();
  return row ? storedVersionOf(row) : null;
}

/** One page of the workflow's versions by creation time. */
export async function listVersions(db: Kysely<Database>, organizationId: string, workflowId: string, request: KeysetRequest): Promise<Page<StoredVersion>> {
  const page = await keysetPage(versionsOf(db, organizationId, workflowId), sql.ref('created_at'), sql.ref('id'), request, async (id) =>
    (await findVersion(db, organizationId, workflowId, id))?.createdAt,
  );
  return { data: page.data.map(storedVersionOf), list_metadata: page.list_metadata };
}

/** Every version of the workflow, oldest first. */
export async function allVersions(db: Kysely<Database>, organizationId: string, workflowId: string): Promise<StoredVersion[]> {
  return (await versionsOf(db, organizationId, workflowId).orderBy('created_at').orderBy('id').execute()).map(storedVersionOf);
}

const SCAN_PAGE = 50;

/**
 * Visits the organization's versions, oldest first, a page at a time, until `visit` returns a value.
 * (Block and edge version ids do not name their workflow, so finding one reads versions.)
 */
export async function findInVersions<T>(db: Kysely<Database>, organizationId: string, visit: (version: StoredVersion) => T | undefined): Promise<T | undefined> {
  for (let offset = 0; ; offset += SCAN_PAGE) {
    const rows = await db
      .selectFrom('workflow_versions')
      .select(['id', 'workflow_id', 'created_at', 'snapshot'])
      .where('organization_id', '=', organizationId)
      .orderBy('created_at')
      .orderBy('workflow_id')
      .orderBy('id')
      .limit(SCAN_PAGE)
      .offset(offset)
      .execute();
    for (const row of rows) {
      const found = visit(storedVersionOf(row));
      if (found !== undefined) return found;
    }
    if (rows.length < SCAN_PAGE) return undefined;
  }
}
