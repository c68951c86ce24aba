import {
  AssertionResult as AssertionResultSchema,
  millisBetween,
  sourceForWire,
  validityFingerprint,
  handleInputsForWire,
  replayedHandleInputs,
  typedHandleOutputs,
  type AssertionResult,
  type AssertionSpec,
  type ErrorDetails,
  type LatestBlockTestRunSummary,
  type Verdict,
  type VerdictSummary,
  type WorkflowTestResult,
  type WorkflowTestSource,
} from '@verdict/core';
import { sql, type Kysely, type Selectable } from 'kysely';
import { fromJson, toJson } from './database.js';
import { previewObject } from './json-preview.js';
import { keysetPage, type KeysetRequest } from './keyset.js';
import { lifecycleOf } from './runs.js';
import type { Database, TestResultsTable } from './schema.js';
import { isPostgres } from './transitions/shared.js';

export type ResultRow = Selectable<TestResultsTable>;

/**
 * The most JSON text (bytes) one block-output field of a result may carry in a list. A longer
 * one is listed as a preview (its members cut, see json-preview.ts) and the row names it in
 * `truncated_fields`; the single-result read returns it whole. Documented in docs/compatibility.md.
 */
export const LIST_FIELD_BUDGET_BYTES = 64 * 1024;
/** Characters of a cut value kept in its preview. */
export const PREVIEW_CHARACTERS = 2048;

/** Columns that hold what a block produced, whose size the block (not the server) decides. */
export const BLOCK_OUTPUT_COLUMNS = ['outputs', 'error', 'assertion_result', 'execution_details'] as const;
export type BlockOutputColumn = (typeof BLOCK_OUTPUT_COLUMNS)[number];

/** Members the SDK models type as objects: a string preview would not validate there, so a cut one is null. */
const NULL_WHEN_CUT: Record<BlockOutputColumn, ReadonlySet<string>> = {
  outputs: new Set(),
  error: new Set(['context']),
  assertion_result: new Set(['failure']),
  execution_details: new Set(),
};

/** Members every `assertion_result` has: one a preview could not read is null (and listed as truncated). */
const ASSERTION_RESULT_KEYS = Object.keys(AssertionResultSchema.shape);

/** A block-output column as a list reads it: whole within the budget, else null beside its size. */
function boundedColumn(column: BlockOutputColumn) {
  const ref = sql.ref(`test_results.${column}`);
  return [
    sql<string | null>`case when octet_length(${ref}) <= ${sql.lit(LIST_FIELD_BUDGET_BYTES)} then ${ref} end`.as(column),
    sql<number | null>`octet_length(${ref})`.as(`${column}_bytes`),
  ];
}

type BoundedRow<Columns extends BlockOutputColumn> = { id: string } & { [C in Columns]: string | null } & { [C in Columns as `${C}_bytes`]: number | null };

/**
 * The first and last `LIST_FIELD_BUDGET_BYTES` of one stored text, read without handing the rest
 * to JavaScript. On SQLite the text is cut as bytes: cutting it as characters would make SQLite
 * count every character of the value first.
 */
async function windowsOf(db: Kysely<Database>, resultId: string, column: BlockOutputColumn): Promise<{ head: string; tail: string } | null> {
  const ref = sql.ref(column);
  const size = sql.lit(LIST_FIELD_BUDGET_BYTES);
  const windows = isPostgres(db)
    ? sql<{ head: string; tail: string }>`select left(${ref}, ${size}) as head, right(${ref}, ${size}) as tail from test_results where id = ${resultId}`
    : sql<{ head: Buffer; tail: Buffer }>`select substr(cast(${ref} as blob), 1, ${size}) as head, substr(cast(${ref} as blob), -${size}) as tail from test_results where id = ${resultId}`;
  const [row] = (await windows.execute(db)).rows;
  if (!row?.head || !row.tail) return null;
  return { head: row.head.toString(), tail: row.tail.toString() };
}

/**
 * Puts previews in place of the block-output columns a list query left out for their size, and
 * says which fields they cut. Each such cell costs its store a read of the whole value (SQLite
 * reads it on this thread), so the cells are read one at a time, letting other requests in between.
 */
async function withPreviews<Columns extends BlockOutputColumn, Row extends BoundedRow<Columns>>(
  db: Kysely<Database>,
  rows: Row[],
  columns: readonly Columns[],
): Promise<{ row: Row; truncatedFields: string[] }[]> {
  const previewed = [];
  for (const row of rows) {
    const truncatedFields: string[] = [];
    for (const column of columns) {
      const bytes = row[`${column}_bytes` as keyof Row] as number | null;
      if (bytes === null || bytes <= LIST_FIELD_BUDGET_BYTES) continue;
      await new Promise((resolve) => setImmediate(resolve));
      const windows = await windowsOf(db, row.id, column);
      const preview = windows && previewObject(windows.head, windows.tail, { previewCharacters: PREVIEW_CHARACTERS, nullWhenCut: NULL_WHEN_CUT[column] });
      if (!preview) {
        truncatedFields.push(column);
        continue;
      }
      if (column === 'assertion_result') {
        const unread = ASSERTION_RESULT_KEYS.filter((key) => !(key in preview.value));
        for (const key of unread) preview.value[key] = null;
        preview.cutKeys.push(...unread);
      }
      (row as Record<string, unknown>)[column] = toJson(preview.value);
      truncatedFields.push(...preview.cutKeys.map((key) => `${column}.${key}`));
    }
    previewed.push({ row, truncatedFields });
  }
  return previewed;
}

function verdictSummary(verdict: Verdict | null, assertionId: string): VerdictSummary | null {
  if (verdict === null) return null;
  const passed = verdict === 'passed';
  return {
    result: passed,
    passed,
    assertions_passed: passed ? 1 : 0,
    assertions_failed: verdict === 'failed' ? 1 : 0,
    blocked_assertions: verdict === 'blocked' ? 1 : 0,
    failed_assertion_ids: passed ? [] : [assertionId],
  };
}

/** A result as the API shows it; `truncatedFields` names the values a list replaced by previews. */
export function resultFromRow(row: ResultRow, truncatedFields: string[] = []): WorkflowTestResult {
  const verdict = row.verdict as Verdict | null;
  const assertion = fromJson<AssertionSpec>(row.assertion)!;
  const error = fromJson<ErrorDetails>(row.error);
  const routing = fromJson<string[]>(row.routing);
  const storedSource = fromJson<WorkflowTestSource>(row.source)!;
  const source = sourceForWire(storedSource);
  const outputs = fromJson<Record<string, unknown>>(row.outputs);
  // Every field both SDK generations require, under both names where they differ (docs/compatibility.md, "Evals").
  return {
    id: row.id,
    run_id: row.run_id,
    workflow_test_run_id: row.run_id,
    workflow_eval_run_id: row.run_id,
    test_id: row.test_id,
    eval_id: row.test_id,
    workflow_id: row.workflow_id,
    lifecycle: lifecycleOf(row.status, { message: error?.message ?? null, details: error, reason: null }),
    timing: { created_at: row.created_at, started_at: row.started_at, completed_at: row.completed_at, duration_ms: millisBetween(row.started_at, row.completed_at) },
    verdict,
    target: { type: 'block', block_id: row.block_id },
    block_id: row.block_id,
    block_type: row.block_type,
    execution_fingerprint: row.execution_fingerprint,
    handle_inputs_fingerprint: row.handle_inputs_fingerprint,
    workflow_draft_fingerprint: row.workflow_draft_fingerprint,
    block_config_fingerprint: row.block_config_fingerprint,
    block_execution_fingerprint: row.block_config_fingerprint,
    artifact: null,
    source,
    handle_inputs: handleInputsForWire(replayedHandleInputs(storedSource)),
    outputs,
    handle_outputs: typedHandleOutputs(outputs),
    routing_decision: routing,
    routing_decisions: routing,
    warnings: fromJson<string[]>(row.warnings) ?? [],
    error,
    skipped: false,
    assertion_result: fromJson<AssertionResult>(row.assertion_result),
    verdict_summary: verdictSummary(verdict, assertion.id),
    duration_ms: row.duration_ms,
    queued_ms: millisBetween(row.created_at, row.execution_started_at),
    execution_details: fromJson<Record<string, unknown>>(row.execution_details),
    outputs_truncated: truncatedFields.some((field) => field === 'outputs' || field.startsWith('outputs.')),
    truncated_fields: truncatedFields,
  };
}

const SUMMARY_COLUMNS = [
  'id',
  'run_id',
  'status',
  'verdict',
  'created_at',
  'started_at',
  'completed_at',
  'workflow_draft_fingerprint',
  'block_config_fingerprint',
  'handle_inputs_fingerprint',
] as const satisfies readonly (keyof ResultRow)[];
export type SummaryRow = Pick<ResultRow, (typeof SUMMARY_COLUMNS)[number]>;

/** `assertion` (the run's copy) makes the summary's validity_fingerprint: the block's execution and the assertion the verdict depends on. */
export function summaryFromRow(row: SummaryRow & Partial<Pick<ResultRow, 'assertion'>>): LatestBlockTestRunSummary {
  const verdict = row.verdict as Verdict | null;
  return {
    run_record_id: row.id,
    run_id: row.run_id,
    status: row.status as LatestBlockTestRunSummary['status'],
    outcome: row.status === 'completed' ? verdict : null,
    // Retab's SDKs require a summary's started_at: a row cancelled before it started gives its cancel time.
    started_at: row.started_at ?? row.completed_at ?? row.created_at,
    completed_at: row.completed_at,
    duration_ms: millisBetween(row.started_at, row.completed_at),
    workflow_draft_fingerprint: row.workflow_draft_fingerprint,
    block_config_fingerprint: row.block_config_fingerprint,
    block_execution_fingerprint: row.block_config_fingerprint,
    validity_fingerprint: row.assertion === undefined ? null : validityFingerprint(row.block_config_fingerprint, fromJson<AssertionSpec>(row.assertion)),
    handle_inputs_fingerprint: row.handle_inputs_fingerprint,
    assertions_passed: verdict === 'passed' ? 1 : 0,
    assertions_failed: verdict === 'failed' ? 1 : 0,
    blocked_assertions: verdict === 'blocked' ? 1 : 0,
  };
}

export async function findResultRow(db: Kysely<Database>, organizationId: string, resultId: string) {
  return db.selectFrom('test_results').selectAll().where('id', '=', resultId).where('organization_id', '=', organizationId).executeTakeFirst();
}

/** The rows behind tests' latest-run summaries: their small columns, and the assertion a test's freshness compares. */
export async function findResultRows(db: Kysely<Database>, resultIds: string[]): Promise<Map<string, SummaryRow & Pick<ResultRow, 'assertion'>>> {
  if (resultIds.length === 0) return new Map();
  const rows = await db.selectFrom('test_results').select([...SUMMARY_COLUMNS, 'assertion']).where('id', 'in', resultIds).execute();
  return new Map(rows.map((row) => [row.id, row]));
}

const SMALL_COLUMNS = [
  'id',
  'organization_id',
  'run_id',
  'position',
  'test_id',
  'workflow_id',
  'block_id',
  'block_type',
  'status',
  'verdict',
  'attempts',
  'source',
  'assertion',
  'routing',
  'warnings',
  'handle_inputs_fingerprint',
  'block_config_fingerprint',
  'workflow_draft_fingerprint',
  'execution_fingerprint',
  'duration_ms',
  'created_at',
  'started_at',
  'completed_at',
  'execution_started_at',
] as const satisfies readonly Exclude<keyof ResultRow, BlockOutputColumn>[];

/**
 * Results of one run in run order (the order the run selected its tests), docs/decisions.md §5. No answer
 * carries more than LIST_FIELD_BUDGET_BYTES per block-output field: longer ones are previews.
 */
export async function listResults(db: Kysely<Database>, runId: string, request: KeysetRequest) {
  const page = await keysetPage(boundedResults(db).where('run_id', '=', runId), sql.ref('position'), sql.ref('id'), request, async (id) => {
    const row = await db.selectFrom('test_results').select('position').where('id', '=', id).where('run_id', '=', runId).executeTakeFirst();
    return row?.position;
  });
  return withPreviewedPage(db, page);
}

/** One test's results across runs in creation order (its history), bounded like a run's list. */
export async function listResultsOfTest(db: Kysely<Database>, organizationId: string, testId: string, request: KeysetRequest) {
  const rows = boundedResults(db).where('organization_id', '=', organizationId).where('test_id', '=', testId);
  const page = await keysetPage(rows, sql.ref('created_at'), sql.ref('id'), request, async (id) => {
    const row = await db.selectFrom('test_results').select('created_at').where('id', '=', id).where('test_id', '=', testId).executeTakeFirst();
    return row?.created_at;
  });
  return withPreviewedPage(db, page);
}

async function withPreviewedPage(db: Kysely<Database>, page: { data: unknown[]; list_metadata: { before: string | null; after: string | null } }) {
  const previewed = await withPreviews(db, page.data as BoundedResultRow[], BLOCK_OUTPUT_COLUMNS);
  return { data: previewed.map(({ row, truncatedFields }) => resultFromRow(row, truncatedFields)), list_metadata: page.list_metadata };
}

/**
 * One result with its long block-output fields as previews, and the assertion its run copied: for
 * pages that show a result rather than return it (the dashboard).
 */
export async function findResultPreview(db: Kysely<Database>, organizationId: string, resultId: string): Promise<{ result: WorkflowTestResult; assertion: AssertionSpec } | null> {
  const row = await boundedResults(db).where('id', '=', resultId).where('organization_id', '=', organizationId).executeTakeFirst();
  if (!row) return null;
  const [previewed] = await withPreviews(db, [row as unknown as BoundedResultRow], BLOCK_OUTPUT_COLUMNS);
  return { result: resultFromRow(previewed!.row, previewed!.truncatedFields), assertion: fromJson<AssertionSpec>(row.assertion)! };
}

type BoundedResultRow = ResultRow & BoundedRow<BlockOutputColumn>;

function boundedResults(db: Kysely<Database>) {
  return db.selectFrom('test_results').select([...SMALL_COLUMNS, ...BLOCK_OUTPUT_COLUMNS.flatMap(boundedColumn)]);
}

/** The rows an executor reads ahead of its slots: the run's next pending rows after a position, in run order. */
export async function nextPendingRows(db: Kysely<Database>, runId: string, afterPosition: number, limit: number) {
  return db
    .selectFrom('test_results')
    .select(['id', 'position', 'test_id', 'block_id', 'source', 'assertion'])
    .where('run_id', '=', runId)
    .where('status', '=', 'pending')
    .where('position', '>', afterPosition)
    .orderBy('position')
    .limit(limit)
    .execute();
}

/** A row as the distributed executor queues it: which queue its job goes to is decided by these. */
const QUEUED_ROW_COLUMNS = ['id', 'block_type', 'assertion'] as const satisfies readonly (keyof ResultRow)[];
export type QueueableRow = Pick<ResultRow, (typeof QUEUED_ROW_COLUMNS)[number]>;

function queueableRowsOf(db: Kysely<Database>, runId: string) {
  return db.selectFrom('test_results').select(QUEUED_ROW_COLUMNS).where('run_id', '=', runId);
}

/** The run's first pending rows in run order: the next page to queue. */
export async function firstPendingRows(db: Kysely<Database>, runId: string, limit: number): Promise<QueueableRow[]> {
  return queueableRowsOf(db, runId).where('status', '=', 'pending').orderBy('position').limit(limit).execute();
}

/** Rows a cancel ended before they started, in run order: their jobs may still wait in a queue. */
export async function cancelledUnstartedRows(db: Kysely<Database>, runId: string, limit: number): Promise<QueueableRow[]> {
  return queueableRowsOf(db, runId).where('status', '=', 'cancelled').where('started_at', 'is', null).orderBy('position').limit(limit).execute();
}

/** The run's queued and running rows in run order: each should have a job in a queue. */
export async function queuedOrRunningRows(db: Kysely<Database>, runId: string, limit: number): Promise<QueueableRow[]> {
  return queueableRowsOf(db, runId).where('status', 'in', ['queued', 'running']).orderBy('position').limit(limit).execute();
}

/** Result rows by id with their run's status and what the run's rows share: what a worker needs when jobs arrive. */
export async function findDeliveredRows(db: Kysely<Database>, resultIds: string[]) {
  return db
    .selectFrom('test_results as result')
    .innerJoin('test_runs as run', 'run.id', 'result.run_id')
    .select([
      'result.id',
      'result.run_id',
      'result.status',
      'result.attempts',
      'result.test_id',
      'result.block_id',
      'result.source',
      'result.assertion',
      'run.status as run_status',
      'run.organization_id',
      'run.workflow_id',
      'run.version_id',
    ])
    .where('result.id', 'in', resultIds)
    .execute();
}

/**
 * Rows of a run that have left the queue (running or finished), in run order from `fromPosition`,
 * with their test's name; assertion results and errors over the list budget as previews.
 */
/**
 * Which of a run's started rows a run page shows (all when empty): failed (a failed verdict or an
 * error), blocked, or new failures (a failure whose test passed in `baseRunId`, core's
 * `classifyChange`); and the rows whose test name contains `nameContains` (plain text, any case).
 */
export interface StartedResultFilter {
  outcome?: 'failed' | 'blocked' | 'new_failure';
  baseRunId?: string | null;
  nameContains?: string;
}

/** `nameContains` as a LIKE pattern that matches it literally: its `%`, `_` and `\` are escaped. */
function containsPattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (character) => `\\${character}`)}%`;
}

export async function listStartedResults(db: Kysely<Database>, runId: string, fromPosition: number, limit: number, filter: StartedResultFilter = {}) {
  const failedVerdict = sql<boolean>`(test_results.status = 'completed' and test_results.verdict = 'failed')`;
  const anyFailure = sql<boolean>`(test_results.status = 'error' or (test_results.status = 'completed' and test_results.verdict in ('failed', 'blocked')))`;
  const outcomeCondition = {
    failed: sql<boolean>`(${failedVerdict} or test_results.status = 'error')`,
    blocked: sql<boolean>`(test_results.status = 'completed' and test_results.verdict = 'blocked')`,
    new_failure: sql<boolean>`(${anyFailure} and exists (select 1 from test_results base where base.test_id = test_results.test_id and base.run_id = ${filter.baseRunId ?? ''} and base.status = 'completed' and base.verdict = 'passed'))`,
  };
  const rows = await db
    .selectFrom('test_results')
    .leftJoin('tests', 'tests.id', 'test_results.test_id')
    .select([
      'test_results.id',
      'test_results.position',
      'test_results.test_id',
      'tests.name',
      'test_results.status',
      'test_results.verdict',
      ...boundedColumn('assertion_result'),
      ...boundedColumn('error'),
      'test_results.duration_ms',
      'test_results.created_at',
      'test_results.execution_started_at',
    ])
    .where('test_results.run_id', '=', runId)
    .where('test_results.position', '>=', fromPosition)
    .where('test_results.status', 'in', ['running', 'completed', 'error', 'cancelled'])
    .$if(filter.outcome !== undefined, (query) => query.where(outcomeCondition[filter.outcome!]))
    .$if(Boolean(filter.nameContains), (query) => query.where(sql<boolean>`lower(tests.name) like lower(${containsPattern(filter.nameContains!)}) escape '\\'`))
    .orderBy('test_results.position')
    .limit(limit)
    .execute();
  const previewed = await withPreviews(db, rows as ((typeof rows)[number] & BoundedRow<'assertion_result' | 'error'>)[], ['assertion_result', 'error']);
  return previewed.map(({ row }) => row);
}
