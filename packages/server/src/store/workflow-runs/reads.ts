import { LIVE_STATUSES, millisBetween, type Page, type Trigger, type WorkflowArtifactRecord, type WorkflowRun, type WorkflowRunLifecycle, type WorkflowRunStep } from '@verdict/core';
import { sql, type Kysely, type Selectable } from 'kysely';
import { fromJson } from '../database.js';
import { keysetPage, type KeysetRequest } from '../keyset.js';
import type { Database, WorkflowArtifactsTable, WorkflowRunStepsTable, WorkflowRunsTable } from '../schema.js';
import { isPostgres } from '../transitions/shared.js';

export type WorkflowRunRow = Selectable<WorkflowRunsTable>;
export type WorkflowStepRow = Selectable<WorkflowRunStepsTable>;
export type WorkflowArtifactRow = Selectable<WorkflowArtifactsTable>;

/** The run as the API serves it: both SDK generations' fields (the older `workflow` ref and duration too). */
export function workflowRunFromRow(row: WorkflowRunRow): WorkflowRun {
  const trigger = fromJson<Trigger>(row.trigger)!;
  return {
    id: row.id,
    workflow: { workflow_id: row.workflow_id, version_id: row.version_id },
    workflow_id: row.workflow_id,
    workflow_version_id: row.version_id,
    trigger,
    lifecycle: workflowRunLifecycle(row),
    timing: {
      created_at: row.created_at,
      started_at: row.started_at,
      completed_at: row.completed_at,
      review_waiting_started_at: null,
      accumulated_review_waiting_ms: 0,
      duration_ms: millisBetween(row.started_at, row.completed_at),
    },
    inputs: fromJson<WorkflowRun['inputs']>(row.inputs)!,
    metadata: fromJson<Record<string, string>>(row.metadata),
  };
}

function workflowRunLifecycle(row: WorkflowRunRow): WorkflowRunLifecycle {
  if (row.status === 'cancelled') return { status: 'cancelled', reason: row.cancel_reason };
  if (row.status === 'error') return { status: 'error', ...fromJson<Omit<Extract<WorkflowRunLifecycle, { status: 'error' }>, 'status'>>(row.error)! };
  return { status: row.status as 'pending' | 'running' | 'completed' };
}

export function workflowStepFromRow(row: WorkflowStepRow): WorkflowRunStep {
  return {
    run_id: row.run_id,
    block_id: row.block_id,
    step_id: row.step_id,
    block_type: row.block_type as WorkflowRunStep['block_type'],
    block_label: row.block_label,
    lifecycle: fromJson<WorkflowRunStep['lifecycle']>(row.lifecycle)!,
    created_at: row.created_at,
    started_at: row.started_at,
    completed_at: row.completed_at,
    model: row.model,
    loop_containers: fromJson<WorkflowRunStep['loop_containers']>(row.loop_containers)!,
    handle_inputs: fromJson<WorkflowRunStep['handle_inputs']>(row.handle_inputs)!,
    handle_outputs: fromJson<WorkflowRunStep['handle_outputs']>(row.handle_outputs)!,
    artifact: row.artifact_id ? { operation: row.artifact_operation!, id: row.artifact_id } : null,
    retry_count: row.retry_count,
  };
}

/** The stored body with what the store keeps beside it (the body was built to its operation's shape). */
export function workflowArtifactFromRow(row: WorkflowArtifactRow): WorkflowArtifactRecord {
  return { ...fromJson<Record<string, unknown>>(row.body)!, id: row.id, operation: row.operation, run_id: row.run_id, workflow_run_id: row.run_id, step_id: row.step_id, block_id: row.block_id, created_at: row.created_at } as unknown as WorkflowArtifactRecord;
}

export async function findWorkflowRunRow(db: Kysely<Database>, organizationId: string, runId: string): Promise<WorkflowRunRow | undefined> {
  return db.selectFrom('workflow_runs').selectAll().where('id', '=', runId).where('organization_id', '=', organizationId).executeTakeFirst();
}

/** Runs an executor must be executing, with their organizations: live ones (a process that stopped left them so), oldest first. */
export async function listAllLiveWorkflowRuns(db: Kysely<Database>): Promise<{ id: string; organization_id: string }[]> {
  return db.selectFrom('workflow_runs').select(['id', 'organization_id']).where('status', 'in', LIVE_STATUSES).orderBy('created_at').orderBy('id').execute();
}

/** Live runs with their organizations, by id after `afterId`, for the distributed executor's sweep (runs whose job went missing). */
export async function listLiveWorkflowRuns(db: Kysely<Database>, afterId: string, limit: number): Promise<{ id: string; organization_id: string }[]> {
  return db.selectFrom('workflow_runs').select(['id', 'organization_id']).where('status', 'in', LIVE_STATUSES).where('id', '>', afterId).orderBy('id').limit(limit).execute();
}

/** The organization of a live run; undefined once it ended. */
export async function findLiveWorkflowRunOrganization(db: Kysely<Database>, runId: string): Promise<string | undefined> {
  const row = await db.selectFrom('workflow_runs').select('organization_id').where('id', '=', runId).where('status', 'in', LIVE_STATUSES).executeTakeFirst();
  return row?.organization_id;
}

/** Runs of the organization waiting for a worker: their jobs' places in line (backlogPriority) count them. */
export async function countPendingWorkflowRunsOfOrganization(db: Kysely<Database>, organizationId: string): Promise<number> {
  const { pending } = await db
    .selectFrom('workflow_runs')
    .select((eb) => eb.fn.countAll<number>().as('pending'))
    .where('organization_id', '=', organizationId)
    .where('status', '=', 'pending')
    .executeTakeFirstOrThrow();
  return Number(pending);
}

export interface WorkflowRunFilters {
  workflow_id?: string;
  status?: string;
  exclude_status?: string;
  trigger_type?: string;
  fromInstant?: string;
  toInstant?: string;
  /** Runs whose metadata has each of these pairs. */
  metadata?: Record<string, string>;
  runIds?: string[];
  /** Bounds on completed_at − started_at; a run not finished has no duration and matches neither. */
  min_duration_ms?: number;
  max_duration_ms?: number;
  /** Case-insensitive substring of the run id, one of its metadata values or its workflow's name. */
  search?: string;
  sort_by?: WorkflowRunSortKey;
}

export type WorkflowRunSortKey = 'created_at' | 'started_at' | 'completed_at';

/** The run's duration in whole milliseconds, as `workflowRunFromRow` computes it (millisBetween); null until it ended. */
function durationMillis(db: Kysely<Database>) {
  return isPostgres(db)
    ? sql<number>`GREATEST(0, ROUND(EXTRACT(EPOCH FROM (CAST(completed_at AS timestamptz) - CAST(started_at AS timestamptz))) * 1000))`
    : sql<number>`MAX(0, ROUND((julianday(completed_at) - julianday(started_at)) * 86400000))`;
}

/** LIKE over lowercased text with '!' as the escape character: the search is a plain substring, its wildcards literal. */
function containsPattern(search: string): string {
  return `%${search.toLowerCase().replace(/[!%_]/g, (character) => `!${character}`)}%`;
}

/**
 * The runs whose id or metadata may contain the search, found by the trigram index of migration
 * 016; the exact match is checked after it. SQLite's FTS5 table holds the id and the metadata
 * values; it uses its index for LIKE only without an ESCAPE clause, which a search with no
 * wildcard characters does not need. PostgreSQL's pg_trgm index covers the metadata's JSON text,
 * in which `"`, `\` and control characters are escaped: a search with one of them skips the index.
 */
function searchIndexHit(db: Kysely<Database>, search: string, pattern: string) {
  if (isPostgres(db)) {
    return /["\\\u0000-\u001f]/.test(search) ? sql<boolean>`TRUE` : sql<boolean>`lower(workflow_runs.id || ' ' || coalesce(workflow_runs.metadata, '')) LIKE ${pattern} ESCAPE '!'`;
  }
  const match = /[!%_]/.test(search) ? sql`text LIKE ${pattern} ESCAPE '!'` : sql`text LIKE ${pattern}`;
  return sql<boolean>`workflow_runs.rowid IN (SELECT rowid FROM workflow_run_search WHERE ${match})`;
}

function matchesSearch(db: Kysely<Database>, organizationId: string, search: string) {
  const pattern = containsPattern(search);
  const metadataValues = isPostgres(db)
    ? sql`json_each_text(CAST(workflow_runs.metadata AS json)) AS m(key, value)`
    : sql`json_each(workflow_runs.metadata) AS m`;
  return sql<boolean>`(
    (${searchIndexHit(db, search, pattern)} AND (
      lower(workflow_runs.id) LIKE ${pattern} ESCAPE '!'
      OR EXISTS (SELECT 1 FROM ${metadataValues} WHERE lower(m.value) LIKE ${pattern} ESCAPE '!')))
    OR workflow_runs.workflow_id IN (SELECT w.id FROM workflows AS w WHERE w.organization_id = ${organizationId} AND lower(w.name) LIKE ${pattern} ESCAPE '!')
  )`;
}

/**
 * The list's sort key; a run not yet started or ended sorts as '' (before every instant ascending,
 * after them descending). created_at is never null and stays bare so that its index orders the list.
 */
function sortKeyOf(sortBy: WorkflowRunSortKey) {
  return sortBy === 'created_at' ? sql<string>`created_at` : sql<string>`COALESCE(${sql.ref(sortBy)}, '')`;
}

function filteredRuns(db: Kysely<Database>, organizationId: string, filters: WorkflowRunFilters) {
  let query = db.selectFrom('workflow_runs').selectAll().where('organization_id', '=', organizationId);
  if (filters.workflow_id) query = query.where('workflow_id', '=', filters.workflow_id);
  if (filters.status) query = query.where('status', '=', filters.status);
  if (filters.exclude_status) query = query.where('status', '!=', filters.exclude_status);
  if (filters.trigger_type) query = query.where('trigger_type', '=', filters.trigger_type);
  if (filters.fromInstant) query = query.where('created_at', '>=', filters.fromInstant);
  if (filters.toInstant) query = query.where('created_at', '<=', filters.toInstant);
  if (filters.runIds) query = query.where('id', 'in', filters.runIds.length > 0 ? filters.runIds : ['']);
  // Explicitly: PostgreSQL's GREATEST skips nulls, which would give an unfinished run a duration of 0.
  if (filters.min_duration_ms !== undefined || filters.max_duration_ms !== undefined) query = query.where('started_at', 'is not', null).where('completed_at', 'is not', null);
  if (filters.min_duration_ms !== undefined) query = query.where(sql<boolean>`${durationMillis(db)} >= ${filters.min_duration_ms}`);
  if (filters.max_duration_ms !== undefined) query = query.where(sql<boolean>`${durationMillis(db)} <= ${filters.max_duration_ms}`);
  if (filters.search) query = query.where(matchesSearch(db, organizationId, filters.search));
  return query;
}

export async function listWorkflowRuns(db: Kysely<Database>, organizationId: string, filters: WorkflowRunFilters, request: KeysetRequest): Promise<Page<WorkflowRunRow>> {
  if (filters.metadata && Object.keys(filters.metadata).length > 0) return listWorkflowRunsByMetadata(db, organizationId, filters, request);
  const sortBy = filters.sort_by ?? 'created_at';
  return keysetPage(filteredRuns(db, organizationId, filters), sortKeyOf(sortBy), sql.ref('id'), request, async (id) => {
    const cursor = await findWorkflowRunRow(db, organizationId, id);
    return cursor ? (cursor[sortBy] ?? '') : undefined;
  });
}

const METADATA_SCAN_LIMIT = 10_000;

/**
 * Metadata is matched on the decoded JSON, over the organization's newest runs only (bounded):
 * one portable statement for both stores, at the price of not finding matches older than that.
 */
async function listWorkflowRunsByMetadata(db: Kysely<Database>, organizationId: string, filters: WorkflowRunFilters, request: KeysetRequest): Promise<Page<WorkflowRunRow>> {
  const wanted = Object.entries(filters.metadata!);
  const candidates = await filteredRuns(db, organizationId, { ...filters, metadata: undefined }).select(['id', 'metadata']).orderBy('created_at', 'desc').limit(METADATA_SCAN_LIMIT).execute();
  const matching = candidates.filter((row) => {
    const metadata = fromJson<Record<string, string>>(row.metadata) ?? {};
    return wanted.every(([key, value]) => metadata[key] === value);
  });
  return listWorkflowRuns(db, organizationId, { ...filters, metadata: undefined, runIds: matching.map((row) => row.id) }, request);
}

/** Every run of a workflow matching the filters, oldest first, bounded (the CSV export). */
export async function selectWorkflowRunsForExport(db: Kysely<Database>, organizationId: string, filters: WorkflowRunFilters, limit: number): Promise<WorkflowRunRow[]> {
  return filteredRuns(db, organizationId, filters).orderBy('created_at').orderBy('id').limit(limit).execute();
}

export interface WorkflowStepFilters {
  run_id?: string;
  workflow_id?: string;
  block_id?: string;
  step_id?: string;
  block_type?: string[];
  status?: string[];
}

/**
 * The organization filter of a list: of one run's rows, written as an expression so that the
 * planner finds them by the run's own index. SQLite otherwise takes the organization's
 * (created_at, id) index, which gives the list's order, and reads every step or artifact of the
 * organization to find the run's few (4 ms for `GET /v1/workflows/steps?run_id=` at 10,000 steps,
 * growing with the store: bench/workflow-runs).
 */
function ofOrganization(organizationId: string, runId: string | undefined) {
  return !runId ? sql<boolean>`organization_id = ${organizationId}` : sql<boolean>`organization_id || '' = ${organizationId}`;
}

export async function listWorkflowSteps(db: Kysely<Database>, organizationId: string, filters: WorkflowStepFilters, request: KeysetRequest): Promise<Page<WorkflowStepRow>> {
  let query = db.selectFrom('workflow_run_steps').selectAll().where(ofOrganization(organizationId, filters.run_id));
  if (filters.run_id) query = query.where('run_id', '=', filters.run_id);
  if (filters.workflow_id) query = query.where('workflow_id', '=', filters.workflow_id);
  if (filters.block_id) query = query.where('block_id', '=', filters.block_id);
  if (filters.step_id) query = query.where('step_id', '=', filters.step_id);
  if (filters.block_type?.length) query = query.where('block_type', 'in', filters.block_type);
  if (filters.status?.length) query = query.where('status', 'in', filters.status);
  return keysetPage(query, sql<string>`created_at`, sql.ref('id'), request, async (id) => {
    const row = await db.selectFrom('workflow_run_steps').select('created_at').where('id', '=', id).where('organization_id', '=', organizationId).executeTakeFirst();
    return row?.created_at;
  });
}

/** Every recorded step of a run, in the order they were recorded. */
export async function listStepsOfRun(db: Kysely<Database>, runId: string): Promise<WorkflowStepRow[]> {
  return db.selectFrom('workflow_run_steps').selectAll().where('run_id', '=', runId).orderBy('created_at').orderBy('id').execute();
}

export async function findWorkflowStepRow(db: Kysely<Database>, organizationId: string, runId: string, stepId: string): Promise<WorkflowStepRow | undefined> {
  return db.selectFrom('workflow_run_steps').selectAll().where('run_id', '=', runId).where('step_id', '=', stepId).where('organization_id', '=', organizationId).executeTakeFirst();
}

/** The steps of one block in some runs (several per run when it ran in a loop), in the order they were recorded. */
export async function findStepsOfBlockInRuns(db: Kysely<Database>, organizationId: string, runIds: string[], blockId: string): Promise<WorkflowStepRow[]> {
  if (runIds.length === 0) return [];
  return db
    .selectFrom('workflow_run_steps')
    .selectAll()
    .where('organization_id', '=', organizationId)
    .where('block_id', '=', blockId)
    .where('run_id', 'in', runIds)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
}

export interface WorkflowArtifactFilters {
  run_id?: string;
  step_id?: string;
  block_id?: string;
  operation?: string;
}

export async function listWorkflowArtifacts(db: Kysely<Database>, organizationId: string, filters: WorkflowArtifactFilters, request: KeysetRequest): Promise<Page<WorkflowArtifactRow>> {
  let query = db.selectFrom('workflow_artifacts').selectAll().where(ofOrganization(organizationId, filters.run_id));
  if (filters.run_id) query = query.where('run_id', '=', filters.run_id);
  if (filters.step_id) query = query.where('step_id', '=', filters.step_id);
  if (filters.block_id) query = query.where('block_id', '=', filters.block_id);
  if (filters.operation) query = query.where('operation', '=', filters.operation);
  return keysetPage(query, sql<string>`created_at`, sql.ref('id'), request, async (id) => (await findWorkflowArtifactRow(db, organizationId, id))?.created_at);
}

export async function findWorkflowArtifactRow(db: Kysely<Database>, organizationId: string, artifactId: string): Promise<WorkflowArtifactRow | undefined> {
  return db.selectFrom('workflow_artifacts').selectAll().where('id', '=', artifactId).where('organization_id', '=', organizationId).executeTakeFirst();
}
