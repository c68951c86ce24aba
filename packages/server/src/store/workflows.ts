import { DEFAULT_PROJECT_ID, isoNow, newId, type Workflow } from '@verdict/core';
import { sql, type Kysely, type Selectable } from 'kysely';
import { createError } from '../errors/index.js';
import type { Database, WorkflowsTable } from './schema.js';
import { keysetPage, type KeysetRequest } from './keyset.js';

export function workflowFromRow(row: Selectable<WorkflowsTable>): Workflow {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    published: row.published_version_id
      ? { version_id: row.published_version_id, published_at: row.published_at, description: row.published_description }
      : null,
    project_id: row.project_id,
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

export async function findWorkflowRow(db: Kysely<Database>, organizationId: string, workflowId: string) {
  return db
    .selectFrom('workflows')
    .selectAll()
    .where('organization_id', '=', organizationId)
    .where('id', '=', workflowId)
    .executeTakeFirst();
}

export async function requireWorkflowRow(db: Kysely<Database>, organizationId: string, workflowId: string) {
  const row = await findWorkflowRow(db, organizationId, workflowId);
  if (!row) throw createError('workflow_not_found', workflowId);
  return row;
}

export async function insertWorkflow(
  db: Kysely<Database>,
  organizationId: string,
  fields: { id?: string; name: string; description: string; project_id?: string | null },
): Promise<Workflow> {
  const now = isoNow();
  const row = {
    organization_id: organizationId,
    id: fields.id ?? newId('workflow'),
    name: fields.name,
    description: fields.description,
    published_version_id: null,
    published_at: null,
    published_description: '',
    project_id: fields.project_id ?? DEFAULT_PROJECT_ID,
    created_at: now,
    updated_at: now,
    draft_revision: null,
  };
  await db.insertInto('workflows').values(row).execute();
  return workflowFromRow(row);
}

export type WorkflowSortKey = 'created_at' | 'updated_at';

export async function listWorkflows(db: Kysely<Database>, organizationId: string, request: KeysetRequest & { sortBy: WorkflowSortKey; projectId?: string }) {
  const sortColumn = request.sortBy === 'created_at' ? 'created_at' : 'updated_at';
  let query = db.selectFrom('workflows').selectAll().where('organization_id', '=', organizationId);
  if (request.projectId !== undefined) query = query.where('project_id', '=', request.projectId);
  const page = await keysetPage(
    query,
    sql.ref(sortColumn),
    sql.ref('id'),
    request,
    async (id) => (await findWorkflowRow(db, organizationId, id))?.[sortColumn],
  );
  return { data: page.data.map(workflowFromRow), list_metadata: page.list_metadata };
}

const WORKFLOW_CHOICES = 500;

/** Workflows by name (at most WORKFLOW_CHOICES), for filters and run headings. */
export async function listWorkflowNames(db: Kysely<Database>, organizationId: string): Promise<{ id: string; name: string }[]> {
  return db.selectFrom('workflows').select(['id', 'name']).where('organization_id', '=', organizationId).orderBy('name').orderBy('id').limit(WORKFLOW_CHOICES).execute();
}
