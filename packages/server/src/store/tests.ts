import { assessTest, sourceForWire, testSourceFingerprint, versionIdFor, type AssertionSpec, type BlockState, type SavedSchemaDep, type WorkflowTest, type WorkflowTestSource } from '@verdict/core';
import { sql, type Kysely, type Selectable } from 'kysely';
import { createError } from '../errors/index.js';
import { fromJson } from './database.js';
import { keysetPage, type KeysetRequest } from './keyset.js';
import { stabilityOfTests } from './history.js';
import { findResultRows, summaryFromRow } from './results.js';
import type { Database, TestsTable } from './schema.js';
import { loadSnapshotBlocks } from './versions.js';

export type TestRow = Selectable<TestsTable>;
type ResultRows = Awaited<ReturnType<typeof findResultRows>>;

/** The test's latest result with a verdict: of its latest, latest passing and latest failing rows, the newest that has one. */
function verdictBaselineRow(row: TestRow, results: ResultRows) {
  const candidates = [row.latest_result_id, row.latest_passing_result_id, row.latest_failing_result_id]
    .map((id) => (id === null ? undefined : results.get(id)))
    .filter((result) => result !== undefined && result.verdict !== null);
  return candidates.sort((a, b) => (a!.created_at === b!.created_at ? b!.id.localeCompare(a!.id) : b!.created_at.localeCompare(a!.created_at)))[0];
}

/**
 * Tests of one workflow as the API serves them, with their read-time freshness, drift and
 * validation (core's assessTest) against `draft`, the workflow's current blocks. Whatever the
 * number of tests: one query for their result rows, one for the snapshots of the runs that
 * drift is measured from.
 */
export async function testsFromRows(db: Kysely<Database>, organizationId: string, workflowId: string, rows: TestRow[], draft: Map<string, BlockState>): Promise<WorkflowTest[]> {
  const resultIds = rows.flatMap((row) => [row.latest_result_id, row.latest_passing_result_id, row.latest_failing_result_id]).filter((id): id is string => id !== null);
  const [results, stability] = await Promise.all([findResultRows(db, [...new Set(resultIds)]), stabilityOfTests(db, organizationId, rows.map((row) => row.id))]);
  const baselines = new Map(rows.map((row) => [row.id, verdictBaselineRow(row, results)]));
  const versionIds = [...new Set([...baselines.values()].flatMap((result) => (result ? [versionIdFor(result.workflow_draft_fingerprint)] : [])))];
  const snapshots = await loadSnapshotBlocks(db, organizationId, workflowId, versionIds);
  const summary = (id: string | null) => {
    const row = id === null ? undefined : results.get(id);
    return row ? summaryFromRow(row) : null;
  };
  return rows.map((row) => {
    const source = fromJson<WorkflowTestSource>(row.source)!;
    const assertion = fromJson<AssertionSpec>(row.assertion);
    const baseline = baselines.get(row.id);
    const snapshot = baseline ? snapshots.get(versionIdFor(baseline.workflow_draft_fingerprint)) : undefined;
    const assessed = assessTest({
      blockId: row.block_id,
      block: draft.get(row.block_id) ?? null,
      assertion,
      source,
      inputsFingerprint: row.handle_inputs_fingerprint ?? testSourceFingerprint(source),
      savedDep: fromJson<SavedSchemaDep>(row.assertion_schema_dep),
      lastRun: baseline && snapshot ? { started_at: baseline.created_at, block: snapshot.get(row.block_id) ?? null } : null,
      baseline: baseline
        ? { run_id: baseline.run_id, block_config_fingerprint: baseline.block_config_fingerprint, handle_inputs_fingerprint: baseline.handle_inputs_fingerprint, assertion: fromJson<AssertionSpec>(baseline.assertion) }
        : null,
    });
    return {
      id: row.id,
      workflow_id: row.workflow_id,
      target: { type: 'block' as const, block_id: row.block_id },
      source: sourceForWire(source),
      name: row.name,
      assertion,
      ...assessed,
      latest_run_summary: summary(row.latest_result_id),
      latest_passing_run_summary: summary(row.latest_passing_result_id),
      latest_failing_run_summary: summary(row.latest_failing_result_id),
      stability: stability.get(row.id)!,
      created_at: row.created_at,
      updated_at: row.updated_at,
    };
  });
}

export async function findTestRow(db: Kysely<Database>, organizationId: string, testId: string) {
  return db.selectFrom('tests').selectAll().where('id', '=', testId).where('organization_id', '=', organizationId).executeTakeFirst();
}

export async function requireTestRow(db: Kysely<Database>, organizationId: string, testId: string) {
  const row = await findTestRow(db, organizationId, testId);
  if (!row) throw createError('test_not_found', `No test \`${testId}\` in this organization.`, { test_id: testId });
  return row;
}

export async function listTestRows(db: Kysely<Database>, organizationId: string, filter: { workflowId: string; blockId?: string }, request: KeysetRequest) {
  let query = db.selectFrom('tests').selectAll().where('organization_id', '=', organizationId).where('workflow_id', '=', filter.workflowId);
  if (filter.blockId) query = query.where('block_id', '=', filter.blockId);
  return keysetPage(query, sql.ref('id'), sql.ref('id'), request, async (id) => ((await findTestRow(db, organizationId, id))?.workflow_id === filter.workflowId ? id : undefined));
}

/** A page of the tests a run selects, after `afterId` in creation order (ids sort by creation time). */
/** A re-run selects the tests of its parent run that still exist, or only those that failed, were blocked or errored there. */
export interface RestartFilter {
  parentRunId: string;
  onlyFailed: boolean;
}

export async function selectTestRowsForRun(
  db: Kysely<Database>,
  organizationId: string,
  workflowId: string,
  filter: { blockId?: string; testId?: string; restart?: RestartFilter },
  page: { afterId: string; limit: number },
) {
  let query = db
    .selectFrom('tests')
    .select(['id', 'block_id', 'handle_inputs_fingerprint'])
    .where('organization_id', '=', organizationId)
    .where('workflow_id', '=', workflowId)
    .where('id', '>', page.afterId);
  if (filter.blockId) query = query.where('block_id', '=', filter.blockId);
  if (filter.testId) query = query.where('id', '=', filter.testId);
  const restart = filter.restart;
  if (restart) {
    query = query.where('id', 'in', (qb) => {
      const rows = qb.selectFrom('test_results').select('test_id').where('run_id', '=', restart.parentRunId);
      return restart.onlyFailed ? rows.where((eb) => eb.or([eb('verdict', 'in', ['failed', 'blocked']), eb('status', '=', 'error')])) : rows;
    });
  }
  return query.orderBy('id').limit(page.limit).execute();
}

/** The stored sources of tests by id. */
export async function findTestSources(db: Kysely<Database>, testIds: string[]) {
  return db.selectFrom('tests').select(['id', 'source']).where('id', 'in', testIds).execute();
}

/** A workflow's tests in creation order, each with the status and verdict of its latest result. */
export async function listTestsWithLatestResult(db: Kysely<Database>, organizationId: string, workflowId: string, limit: number) {
  return db
    .selectFrom('tests')
    .leftJoin('test_results', 'test_results.id', 'tests.latest_result_id')
    .select(['tests.id', 'tests.name', 'tests.block_id', 'tests.assertion', 'test_results.id as result_id', 'test_results.status', 'test_results.verdict', 'test_results.completed_at'])
    .where('tests.organization_id', '=', organizationId)
    .where('tests.workflow_id', '=', workflowId)
    .orderBy('tests.id')
    .limit(limit)
    .execute();
}

/** How many tests each of the workflows has (a workflow without tests is left out). */
export async function countTestsByWorkflow(db: Kysely<Database>, organizationId: string, workflowIds: string[]): Promise<Map<string, number>> {
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
