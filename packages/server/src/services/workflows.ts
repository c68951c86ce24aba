import { isoNow, type Workflow } from '@verdict/core';
import { createError } from '../errors/index.js';
import { toJson } from '../store/database.js';
import { deleteRunsOfWorkflow } from '../store/runs.js';
import { loadSnapshot, snapshotDraft, type WorkflowSnapshot } from '../store/versions.js';
import type { Kysely, Selectable } from 'kysely';
import type { Database, WorkflowsTable } from '../store/schema.js';
import type { KeysetRequest } from '../store/keyset.js';
import { findWorkflowRow, insertWorkflow, listWorkflowNames, listWorkflows, requireWorkflowRow, workflowFromRow, type WorkflowSortKey } from '../store/workflows.js';
import type { Services } from './index.js';

/** Without `project_id` (every SDK before 2026-06-04) the workflow joins the organization's default project. */
export async function createWorkflow(services: Services, organizationId: string, request: { name: string; description: string; project_id?: string | null }): Promise<Workflow> {
  return insertWorkflow(services.store.db, organizationId, request);
}

export async function getWorkflow(services: Services, organizationId: string, workflowId: string): Promise<Workflow> {
  return workflowFromRow(await requireWorkflowRow(services.store.db, organizationId, workflowId));
}

/** The workflow, or null when this organization has none of that id. */
export async function findWorkflow(services: Services, organizationId: string, workflowId: string): Promise<Workflow | null> {
  const row = await findWorkflowRow(services.store.db, organizationId, workflowId);
  return row ? workflowFromRow(row) : null;
}

export async function listWorkflowsPage(services: Services, organizationId: string, request: KeysetRequest & { sortBy: WorkflowSortKey; projectId?: string }) {
  return listWorkflows(services.store.db, organizationId, request);
}

/** Workflows by name, for filters and run headings. */
export async function workflowNames(services: Services, organizationId: string): Promise<{ id: string; name: string }[]> {
  return listWorkflowNames(services.store.db, organizationId);
}

export async function updateWorkflow(
  services: Services,
  organizationId: string,
  workflowId: string,
  changes: { name?: string | null; description?: string | null },
): Promise<Workflow> {
  const row = await requireWorkflowRow(services.store.db, organizationId, workflowId);
  const next = {
    ...row,
    name: changes.name ?? row.name,
    description: changes.description ?? row.description,
    updated_at: isoNow(),
  };
  await services.store.db
    .updateTable('workflows')
    .set({ name: next.name, description: next.description, updated_at: next.updated_at })
    .where('organization_id', '=', organizationId)
    .where('id', '=', workflowId)
    .execute();
  return workflowFromRow(next);
}

/** Deletes the workflow and everything it owns; live test runs are cancelled first. */
export async function deleteWorkflow(services: Services, organizationId: string, workflowId: string): Promise<void> {
  await requireWorkflowRow(services.store.db, organizationId, workflowId);
  await services.runs.cancelLiveRunsOfWorkflow(organizationId, workflowId, 'The workflow was deleted.');
  await services.store.db.transaction().execute(async (trx) => {
    await deleteRunsOfWorkflow(trx, organizationId, workflowId);
    for (const table of ['tests', 'edges', 'blocks', 'workflow_versions'] as const) {
      await trx.deleteFrom(table).where('organization_id', '=', organizationId).where('workflow_id', '=', workflowId).execute();
    }
    await trx.deleteFrom('workflows').where('organization_id', '=', organizationId).where('id', '=', workflowId).execute();
  });
}

export async function publishWorkflow(services: Services, organizationId: string, workflowId: string, description: string): Promise<Workflow> {
  return services.store.db.transaction().execute(async (trx) => {
    const row = await requireWorkflowRow(trx, organizationId, workflowId);
    const snapshot = await snapshotDraft(trx, organizationId, workflowId);
    const now = isoNow();
    const next = { ...row, published_version_id: snapshot.versionId, published_at: now, published_description: description, updated_at: now };
    await trx
      .updateTable('workflows')
      .set({ published_version_id: next.published_version_id, published_at: now, published_description: description, updated_at: now })
      .where('organization_id', '=', organizationId)
      .where('id', '=', workflowId)
      .execute();
    return workflowFromRow(next);
  });
}

/** Restores the draft to the published version (blocks and edges replaced in one transaction). */
export async function discardDraft(services: Services, organizationId: string, workflowId: string): Promise<Workflow> {
  return services.store.db.transaction().execute(async (trx) => {
    const row = await requireWorkflowRow(trx, organizationId, workflowId);
    if (!row.published_version_id) {
      throw createError('conflict', `Workflow \`${workflowId}\` has never been published, so there is no published version to restore; publish it first.`, {
        workflow_id: workflowId,
      });
    }
    const snapshot = await loadSnapshot(trx, organizationId, workflowId, row.published_version_id);
    if (!snapshot) throw createError('conflict', `The published version \`${row.published_version_id}\` is missing from the store.`);
    return replaceDraft(trx, row, snapshot);
  });
}

/** Keeps `IN (…)` lists well under the bind-parameter limits of SQLite and PostgreSQL. */
const ID_BATCH = 500;

/** Block and edge ids are unique per organization: an id another workflow took since the snapshot blocks its return. */
async function requireIdsFree(trx: Kysely<Database>, organizationId: string, workflowId: string, snapshot: WorkflowSnapshot): Promise<void> {
  for (const [table, ids] of [['blocks', snapshot.blocks.map((block) => block.id)], ['edges', snapshot.edges.map((edge) => edge.id)]] as const) {
    for (let start = 0; start < ids.length; start += ID_BATCH) {
      const taken = await trx
        .selectFrom(table)
        .select(['id', 'workflow_id'])
        .where('organization_id', '=', organizationId)
        .where('workflow_id', '!=', workflowId)
        .where('id', 'in', ids.slice(start, start + ID_BATCH))
        .executeTakeFirst();
      if (!taken) continue;
      const kind = table === 'blocks' ? 'block' : 'edge';
      throw createError('conflict', `The version holds ${kind} \`${taken.id}\`, which workflow \`${taken.workflow_id}\` now uses; ids are unique per organization.`, {
        [`${kind}_id`]: taken.id,
        workflow_id: taken.workflow_id,
      });
    }
  }
}

/**
 * Makes the draft of `workflow` the snapshot's blocks and edges (in the caller's transaction).
 * Blocks that stay keep the spec id they were applied from.
 */
export async function replaceDraft(trx: Kysely<Database>, workflow: Selectable<WorkflowsTable>, snapshot: WorkflowSnapshot): Promise<Workflow> {
  const { organization_id: organizationId, id: workflowId } = workflow;
  await requireIdsFree(trx, organizationId, workflowId, snapshot);
  const now = isoNow();
  const sources = new Map(
    (await trx.selectFrom('blocks').select(['id', 'declarative_source_block_id']).where('organization_id', '=', organizationId).where('workflow_id', '=', workflowId).execute()).map(
      (block) => [block.id, block.declarative_source_block_id],
    ),
  );
  await trx.deleteFrom('edges').where('organization_id', '=', organizationId).where('workflow_id', '=', workflowId).execute();
  await trx.deleteFrom('blocks').where('organization_id', '=', organizationId).where('workflow_id', '=', workflowId).execute();
  if (snapshot.blocks.length > 0) {
    await trx
      .insertInto('blocks')
      .values(
        snapshot.blocks.map((block) => ({
          ...block,
          config: block.config === null ? null : toJson(block.config),
          declarative_source_block_id: sources.get(block.id) ?? null,
          organization_id: organizationId,
          workflow_id: workflowId,
          created_at: now,
          updated_at: now,
        })),
      )
      .execute();
  }
  if (snapshot.edges.length > 0) {
    await trx
      .insertInto('edges')
      .values(snapshot.edges.map((edge) => ({ ...edge, organization_id: organizationId, workflow_id: workflowId, created_at: now, updated_at: now })))
      .execute();
  }
  await trx.updateTable('workflows').set({ updated_at: now }).where('organization_id', '=', organizationId).where('id', '=', workflowId).execute();
  return workflowFromRow({ ...workflow, updated_at: now });
}
