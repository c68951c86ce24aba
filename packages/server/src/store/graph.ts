import { deriveHandles, formatSpecPath, type BlockConfig, type BlockType, type WorkflowBlock, type WorkflowEdge } from '@verdict/core';
import { sql, type Kysely, type Selectable } from 'kysely';
import { createError } from '../errors/index.js';
import { fromJson } from './database.js';
import { keysetPage, type KeysetRequest } from './keyset.js';
import type { BlocksTable, Database, EdgesTable } from './schema.js';

export function blockFromRow(row: Selectable<BlocksTable>): WorkflowBlock {
  const config = fromJson<BlockConfig>(row.config);
  const handles = deriveHandles(row.type as BlockType, config);
  return {
    id: row.id,
    workflow_id: row.workflow_id,
    type: row.type as BlockType,
    label: row.label,
    position_x: row.position_x,
    position_y: row.position_y,
    width: row.width,
    height: row.height,
    config,
    parent_id: row.parent_id,
    declarative_path: row.declarative_source_block_id === null ? null : formatSpecPath(['spec', 'blocks', row.declarative_source_block_id]),
    declarative_source_block_id: row.declarative_source_block_id,
    updated_at: row.updated_at,
    input_handles: handles.inputs.map((handle) => handle.id),
    output_handles: handles.outputs.map((handle) => handle.id),
  };
}

export function edgeFromRow(row: Selectable<EdgesTable>): WorkflowEdge {
  return {
    id: row.id,
    workflow_id: row.workflow_id,
    source_block: row.source_block,
    target_block: row.target_block,
    source_handle: row.source_handle,
    target_handle: row.target_handle,
    updated_at: row.updated_at,
  };
}

/** The draft graph of one workflow, in id order. */
export async function loadDraft(db: Kysely<Database>, organizationId: string, workflowId: string) {
  const [blocks, edges] = await Promise.all([
    db.selectFrom('blocks').selectAll().where('organization_id', '=', organizationId).where('workflow_id', '=', workflowId).orderBy('id').execute(),
    db.selectFrom('edges').selectAll().where('organization_id', '=', organizationId).where('workflow_id', '=', workflowId).orderBy('id').execute(),
  ]);
  return { blocks, edges };
}

export async function findBlockRow(db: Kysely<Database>, organizationId: string, blockId: string, workflowId?: string) {
  let query = db.selectFrom('blocks').selectAll().where('organization_id', '=', organizationId).where('id', '=', blockId);
  if (workflowId) query = query.where('workflow_id', '=', workflowId);
  return query.executeTakeFirst();
}

/** The blocks directly inside a for_each (its loop body), by id. */
export async function listLoopBodyRows(db: Kysely<Database>, organizationId: string, workflowId: string, loopId: string) {
  return db.selectFrom('blocks').selectAll().where('organization_id', '=', organizationId).where('workflow_id', '=', workflowId).where('parent_id', '=', loopId).orderBy('id').execute();
}

export async function requireBlockRow(db: Kysely<Database>, organizationId: string, blockId: string, workflowId?: string) {
  const row = await findBlockRow(db, organizationId, blockId, workflowId);
  if (!row) {
    const where = workflowId ? ` in workflow \`${workflowId}\`` : '';
    throw createError('block_not_found', `No block \`${blockId}\`${where}.`, { block_id: blockId, ...(workflowId ? { workflow_id: workflowId } : {}) });
  }
  return row;
}

export async function listBlocks(db: Kysely<Database>, organizationId: string, workflowId: string, request: KeysetRequest) {
  const base = db.selectFrom('blocks').selectAll().where('organization_id', '=', organizationId).where('workflow_id', '=', workflowId);
  const page = await keysetPage(base, sql.ref('created_at'), sql.ref('id'), request, async (id) => (await findBlockRow(db, organizationId, id, workflowId))?.created_at);
  return { data: page.data.map(blockFromRow), list_metadata: page.list_metadata };
}

export async function findEdgeRow(db: Kysely<Database>, organizationId: string, edgeId: string) {
  return db.selectFrom('edges').selectAll().where('organization_id', '=', organizationId).where('id', '=', edgeId).executeTakeFirst();
}

export async function listEdges(
  db: Kysely<Database>,
  organizationId: string,
  filter: { workflowId: string; sourceBlock?: string; targetBlock?: string },
  request: KeysetRequest,
) {
  let base = db.selectFrom('edges').selectAll().where('organization_id', '=', organizationId).where('workflow_id', '=', filter.workflowId);
  if (filter.sourceBlock) base = base.where('source_block', '=', filter.sourceBlock);
  if (filter.targetBlock) base = base.where('target_block', '=', filter.targetBlock);
  const page = await keysetPage(base, sql.ref('created_at'), sql.ref('id'), request, async (id) => {
    const cursor = await findEdgeRow(db, organizationId, id);
    return cursor?.workflow_id === filter.workflowId ? cursor.created_at : undefined;
  });
  return { data: page.data.map(edgeFromRow), list_metadata: page.list_metadata };
}
