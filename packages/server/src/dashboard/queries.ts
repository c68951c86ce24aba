import { millisBetween, type AssertionResult, type AssertionSpec, type ErrorDetails } from '@verdict/core';
import type { Kysely } from 'kysely';
import { fromJson } from '../store/database.js';
import { boundedColumn, withPreviews, type BoundedRow } from '../store/results.js';
import type { Database } from '../store/schema.js';

/** Read models of the dashboard's pages; the API's own store helpers serve the rest. */

export interface Failure {
  code: string;
  message: string;
}

/** Why a result did not pass: the assertion's failure, else the block or infrastructure error. */
export function failureOf(assertionResult: AssertionResult | null, error: ErrorDetails | null): Failure | null {
  if (assertionResult?.failure) return { code: assertionResult.failure.code, message: assertionResult.failure.message };
  if (error) return { code: error.error_code ?? 'error', message: error.message ?? '(no message)' };
  return null;
}

export interface TestOverview {
  id: string;
  name: string | null;
  blockId: string;
  assertion: AssertionSpec | null;
  latest: { resultId: string; status: string; verdict: string | null; completedAt: string | null } | null;
}

export async function testsWithLatestResult(db: Kysely<Database>, organizationId: string, workflowId: string, limit: number): Promise<TestOverview[]> {
  const rows = await db
    .selectFrom('tests')
    .leftJoin('test_results', 'test_results.id', 'tests.latest_result_id')
    .select(['tests.id', 'tests.name', 'tests.block_id', 'tests.assertion', 'test_results.id as result_id', 'test_results.status', 'test_results.verdict', 'test_results.completed_at'])
    .where('tests.organization_id', '=', organizationId)
    .where('tests.workflow_id', '=', workflowId)
    .orderBy('tests.id')
    .limit(limit)
    .execute();
  return rows.map((row) => ({
    id: row.id,
    name: row.name,
    blockId: row.block_id,
    assertion: fromJson<AssertionSpec>(row.assertion),
    latest: row.result_id && row.status ? { resultId: row.result_id, status: row.status, verdict: row.verdict, completedAt: row.completed_at } : null,
  }));
}

export interface ResultListItem {
  id: string;
  position: number;
  testId: string;
  testName: string | null;
  status: string;
  verdict: string | null;
  failure: Failure | null;
  durationMs: number | null;
}

/** Rows that have left the queue (running or finished), in run order from `fromPosition`. */
export async function startedResults(db: Kysely<Database>, runId: string, fromPosition: number, limit: number): Promise<ResultListItem[]> {
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
      'test_results.started_at',
      'test_results.completed_at',
    ])
    .where('test_results.run_id', '=', runId)
    .where('test_results.position', '>=', fromPosition)
    .where('test_results.status', 'in', ['running', 'completed', 'error', 'cancelled'])
    .orderBy('test_results.position')
    .limit(limit)
    .execute();
  const previewed = await withPreviews(db, rows as ((typeof rows)[number] & BoundedRow<'assertion_result' | 'error'>)[], ['assertion_result', 'error']);
  return previewed.map(({ row }) => ({
    id: row.id,
    position: row.position,
    testId: row.test_id,
    testName: row.name,
    status: row.status,
    verdict: row.verdict,
    failure: failureOf(fromJson<AssertionResult>(row.assertion_result), fromJson<ErrorDetails>(row.error)),
    durationMs: millisBetween(row.started_at, row.completed_at),
  }));
}

export async function testCountsByWorkflow(db: Kysely<Database>, organizationId: string, workflowIds: string[]): Promise<Map<string, number>> {
  if (workflowIds.length === 0) return new Map();
  const rows = await db
    .selectFrom('tests')
    .select(['workflow_id', (eb) => eb.fn.countAll<number>().as('count')])
    .where('organization_id', '=', organizationId)
    .where('workflow_id', 'in', workflowIds)
    .groupBy('workflow_id')
    .execute();
  return new Map(rows.map((row) => [row.workflow_id, Number(row.count)]));
}

const WORKFLOW_CHOICES = 500;

/** Workflows by name, for filters and run headings. */
export async function workflowNames(db: Kysely<Database>, organizationId: string): Promise<{ id: string; name: string }[]> {
  return db.selectFrom('workflows').select(['id', 'name']).where('organization_id', '=', organizationId).orderBy('name').orderBy('id').limit(WORKFLOW_CHOICES).execute();
}
