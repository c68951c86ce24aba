import { draftFingerprintOfVersion, LIVE_STATUSES, millisBetween, runFreshness, type ErrorDetails, type Lifecycle, type LiveStatus, type RunSortKey, type Trigger, type WorkflowTestRun } from '@verdict/core';
import { sql, type Kysely, type Selectable } from 'kysely';
import { fromJson } from './database.js';
import { keysetPage, type KeysetRequest } from './keyset.js';
import type { Database, TestRunsTable } from './schema.js';
import { draftFingerprints } from './versions.js';

export type RunRow = Selectable<TestRunsTable>;

export function lifecycleOf(status: string, extra: { reason?: string | null; message?: string | null; details?: ErrorDetails | null }): Lifecycle {
  switch (status) {
    case 'cancelled':
      return { status: 'cancelled', reason: extra.reason ?? null };
    case 'error':
      return { status: 'error', message: extra.message ?? '(no message)', details: extra.details ?? null };
    default:
      return { status: status as LiveStatus | 'completed' };
  }
}

/**
 * The run as the API serves it; `currentDraftFingerprint` (of its workflow's draft now, null when
 * unread) decides its freshness envelope.
 */
export function runFromRow(row: RunRow, currentDraftFingerprint: string | null): WorkflowTestRun {
  return {
    id: row.id,
    workflow: { workflow_id: row.workflow_id, version_id: row.version_id },
    workflow_id: row.workflow_id,
    workflow_version_id: row.version_id,
    trigger: fromJson<Trigger>(row.trigger)!,
    lifecycle: lifecycleOf(row.status, { reason: row.cancel_reason, message: row.error_message, details: fromJson<ErrorDetails>(row.error_details) }),
    timing: {
      created_at: row.created_at,
      started_at: row.started_at,
      completed_at: row.completed_at,
      duration_ms: millisBetween(row.started_at, row.completed_at),
    },
    target: row.target_block_id ? { type: 'block', block_id: row.target_block_id } : null,
    test_id: row.test_id,
    eval_id: row.test_id,
    total_tests: row.total_tests,
    total_evals: row.total_tests,
    counts: {
      lifecycle_counts: {
        pending: row.n_pending,
        queued: row.n_queued,
        running: row.n_running,
        completed: row.n_completed,
        error: row.n_error,
        cancelled: row.n_cancelled,
      },
      outcome: { passed: row.n_passed, failed: row.n_failed, blocked: row.n_blocked },
    },
    freshness: runFreshness(
      { id: row.id, draftFingerprint: draftFingerprintOfVersion(row.version_id), hasVerdicts: row.n_passed + row.n_failed + row.n_blocked > 0 },
      currentDraftFingerprint,
    ),
  };
}

/**
 * Runs as the API serves them, with the current drafts of their workflows read in one go.
 * `revisions`: the workflows' draft revisions when the caller read them with the rows.
 */
export async function runsFromRows(db: Kysely<Database>, organizationId: string, rows: RunRow[], revisions?: ReadonlyMap<string, string | null>): Promise<WorkflowTestRun[]> {
  const drafts = await draftFingerprints(db, organizationId, [...new Set(rows.map((row) => row.workflow_id))], revisions);
  return rows.map((row) => runFromRow(row, drafts.get(row.workflow_id) ?? null));
}

export async function findRunRow(db: Kysely<Database>, organizationId: string, runId: string): Promise<RunRow | undefined> {
  return db.selectFrom('test_runs').selectAll().where('id', '=', runId).where('organization_id', '=', organizationId).executeTakeFirst();
}

/**
 * The run as the API serves it, its workflow's draft revision read in the same statement: polling a
 * run costs one query when the draft's fingerprint is cached. Written as SQL: building it with
 * Kysely's builder cost a poll more than running it.
 */
export async function findRun(db: Kysely<Database>, organizationId: string, runId: string): Promise<WorkflowTestRun | null> {
  const { rows } = await sql<RunRow & { draft_revision: string | null }>`
    select test_runs.*, (select draft_revision from workflows where workflows.organization_id = test_runs.organization_id and workflows.id = test_runs.workflow_id) as draft_revision
    from test_runs where test_runs.id = ${runId} and test_runs.organization_id = ${organizationId}`.execute(db);
  const found = rows[0];
  if (!found) return null;
  const { draft_revision: revision, ...row } = found;
  const [run] = await runsFromRows(db, organizationId, [row], new Map([[row.workflow_id, revision]]));
  return run!;
}

export interface RunFilters {
  workflow_id?: string;
  test_id?: string;
  target_block_id?: string;
  status?: string;
  exclude_status?: string;
  trigger_type?: string;
  /** Inclusive bounds on `timing.created_at`, already normalised to ISO instants. */
  fromInstant?: string;
  toInstant?: string;
  sortBy: RunSortKey;
}

export async function listRuns(db: Kysely<Database>, organizationId: string, filters: RunFilters, request: KeysetRequest) {
  let query = db.selectFrom('test_runs').selectAll().where('organization_id', '=', organizationId);
  if (filters.workflow_id) query = query.where('workflow_id', '=', filters.workflow_id);
  if (filters.target_block_id) query = query.where('target_block_id', '=', filters.target_block_id);
  if (filters.status) query = query.where('status', '=', filters.status);
  if (filters.exclude_status) query = query.where('status', '!=', filters.exclude_status);
  if (filters.trigger_type) query = query.where('trigger_type', '=', filters.trigger_type);
  if (filters.fromInstant) query = query.where('created_at', '>=', filters.fromInstant);
  if (filters.toInstant) query = query.where('created_at', '<=', filters.toInstant);
  if (filters.test_id) {
    const testId = filters.test_id;
    query = query.where(({ exists, selectFrom }) =>
      exists(selectFrom('test_results').select('test_results.id').whereRef('test_results.run_id', '=', 'test_runs.id').where('test_results.test_id', '=', testId)),
    );
  }
  const sortKey = filters.sortBy === 'created_at' ? sql<string>`created_at` : sql<string>`coalesce(${sql.ref(filters.sortBy)}, '')`;
  const page = await keysetPage(query, sortKey, sql.ref('id'), request, async (id) => {
    const row = await findRunRow(db, organizationId, id);
    return row ? (row[filters.sortBy] ?? '') : undefined;
  });
  return { data: await runsFromRows(db, organizationId, page.data), list_metadata: page.list_metadata };
}

/** Ids of every live run, oldest first: the runs an embedded executor must be executing. */
export async function listLiveRunIds(db: Kysely<Database>): Promise<string[]> {
  const rows = await db.selectFrom('test_runs').select('id').where('status', 'in', LIVE_STATUSES).orderBy('id').execute();
  return rows.map((row) => row.id);
}

/** Ids of a workflow's live runs: those a deletion of the workflow cancels first. */
export async function listLiveRunIdsOfWorkflow(db: Kysely<Database>, organizationId: string, workflowId: string): Promise<string[]> {
  const rows = await db
    .selectFrom('test_runs')
    .select('id')
    .where('organization_id', '=', organizationId)
    .where('workflow_id', '=', workflowId)
    .where('status', 'in', LIVE_STATUSES)
    .execute();
  return rows.map((row) => row.id);
}

/** Every live run with its counts, for the distributed executor's sweep. */
export async function listLiveRunCounts(db: Kysely<Database>) {
  return db.selectFrom('test_runs').select(['id', 'n_pending', 'n_queued', 'n_running', 'n_completed', 'n_error']).where('status', 'in', LIVE_STATUSES).execute();
}

/** What every row of a run shares when it executes, and whether the run is still live. */
export async function findRunToExecute(db: Kysely<Database>, runId: string) {
  return db.selectFrom('test_runs').select(['organization_id', 'workflow_id', 'version_id', 'status']).where('id', '=', runId).executeTakeFirst();
}

/** What the process paging a run into the queue needs: is it live, and how many of its rows wait where. */
export async function findRunQueueState(db: Kysely<Database>, runId: string) {
  return db.selectFrom('test_runs').select(['organization_id', 'status', 'n_pending', 'n_queued']).where('id', '=', runId).executeTakeFirst();
}

export async function findRunOrganization(db: Kysely<Database>, runId: string): Promise<string | undefined> {
  return (await db.selectFrom('test_runs').select('organization_id').where('id', '=', runId).executeTakeFirst())?.organization_id;
}

/** Rows of the organization's live runs that wait in the queues. */
export async function countQueuedRowsOfOrganization(db: Kysely<Database>, organizationId: string): Promise<number> {
  const { queued } = await db
    .selectFrom('test_runs')
    .select((eb) => eb.fn.coalesce(eb.fn.sum<number>('n_queued'), eb.lit(0)).as('queued'))
    .where('status', 'in', LIVE_STATUSES)
    .where('organization_id', '=', organizationId)
    .executeTakeFirstOrThrow();
  return Number(queued);
}

/** Runs per lifecycle status, across organizations, with the verdicts their rows reached (for /metrics). */
export async function countRunsByStatus(db: Kysely<Database>): Promise<{ status: string; runs: number; passed: number; failed: number; blocked: number; error: number }[]> {
  const rows = await db
    .selectFrom('test_runs')
    .select((eb) => [
      'status',
      eb.fn.countAll<number>().as('runs'),
      eb.fn.sum<number>('n_passed').as('passed'),
      eb.fn.sum<number>('n_failed').as('failed'),
      eb.fn.sum<number>('n_blocked').as('blocked'),
      eb.fn.sum<number>('n_error').as('error'),
    ])
    .groupBy('status')
    .execute();
  return rows.map((row) => ({ status: row.status, runs: Number(row.runs), passed: Number(row.passed ?? 0), failed: Number(row.failed ?? 0), blocked: Number(row.blocked ?? 0), error: Number(row.error ?? 0) }));
}

/** Deletes a workflow's runs and their result rows (its deletion; live runs were cancelled first). */
export async function deleteRunsOfWorkflow(trx: Kysely<Database>, organizationId: string, workflowId: string): Promise<void> {
  for (const table of ['test_results', 'test_runs'] as const) {
    await trx.deleteFrom(table).where('organization_id', '=', organizationId).where('workflow_id', '=', workflowId).execute();
  }
}
