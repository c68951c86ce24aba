/**
 * What the history features read (a test's results across runs are results.ts's listResultsOfTest):
 * the rows two runs have for their tests, the run a comparison defaults to, and the latest results of tests for
 * their stability. Read-only; the rules that interpret them live in core (history.ts).
 */
import { sql, type Kysely } from 'kysely';
import { changedDependencies, runOutcome, STABILITY_WINDOW, stabilityOf, type Stability } from '@verdict/core';
import type { Database } from './schema.js';

/** What a comparison needs of one result: its outcome and its dependencies, not its outputs. */
export interface ComparedRow {
  id: string;
  test_id: string;
  block_id: string;
  status: string;
  verdict: string | null;
  handle_inputs_fingerprint: string;
  block_config_fingerprint: string;
  workflow_draft_fingerprint: string;
  assertion: string;
}

const COMPARED_COLUMNS = ['id', 'test_id', 'block_id', 'status', 'verdict', 'handle_inputs_fingerprint', 'block_config_fingerprint', 'workflow_draft_fingerprint', 'assertion'] as const;

/** Every row of a run, reduced to what a comparison reads. */
export async function comparedRowsOfRun(db: Kysely<Database>, runId: string): Promise<ComparedRow[]> {
  return db.selectFrom('test_results').select(COMPARED_COLUMNS).where('run_id', '=', runId).execute();
}

/** Current names of tests by id (a deleted test has none). */
export async function testNamesById(db: Kysely<Database>, organizationId: string, testIds: string[]): Promise<Map<string, string | null>> {
  const names = new Map<string, string | null>();
  for (let start = 0; start < testIds.length; start += 500) {
    const rows = await db
      .selectFrom('tests')
      .select(['id', 'name'])
      .where('organization_id', '=', organizationId)
      .where('id', 'in', testIds.slice(start, start + 500))
      .execute();
    for (const row of rows) names.set(row.id, row.name);
  }
  return names;
}

/**
 * The base a run is compared with by default: the latest run of the same workflow, created before
 * it, finished (completed, errored or cancelled), that has a row for at least one of its tests.
 */
export async function findDefaultBaseRun(db: Kysely<Database>, organizationId: string, run: { id: string; workflow_id: string; created_at: string }): Promise<string | null> {
  const found = await db
    .selectFrom('test_runs as base')
    .select('base.id')
    .where('base.organization_id', '=', organizationId)
    .where('base.workflow_id', '=', run.workflow_id)
    .where('base.id', '!=', run.id)
    .where((eb) => eb.or([eb('base.created_at', '<', run.created_at), eb.and([eb('base.created_at', '=', run.created_at), eb('base.id', '<', run.id)])]))
    .where('base.status', 'in', ['completed', 'error', 'cancelled'])
    .where(({ exists, selectFrom }) =>
      exists(
        selectFrom('test_results as shared')
          .select(sql<number>`1`.as('one'))
          .whereRef('shared.run_id', '=', 'base.id')
          .where('shared.test_id', 'in', (qb) => qb.selectFrom('test_results as mine').select('mine.test_id').where('mine.run_id', '=', run.id)),
      ),
    )
    .orderBy('base.created_at', 'desc')
    .orderBy('base.id', 'desc')
    .limit(1)
    .executeTakeFirst();
  return found?.id ?? null;
}

/** Per test, its latest results (newest first, at most STABILITY_WINDOW × 2 to allow for rows that did not run). */
export async function latestResultsOfTests(db: Kysely<Database>, organizationId: string, testIds: string[]): Promise<Map<string, Array<ComparedRow & { created_at: string }>>> {
  const byTest = new Map<string, Array<ComparedRow & { created_at: string }>>();
  if (testIds.length === 0) return byTest;
  const ranked = db
    .selectFrom('test_results')
    .select([...COMPARED_COLUMNS, 'created_at', sql<number>`row_number() over (partition by test_id order by created_at desc, id desc)`.as('recency')])
    .where('organization_id', '=', organizationId)
    .where('test_id', 'in', testIds)
    .as('ranked');
  const rows = await db
    .selectFrom(ranked)
    .selectAll()
    .where('recency', '<=', STABILITY_WINDOW * 2)
    .orderBy('test_id')
    .orderBy('recency')
    .execute();
  for (const { recency: _recency, ...row } of rows) {
    const list = byTest.get(row.test_id) ?? [];
    list.push(row);
    byTest.set(row.test_id, list);
  }
  return byTest;
}

/**
 * Each test's stability over its latest results that share the newest result's dependencies (a
 * change of code, inputs or assertion starts the window again; a change elsewhere in the workflow
 * does not). One query for all the tests.
 */
export async function stabilityOfTests(db: Kysely<Database>, organizationId: string, testIds: string[]): Promise<Map<string, Stability>> {
  const latest = await latestResultsOfTests(db, organizationId, testIds);
  const stability = new Map<string, Stability>();
  for (const testId of testIds) {
    const rows = latest.get(testId) ?? [];
    const newest = rows[0];
    const differs = newest ? rows.findIndex((row) => changedDependencies(row, newest).some((kind) => kind !== 'draft')) : -1;
    const unchanged = differs === -1 ? rows : rows.slice(0, differs);
    stability.set(testId, stabilityOf(unchanged.map((row) => runOutcome(row.status, row.verdict))));
  }
  return stability;
}

/** A test's latest results for its page, newest first (the history index serves order and limit), with what each depended on. */
export async function listLatestResultsOfTest(db: Kysely<Database>, organizationId: string, testId: string, limit: number) {
  return db
    .selectFrom('test_results')
    .select([...COMPARED_COLUMNS, 'run_id', 'created_at', 'started_at', 'completed_at'])
    .where('test_id', '=', testId)
    .where('organization_id', '=', organizationId)
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(limit)
    .execute();
}
