import { LIVE_STATUSES, type DocumentVotes, type Page } from '@verdict/core';
import { sql, type Insertable, type Kysely, type Selectable } from 'kysely';
import { createError } from '../errors/index.js';
import { fromJson } from './database.js';
import { keysetPage, type KeysetRequest } from './keyset.js';
import type { Database, ExperimentDocumentsTable, ExperimentResultsTable, ExperimentRunsTable, ExperimentsTable, WorkflowArtifactsTable } from './schema.js';

/**
 * The one owner of the experiment tables (migration 012): experiments, their documents, runs and
 * per-document results. Lifecycle columns change only in store/experiment-transitions.ts.
 */

export type ExperimentRow = Selectable<ExperimentsTable>;
export type ExperimentDocumentRow = Selectable<ExperimentDocumentsTable>;
export type ExperimentRunRow = Selectable<ExperimentRunsTable>;
export type ExperimentResultRow = Selectable<ExperimentResultsTable>;

export async function findExperimentRow(db: Kysely<Database>, organizationId: string, experimentId: string): Promise<ExperimentRow | undefined> {
  return db.selectFrom('experiments').selectAll().where('organization_id', '=', organizationId).where('id', '=', experimentId).executeTakeFirst();
}

export async function requireExperimentRow(db: Kysely<Database>, organizationId: string, experimentId: string): Promise<ExperimentRow> {
  const row = await findExperimentRow(db, organizationId, experimentId);
  if (!row) throw createError('experiment_not_found', experimentId);
  return row;
}

export async function listExperimentRows(db: Kysely<Database>, organizationId: string, filters: { workflowId: string; blockId?: string }, page: KeysetRequest): Promise<Page<ExperimentRow>> {
  let query = db.selectFrom('experiments').selectAll().where('organization_id', '=', organizationId).where('workflow_id', '=', filters.workflowId);
  if (filters.blockId !== undefined) query = query.where('block_id', '=', filters.blockId);
  return keysetPage(query, sql<string>`created_at`, sql<string>`id`, page, async (id) => (await findExperimentRow(db, organizationId, id))?.created_at);
}

/** The experiment and its document set (replacing any it had): one transaction, so a reader sees the old set or the new. */
export async function saveExperiment(
  db: Kysely<Database>,
  experiment: Insertable<ExperimentsTable>,
  documents: Insertable<ExperimentDocumentsTable>[] | null,
): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await trx
      .insertInto('experiments')
      .values(experiment)
      .onConflict((c) =>
        c.columns(['organization_id', 'id']).doUpdateSet({
          name: experiment.name,
          n_consensus: experiment.n_consensus,
          document_count: experiment.document_count,
          documents_fingerprint: experiment.documents_fingerprint,
          updated_at: experiment.updated_at,
        }),
      )
      .execute();
    if (documents === null) return;
    await trx.deleteFrom('experiment_documents').where('organization_id', '=', experiment.organization_id).where('experiment_id', '=', experiment.id).execute();
    for (let start = 0; start < documents.length; start += 100) await trx.insertInto('experiment_documents').values(documents.slice(start, start + 100)).execute();
  });
}

export async function setLastRun(db: Kysely<Database>, organizationId: string, experimentId: string, runId: string): Promise<void> {
  await db.updateTable('experiments').set({ last_run_id: runId }).where('organization_id', '=', organizationId).where('id', '=', experimentId).execute();
}

export async function deleteExperimentRows(db: Kysely<Database>, organizationId: string, experimentId: string): Promise<void> {
  await db.transaction().execute(async (trx) => {
    for (const table of ['experiment_results', 'experiment_runs', 'experiment_documents'] as const) {
      await trx.deleteFrom(table).where('organization_id', '=', organizationId).where('experiment_id', '=', experimentId).execute();
    }
    await trx.deleteFrom('experiments').where('organization_id', '=', organizationId).where('id', '=', experimentId).execute();
  });
}

export async function listExperimentDocuments(db: Kysely<Database>, organizationId: string, experimentId: string): Promise<ExperimentDocumentRow[]> {
  return db.selectFrom('experiment_documents').selectAll().where('organization_id', '=', organizationId).where('experiment_id', '=', experimentId).orderBy('position').execute();
}

export async function findExperimentRunRow(db: Kysely<Database>, organizationId: string, runId: string): Promise<ExperimentRunRow | undefined> {
  return db.selectFrom('experiment_runs').selectAll().where('organization_id', '=', organizationId).where('id', '=', runId).executeTakeFirst();
}

export async function requireExperimentRunRow(db: Kysely<Database>, organizationId: string, runId: string): Promise<ExperimentRunRow> {
  const row = await findExperimentRunRow(db, organizationId, runId);
  if (!row) throw createError('experiment_run_not_found', runId);
  return row;
}

export interface ExperimentRunFilters {
  workflowId?: string;
  experimentId?: string;
  blockId?: string;
  status?: string;
  excludeStatus?: string;
  triggerType?: string;
  fromInstant?: string;
  toInstant?: string;
  sortBy: 'created_at' | 'started_at' | 'completed_at';
}

export async function listExperimentRunRows(db: Kysely<Database>, organizationId: string, filters: ExperimentRunFilters, page: KeysetRequest): Promise<Page<ExperimentRunRow>> {
  let query = db.selectFrom('experiment_runs').selectAll().where('organization_id', '=', organizationId);
  if (filters.workflowId !== undefined) query = query.where('workflow_id', '=', filters.workflowId);
  if (filters.experimentId !== undefined) query = query.where('experiment_id', '=', filters.experimentId);
  if (filters.blockId !== undefined) query = query.where('block_id', '=', filters.blockId);
  if (filters.status !== undefined) query = query.where('status', '=', filters.status);
  if (filters.excludeStatus !== undefined) query = query.where('status', '!=', filters.excludeStatus);
  if (filters.triggerType !== undefined) query = query.where('trigger_type', '=', filters.triggerType);
  if (filters.fromInstant !== undefined) query = query.where('created_at', '>=', filters.fromInstant);
  if (filters.toInstant !== undefined) query = query.where('created_at', '<=', filters.toInstant);
  // A run not started (or not finished) sorts as the empty string: first ascending, last descending.
  const sortKey = sql<string>`coalesce(${sql.ref(filters.sortBy)}, '')`;
  return keysetPage(query, sortKey, sql<string>`id`, page, async (id) => {
    const row = await findExperimentRunRow(db, organizationId, id);
    return row === undefined ? undefined : (row[filters.sortBy] ?? '');
  });
}

/** The latest completed run of the experiment created before `createdAt` (the default prior run). */
export async function findPriorCompletedRun(db: Kysely<Database>, organizationId: string, experimentId: string, run: { id: string; created_at: string }) {
  return db
    .selectFrom('experiment_runs')
    .selectAll()
    .where('organization_id', '=', organizationId)
    .where('experiment_id', '=', experimentId)
    .where('status', '=', 'completed')
    .where((eb) => eb.or([eb('created_at', '<', run.created_at), eb.and([eb('created_at', '=', run.created_at), eb('id', '<', run.id)])]))
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .executeTakeFirst();
}

export async function findExperimentResultRow(db: Kysely<Database>, organizationId: string, resultId: string): Promise<ExperimentResultRow | undefined> {
  return db.selectFrom('experiment_results').selectAll().where('organization_id', '=', organizationId).where('id', '=', resultId).executeTakeFirst();
}

export async function listExperimentResultRows(db: Kysely<Database>, organizationId: string, runId: string, page: KeysetRequest): Promise<Page<ExperimentResultRow>> {
  const query = db.selectFrom('experiment_results').selectAll().where('organization_id', '=', organizationId).where('run_id', '=', runId);
  return keysetPage(query, sql<number>`position`, sql<string>`id`, page, async (id) => (await findExperimentResultRow(db, organizationId, id))?.position);
}

/** Every result of a run in document order (a run has at most MAX_EXPERIMENT_DOCUMENTS). */
export async function allExperimentResultRows(db: Kysely<Database>, organizationId: string, runId: string): Promise<ExperimentResultRow[]> {
  return db.selectFrom('experiment_results').selectAll().where('organization_id', '=', organizationId).where('run_id', '=', runId).orderBy('position').execute();
}

/** Runs left live by a process that stopped: the executor resumes them on start. */
export async function listLiveExperimentRuns(db: Kysely<Database>): Promise<Array<{ id: string; organization_id: string }>> {
  return db.selectFrom('experiment_runs').select(['id', 'organization_id']).where('status', 'in', ['pending', 'queued', 'running']).orderBy('created_at').execute();
}

/** Live runs a page at a time, by id (the distributed executor's sweep). */
export async function listLiveExperimentRunsAfter(db: Kysely<Database>, afterId: string, limit: number): Promise<Array<{ id: string; organization_id: string }>> {
  return db.selectFrom('experiment_runs').select(['id', 'organization_id']).where('status', 'in', [...LIVE_STATUSES]).where('id', '>', afterId).orderBy('id').limit(limit).execute();
}

/**
 * The artifact a result's execution produced, as the artifacts table would hold it: the experiment
 * run as its run, the result as its step. Experiment artifacts are kept on their results (apart from
 * workflow runs and their artifact lists) and found here by id alone.
 */
export async function findExperimentArtifactRow(db: Kysely<Database>, organizationId: string, artifactId: string): Promise<Selectable<WorkflowArtifactsTable> | undefined> {
  const row = await db
    .selectFrom('experiment_results as result')
    .innerJoin('experiment_runs as run', (join) => join.onRef('run.organization_id', '=', 'result.organization_id').onRef('run.id', '=', 'result.run_id'))
    .select(['result.id as step_id', 'result.run_id', 'result.artifact_operation', 'result.artifact', 'result.completed_at', 'result.created_at', 'run.workflow_id', 'run.block_id'])
    .where('result.organization_id', '=', organizationId)
    .where('result.artifact_id', '=', artifactId)
    .executeTakeFirst();
  if (!row?.artifact || !row.artifact_operation) return undefined;
  return {
    id: artifactId,
    organization_id: organizationId,
    workflow_id: row.workflow_id,
    run_id: row.run_id,
    step_id: row.step_id,
    block_id: row.block_id,
    operation: row.artifact_operation,
    body: row.artifact,
    created_at: row.completed_at ?? row.created_at,
  };
}

/** A completed result's stored votes, as the metrics read them. */
export function storedVotesOf(row: ExperimentResultRow): DocumentVotes {
  return { id: row.document_id, filename: row.filename, votes: fromJson<unknown[]>(row.votes) ?? [], pageCount: row.page_count };
}
