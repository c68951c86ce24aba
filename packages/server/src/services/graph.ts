import {
  blockConfigFingerprint,
  deriveHandles,
  EdgeChecker,
  isoNow,
  newId,
  replaceConfig,
  updateConfig,
  validateBlockConfig,
  type BlockConfig,
  type BlockType,
  type CreateWorkflowBlockRequest,
  type CreateWorkflowEdgeRequest,
  type DraftBlock,
  type DraftEdge,
  type EdgeEndpoints,
  type EdgeProblem,
  type HandleDescriptor,
  type UpdateWorkflowBlockRequest,
  type ValidateWorkflowBlockConfigRequest,
  type ValidateWorkflowBlockConfigResponse,
  type WorkflowBlock,
  type WorkflowEdge,
} from '@verdict/core';
import type { Kysely, Selectable } from 'kysely';
import { createError, type ValidationIssue, type VerdictError } from '../errors/index.js';
import { fromJson, toJson } from '../store/database.js';
import { blockFromRow, edgeFromRow, findBlockRow, findEdgeRow, listBlocks, listEdges, loadDraft, requireBlockRow } from '../store/graph.js';
import type { KeysetRequest } from '../store/keyset.js';
import type { BlocksTable, Database, EdgesTable } from '../store/schema.js';
import { requireWorkflowRow } from '../store/workflows.js';
import type { Services } from './index.js';

type BlockRow = Selectable<BlocksTable>;
type EdgeRow = Selectable<EdgesTable>;

/** One graph write: a transaction that holds the workflow's lock. */
export interface GraphWrite {
  trx: Kysely<Database>;
  organizationId: string;
  workflowId: string;
  now: string;
}

const CONTAINER_TYPES: ReadonlySet<string> = new Set(['while_loop', 'for_each']);

function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === 'SQLITE_CONSTRAINT_UNIQUE';
}

/**
 * Takes the workflow's row lock for the rest of the transaction, so that concurrent graph writes
 * on one workflow run one after the other on PostgreSQL (SQLite has a single writer anyway), and
 * sets `updated_at` when given. Returns false when the workflow does not exist.
 */
export async function lockWorkflow(trx: Kysely<Database>, organizationId: string, workflowId: string, updatedAt?: string): Promise<boolean> {
  const result = await trx
    .updateTable('workflows')
    .set((eb) => ({ updated_at: updatedAt ?? eb.ref('updated_at') }))
    .where('organization_id', '=', organizationId)
    .where('id', '=', workflowId)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/**
 * Runs `work` in one transaction (callers take the workflow's lock first). A store-level duplicate
 * id (two requests racing for one custom id) is answered 409, never 500.
 */
export async function inGraphTransaction<T>(services: Services, work: (trx: Kysely<Database>) => Promise<T>): Promise<T> {
  try {
    return await services.store.db.transaction().execute(work);
  } catch (error) {
    if (!isUniqueViolation(error)) throw error;
    throw createError('conflict', 'Another request stored a block, edge or workflow with the same id at the same moment; retry, or choose another id.');
  }
}

/** A block or edge write: the workflow must exist, is locked, and its `updated_at` moves to now. */
async function writeGraph<T>(services: Services, organizationId: string, workflowId: string, work: (write: GraphWrite) => Promise<T>): Promise<T> {
  return inGraphTransaction(services, async (trx) => {
    const now = isoNow();
    const locked = await lockWorkflow(trx, organizationId, workflowId, now);
    if (!locked) await requireWorkflowRow(trx, organizationId, workflowId); // throws workflow_not_found
    return work({ trx, organizationId, workflowId, now });
  });
}

/** `declarativeSourceBlockId`: the block's id in the spec being applied, null for blocks written through the block API. */
function blockRowOf(write: GraphWrite, block: DraftBlock, declarativeSourceBlockId: string | null = null): BlockRow {
  return {
    organization_id: write.organizationId,
    workflow_id: write.workflowId,
    id: block.id,
    type: block.type,
    label: block.label,
    position_x: block.position_x,
    position_y: block.position_y,
    width: block.width,
    height: block.height,
    config: toJson(block.config ?? {}),
    parent_id: block.parent_id,
    declarative_source_block_id: declarativeSourceBlockId,
    created_at: write.now,
    updated_at: write.now,
  };
}

export async function insertBlock(write: GraphWrite, block: DraftBlock, declarativeSourceBlockId: string | null = null): Promise<BlockRow> {
  const row = blockRowOf(write, block, declarativeSourceBlockId);
  await write.trx.insertInto('blocks').values(row).execute();
  return row;
}

/**
 * Writes every field of the block but its id and creation time (a spec apply may also change its
 * type). The declarative source is written only when given: block API edits keep it.
 */
export async function replaceBlock(write: GraphWrite, block: DraftBlock, declarativeSourceBlockId?: string): Promise<void> {
  const { organization_id, workflow_id, id, created_at, declarative_source_block_id, ...kept } = blockRowOf(write, block, declarativeSourceBlockId);
  const fields = declarativeSourceBlockId === undefined ? kept : { ...kept, declarative_source_block_id };
  await write.trx.updateTable('blocks').set(fields).where('organization_id', '=', organization_id).where('workflow_id', '=', workflow_id).where('id', '=', id).execute();
}

/** Removes the block with its edges; blocks it contained move to the top level. */
export async function removeBlock(write: GraphWrite, blockId: string): Promise<void> {
  const { trx, organizationId, workflowId } = write;
  await trx
    .deleteFrom('edges')
    .where('organization_id', '=', organizationId)
    .where('workflow_id', '=', workflowId)
    .where((eb) => eb.or([eb('source_block', '=', blockId), eb('target_block', '=', blockId)]))
    .execute();
  await trx
    .updateTable('blocks')
    .set({ parent_id: null, updated_at: write.now })
    .where('organization_id', '=', organizationId)
    .where('workflow_id', '=', workflowId)
    .where('parent_id', '=', blockId)
    .execute();
  await trx.deleteFrom('blocks').where('organization_id', '=', organizationId).where('workflow_id', '=', workflowId).where('id', '=', blockId).execute();
}

export async function insertEdge(write: GraphWrite, edge: Required<EdgeEndpoints> & { id?: string | null }): Promise<EdgeRow> {
  const row: EdgeRow = {
    organization_id: write.organizationId,
    workflow_id: write.workflowId,
    id: edge.id ?? newId('edge'),
    source_block: edge.source_block,
    source_handle: edge.source_handle,
    target_block: edge.target_block,
    target_handle: edge.target_handle,
    created_at: write.now,
    updated_at: write.now,
  };
  await write.trx.insertInto('edges').values(row).execute();
  return row;
}

export async function removeEdge(write: GraphWrite, edgeId: string): Promise<void> {
  await write.trx.deleteFrom('edges').where('organization_id', '=', write.organizationId).where('workflow_id', '=', write.workflowId).where('id', '=', edgeId).execute();
}

// ---- blocks ---------------------------------------------------------------------------------

function configIssues(type: BlockType, config: BlockConfig): ValidationIssue[] {
  return validateBlockConfig(type, config).map((issue) => ({ path: ['body', 'config', ...issue.path].join('.'), message: issue.message }));
}

function requireValidConfig(type: BlockType, config: BlockConfig): void {
  const issues = configIssues(type, config);
  if (issues.length > 0) throw createError('validation_error', `Invalid ${type} block config: \`${issues[0]!.path}\`: ${issues[0]!.message}`, { issues });
}

async function requireFreeBlockId(write: GraphWrite, blockId: string): Promise<void> {
  const existing = await findBlockRow(write.trx, write.organizationId, blockId);
  if (!existing) return;
  throw createError(
    'conflict',
    `The block id \`${blockId}\` is already used in workflow \`${existing.workflow_id}\`; block ids are unique per organization. Omit id to let the server choose one.`,
    { block_id: blockId, workflow_id: existing.workflow_id },
  );
}

/** `parentId` must name a while_loop or for_each block of the workflow that is not `childId` or inside it. */
async function requireContainer(write: GraphWrite, parentId: string, childId: string | null): Promise<void> {
  const parent = await findBlockRow(write.trx, write.organizationId, parentId, write.workflowId);
  if (!parent) {
    throw createError('block_not_found', `The parent block \`${parentId}\` does not exist in workflow \`${write.workflowId}\`.`, {
      block_id: parentId,
      workflow_id: write.workflowId,
      field: 'parent_id',
    });
  }
  if (!CONTAINER_TYPES.has(parent.type)) {
    throw createError('validation_error', `The parent block \`${parentId}\` is a ${parent.type} block; only while_loop and for_each blocks contain other blocks.`, {
      issues: [{ path: 'body.parent_id', message: `\`${parentId}\` is a ${parent.type} block, not a while_loop or for_each block` }],
    });
  }
  if (childId !== null && (await isInside(write, parent, childId))) {
    throw createError('validation_error', `Block \`${childId}\` cannot be placed inside \`${parentId}\`: \`${parentId}\` is \`${childId}\` itself or lies inside it.`, {
      issues: [{ path: 'body.parent_id', message: 'a block cannot contain itself' }],
    });
  }
}

async function isInside(write: GraphWrite, block: BlockRow, ancestorId: string): Promise<boolean> {
  const seen = new Set<string>();
  for (let current: BlockRow | undefined = block; current && !seen.has(current.id); ) {
    if (current.id === ancestorId) return true;
    seen.add(current.id);
    current = current.parent_id === null ? undefined : await findBlockRow(write.trx, write.organizationId, current.parent_id, write.workflowId);
  }
  return false;
}

export async function createBlock(services: Services, organizationId: string, request: CreateWorkflowBlockRequest): Promise<WorkflowBlock> {
  const config = replaceConfig(request.config ?? {});
  requireValidConfig(request.type, config);
  return writeGraph(services, organizationId, request.workflow_id, async (write) => {
    const id = request.id ?? newId('block');
    await requireFreeBlockId(write, id);
    if (request.parent_id) await requireContainer(write, request.parent_id, null);
    const row = await insertBlock(write, {
      id,
      type: request.type,
      label: request.label,
      position_x: request.position_x,
      position_y: request.position_y,
      width: request.width ?? null,
      height: request.height ?? null,
      config,
      parent_id: request.parent_id ?? null,
    });
    return blockFromRow(row);
  });
}

export async function getBlock(services: Services, organizationId: string, blockId: string, workflowId?: string): Promise<WorkflowBlock> {
  return blockFromRow(await requireBlockRow(services.store.db, organizationId, blockId, workflowId));
}

/** Every block of the workflow's draft, in the order the draft keeps them. */
export async function listDraftBlocks(services: Services, organizationId: string, workflowId: string): Promise<WorkflowBlock[]> {
  return (await loadDraft(services.store.db, organizationId, workflowId)).blocks.map(blockFromRow);
}

export async function listBlocksOf(services: Services, organizationId: string, workflowId: string, page: KeysetRequest) {
  await requireWorkflowRow(services.store.db, organizationId, workflowId);
  return listBlocks(services.store.db, organizationId, workflowId, page);
}

/** Finds the block's workflow, then runs `work` under that workflow's lock on a fresh read of the block. */
async function writeBlock<T>(
  services: Services,
  organizationId: string,
  blockId: string,
  workflowId: string | undefined,
  work: (write: GraphWrite, block: BlockRow) => Promise<T>,
): Promise<T> {
  const located = await requireBlockRow(services.store.db, organizationId, blockId, workflowId);
  return writeGraph(services, organizationId, located.workflow_id, async (write) =>
    work(write, await requireBlockRow(write.trx, organizationId, blockId, located.workflow_id)),
  );
}

/**
 * Absent fields keep their value. `null` clears the nullable fields (width, height, parent_id) and
 * is ignored elsewhere: label, position and config cannot be null.
 */
function updatedDraft(current: BlockRow, changes: UpdateWorkflowBlockRequest): DraftBlock {
  const block = blockFromRow(current);
  const config = changes.config ? updateConfig(block.config, changes.config, changes.config_mode ?? 'merge') : block.config;
  return {
    id: block.id,
    type: block.type,
    label: changes.label ?? block.label,
    position_x: changes.position_x ?? block.position_x,
    position_y: changes.position_y ?? block.position_y,
    width: changes.width === undefined ? block.width : changes.width,
    height: changes.height === undefined ? block.height : changes.height,
    config,
    parent_id: changes.parent_id === undefined ? block.parent_id : changes.parent_id,
  };
}

function hasHandle(handles: HandleDescriptor[], handleId: string | null): boolean {
  return handleId === null ? handles.length === 1 : handles.some((handle) => handle.id === handleId);
}

function describeEdge(edge: EdgeRow): string {
  return `\`${edge.id}\` (${edge.source_block}.${edge.source_handle} -> ${edge.target_block}.${edge.target_handle})`;
}

/** A config change that drops a handle still used by an edge is refused: the caller deletes those edges first. */
async function requireConnectedHandlesKept(write: GraphWrite, block: DraftBlock): Promise<void> {
  const handles = deriveHandles(block.type, block.config);
  const edges = await write.trx
    .selectFrom('edges')
    .selectAll()
    .where('organization_id', '=', write.organizationId)
    .where('workflow_id', '=', write.workflowId)
    .where((eb) => eb.or([eb('source_block', '=', block.id), eb('target_block', '=', block.id)]))
    .orderBy('id')
    .execute();
  const broken = edges.filter(
    (edge) =>
      (edge.source_block === block.id && !hasHandle(handles.outputs, edge.source_handle)) ||
      (edge.target_block === block.id && !hasHandle(handles.inputs, edge.target_handle)),
  );
  if (broken.length === 0) return;
  throw createError(
    'conflict',
    `This config change removes handles of block \`${block.id}\` that edges still use: ${broken.map(describeEdge).join(', ')}. Delete those edges first, then update the block.`,
    {
      block_id: block.id,
      edges: broken.map(edgeFromRow),
      input_handles: handles.inputs.map((handle) => handle.id),
      output_handles: handles.outputs.map((handle) => handle.id),
    },
  );
}

export async function updateBlock(
  services: Services,
  organizationId: string,
  blockId: string,
  workflowId: string | undefined,
  changes: UpdateWorkflowBlockRequest,
): Promise<WorkflowBlock> {
  return writeBlock(services, organizationId, blockId, workflowId, async (write, current) => {
    const next = updatedDraft(current, changes);
    if (changes.config) {
      requireValidConfig(next.type, next.config ?? {});
      await requireConnectedHandlesKept(write, next);
    }
    if (next.parent_id !== null && next.parent_id !== current.parent_id) await requireContainer(write, next.parent_id, blockId);
    await replaceBlock(write, next);
    return blockFromRow({ ...blockRowOf(write, next, current.declarative_source_block_id), created_at: current.created_at });
  });
}

/**
 * Checks a config as `PATCH /blocks/{id}` would (422 naming the field, 409 when edges still use a
 * handle it removes) and writes nothing.
 */
export async function checkBlockConfig(
  services: Services,
  organizationId: string,
  blockId: string,
  workflowId: string | undefined,
  request: ValidateWorkflowBlockConfigRequest,
): Promise<ValidateWorkflowBlockConfigResponse> {
  const db = services.store.db;
  const row = await requireBlockRow(db, organizationId, blockId, workflowId);
  const next = updatedDraft(row, { config: request.config, config_mode: request.config_mode ?? 'replace' });
  requireValidConfig(next.type, next.config ?? {});
  await requireConnectedHandlesKept({ trx: db, organizationId, workflowId: row.workflow_id, now: isoNow() }, next);
  return { ok: true, workflow_id: row.workflow_id, block_id: blockId, block_type: next.type, config_hash: blockConfigFingerprint(next) };
}

/** Puts a stored version of a block back into the draft, checked as an update (or, if it was deleted since, a creation) would be. */
export async function restoreBlock(services: Services, organizationId: string, workflowId: string, block: DraftBlock): Promise<WorkflowBlock> {
  requireValidConfig(block.type, block.config ?? {});
  return writeGraph(services, organizationId, workflowId, async (write) => {
    const current = await findBlockRow(write.trx, organizationId, block.id, workflowId);
    if (block.parent_id !== null && block.parent_id !== current?.parent_id) await requireContainer(write, block.parent_id, current ? block.id : null);
    if (!current) {
      await requireFreeBlockId(write, block.id);
      return blockFromRow(await insertBlock(write, block));
    }
    await requireConnectedHandlesKept(write, block);
    await replaceBlock(write, block);
    return blockFromRow({ ...blockRowOf(write, block, current.declarative_source_block_id), created_at: current.created_at });
  });
}

export async function deleteBlock(services: Services, organizationId: string, blockId: string, workflowId?: string): Promise<void> {
  await writeBlock(services, organizationId, blockId, workflowId, (write) => removeBlock(write, blockId));
}

// ---- edges ----------------------------------------------------------------------------------

export async function listEdgesOf(
  services: Services,
  organizationId: string,
  filter: { workflowId: string; sourceBlock?: string; targetBlock?: string },
  page: KeysetRequest,
) {
  await requireWorkflowRow(services.store.db, organizationId, filter.workflowId);
  return listEdges(services.store.db, organizationId, filter, page);
}

async function requireEdgeRow(services: Services, organizationId: string, edgeId: string, workflowId?: string): Promise<EdgeRow> {
  const row = await findEdgeRow(services.store.db, organizationId, edgeId);
  if (!row || (workflowId !== undefined && row.workflow_id !== workflowId)) throw createError('edge_not_found', edgeId);
  return row;
}

export async function getEdge(services: Services, organizationId: string, edgeId: string, workflowId?: string): Promise<WorkflowEdge> {
  return edgeFromRow(await requireEdgeRow(services, organizationId, edgeId, workflowId));
}

/** The handles a refused edge could have used at the end the problem is about. */
function validHandles(checker: EdgeChecker, edge: EdgeEndpoints, field: EdgeProblem['field']): string[] {
  if (field === 'source_handle') return checker.handlesOf(edge.source_block)?.outputs.map((h) => h.id) ?? [];
  if (field === 'target_handle') return checker.handlesOf(edge.target_block)?.inputs.map((h) => h.id) ?? [];
  return [];
}

function edgeRefusal(problem: EdgeProblem, checker: EdgeChecker, edge: EdgeEndpoints): VerdictError {
  const details = { reason: problem.reason, field: problem.field };
  if (problem.code === 'block_not_found') {
    const blockId = problem.field === 'source_block' ? edge.source_block : edge.target_block;
    return createError('block_not_found', problem.message, { ...details, block_id: blockId });
  }
  if (problem.code === 'conflict') return createError('conflict', problem.message, details);
  const path = problem.field ? `body.${problem.field}` : 'body';
  return createError('validation_error', problem.message, {
    ...details,
    valid_handles: validHandles(checker, edge, problem.field),
    issues: [{ path, message: problem.message, code: problem.reason }],
  });
}

async function requireFreeEdgeId(write: GraphWrite, edgeId: string): Promise<void> {
  const existing = await findEdgeRow(write.trx, write.organizationId, edgeId);
  if (!existing) return;
  throw createError('conflict', `The edge id \`${edgeId}\` is already used in workflow \`${existing.workflow_id}\`; omit id to let the server choose one.`, {
    edge_id: edgeId,
    workflow_id: existing.workflow_id,
  });
}

/** Stores the edge if the draft accepts it (endpoints, handles, a free id). */
async function insertCheckedEdge(write: GraphWrite, edge: EdgeEndpoints & { id?: string | null }): Promise<WorkflowEdge> {
  const draft = await loadDraft(write.trx, write.organizationId, write.workflowId);
  const checker = new EdgeChecker(
    draft.blocks.map((row) => ({ id: row.id, type: row.type as BlockType, config: fromJson<BlockConfig>(row.config), parent_id: row.parent_id })),
    draft.edges,
  );
  const result = checker.check(edge);
  if (!result.ok) throw edgeRefusal(result.problem, checker, edge);
  if (edge.id) await requireFreeEdgeId(write, edge.id);
  return edgeFromRow(await insertEdge(write, { ...result.edge, id: edge.id }));
}

export async function createEdge(services: Services, organizationId: string, request: CreateWorkflowEdgeRequest): Promise<WorkflowEdge> {
  return writeGraph(services, organizationId, request.workflow_id, (write) => insertCheckedEdge(write, request));
}

/** Puts a stored version of an edge back into the draft: an edge of that id is replaced, and the endpoints are checked as a new edge's are. */
export async function restoreEdge(services: Services, organizationId: string, workflowId: string, edge: DraftEdge): Promise<WorkflowEdge> {
  return writeGraph(services, organizationId, workflowId, async (write) => {
    const current = await findEdgeRow(write.trx, organizationId, edge.id);
    if (current?.workflow_id === workflowId) await removeEdge(write, edge.id);
    return insertCheckedEdge(write, edge);
  });
}

export async function deleteEdge(services: Services, organizationId: string, edgeId: string): Promise<void> {
  const edge = await requireEdgeRow(services, organizationId, edgeId);
  await writeGraph(services, organizationId, edge.workflow_id, (write) => removeEdge(write, edgeId));
}
