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

/**
 * The two runs' rows side by side, one per test of either run: `a` the run's, `b` the base's
 * (null where the test was not in that run).
 */
function joinedRows(runId: string, baseRunId: string) {
  const columns = (side: 'a' | 'b') => sql.raw(COMPARED_COLUMNS.map((column) => `${side}.${column} as ${side}_${column}`).join(', '));
  const absent = (side: 'a' | 'b') => sql.raw(COMPARED_COLUMNS.map((column) => `null as ${side}_${column}`).join(', '));
  // A full outer join, written as a left join plus the base's rows with no match: each half looks
  // the other run's row up by (test_id, run_id) in an index, where a join of two derived tables could not.
  return sql`(
    select ${columns('a')}, ${columns('b')}
      from test_results a left join test_results b on b.test_id = a.test_id and b.run_id = ${baseRunId}
      where a.run_id = ${runId}
    union all
    select ${absent('a')}, ${columns('b')}
      from test_results b
      where b.run_id = ${baseRunId}
        and not exists (select 1 from test_results a where a.test_id = b.test_id and a.run_id = ${runId})
  ) joined`;
}
/** What decides a test's change: each side's status and verdict (or absence), and which dependencies are equal. */
export interface ComparisonGroup {
  a_status: string | null;
  a_verdict: string | null;
  b_status: string | null;
  b_verdict: string | null;
  same_inputs: boolean;
  same_block: boolean;
  same_assertion: boolean;
  same_draft: boolean;
  count: number;
}

const truthy = (value: unknown) => value === true || value === 1 || value === '1';

/**
 * The joined rows counted by what decides their change: a few dozen groups however many tests,
 * computed in the database (the rules that classify a group are core's).
 */
export async function comparisonGroups(db: Kysely<Database>, runId: string, baseRunId: string): Promise<ComparisonGroup[]> {
  const { rows } = await sql<Record<string, unknown>>`
    select a_status, a_verdict, b_status, b_verdict,
      case when a_handle_inputs_fingerprint = b_handle_inputs_fingerprint then 1 else 0 end as same_inputs,
      case when a_block_config_fingerprint = b_block_config_fingerprint then 1 else 0 end as same_block,
      case when a_assertion = b_assertion then 1 else 0 end as same_assertion,
      case when a_workflow_draft_fingerprint = b_workflow_draft_fingerprint then 1 else 0 end as same_draft,
      count(*) as count
    from ${joinedRows(runId, baseRunId)}
    group by 1, 2, 3, 4, 5, 6, 7, 8`.execute(db);
  return rows.map((row) => ({
    a_status: (row.a_status as string | null) ?? null,
    a_verdict: (row.a_verdict as string | null) ?? null,
    b_status: (row.b_status as string | null) ?? null,
    b_verdict: (row.b_verdict as string | null) ?? null,
    same_inputs: truthy(row.same_inputs),
    same_block: truthy(row.same_block),
    same_assertion: truthy(row.same_assertion),
    same_draft: truthy(row.same_draft),
    count: Number(row.count),
  }));
}

/** A side's state as a comparison group names it: its status and verdict, or null when absent. */
export interface SideState {
  status: string | null;
  verdict: string | null;
}

/**
 * The joined rows whose two sides are in one of `states` (pairs of run side, base side), by test
 * id after `afterTestId`: one page of one kind of change.
 */
export async function comparedRowsIn(
  db: Kysely<Database>,
  runId: string,
  baseRunId: string,
  states: Array<{ run: SideState; base: SideState }>,
  afterTestId: string,
  limit: number,
): Promise<Array<{ run: ComparedRow | null; base: ComparedRow | null }>> {
  if (states.length === 0 || limit <= 0) return [];
  const same = (column: string, value: string | null) => (value === null ? sql`${sql.ref(column)} is null` : sql`${sql.ref(column)} = ${value}`);
  const matches = states.map(
    ({ run, base }) => sql`(${same('a_status', run.status)} and ${same('a_verdict', run.verdict)} and ${same('b_status', base.status)} and ${same('b_verdict', base.verdict)})`,
  );
  const { rows } = await sql<Record<string, string | null>>`
    select *
    from ${joinedRows(runId, baseRunId)}
    where (${sql.join(matches, sql` or `)}) and coalesce(a_test_id, b_test_id) > ${afterTestId}
    order by coalesce(a_test_id, b_test_id)
    limit ${limit}`.execute(db);
  const side = (row: Record<string, string | null>, prefix: 'a' | 'b'): ComparedRow | null =>
    row[`${prefix}_id`] === null
      ? null
      : {
          id: row[`${prefix}_id`]!,
          test_id: row[`${prefix}_test_id`]!,
          block_id: row[`${prefix}_block_id`]!,
          status: row[`${prefix}_status`]!,
          verdict: row[`${prefix}_verdict`] ?? null,
          handle_inputs_fingerprint: row[`${prefix}_handle_inputs_fingerprint`]!,
          block_config_fingerprint: row[`${prefix}_block_config_fingerprint`]!,
          workflow_draft_fingerprint: row[`${prefix}_workflow_draft_fingerprint`]!,
          assertion: row[`${prefix}_assertion`]!,
        };
  return rows.map((row) => ({ run: side(row, 'a'), base: side(row, 'b') }));
}

/** Every row of a run, reduced to what a comparison reads (a comparison without a base). */
export async function comparedRowsOfRun(db: Kysely<Database>, runId: string, afterTestId = '', limit?: number): Promise<ComparedRow[]> {
  let query = db.selectFrom('test_results').select(COMPARED_COLUMNS).where('run_id', '=', runId).where('test_id', '>', afterTestId).orderBy('test_id');
  if (limit !== undefined) query = query.limit(limit);
  return query.execute();
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

/**
 * Per test, its latest results, newest first: at most STABILITY_WINDOW × 2 (room for rows that did
 * not run). One statement of one index-bounded read per test (the history index, newest first),
 * so the cost follows the page of tests, not how many times a tenant ran them.
 */
export async function latestResultsOfTests(db: Kysely<Database>, organizationId: string, testIds: string[]): Promise<Map<string, Array<ComparedRow & { created_at: string }>>> {
  const byTest = new Map<string, Array<ComparedRow & { created_at: string }>>();
  if (testIds.length === 0) return byTest;
  const columns = sql.raw([...COMPARED_COLUMNS, 'created_at'].join(', '));
  const latestOf = (testId: string) =>
    sql`select * from (select ${columns} from test_results where test_id = ${testId} and organization_id = ${organizationId} order by created_at desc, id desc limit ${STABILITY_WINDOW * 2}) latest`;
  const { rows } = await sql<ComparedRow & { created_at: string }>`${sql.join(testIds.map(latestOf), sql` union all `)}`.execute(db);
  for (const row of rows) {
    const list = byTest.get(row.test_id) ?? [];
    list.push(row);
    byTest.set(row.test_id, list);
  }
  for (const list of byTest.values()) list.sort((a, b) => (a.created_at === b.created_at ? b.id.localeCompare(a.id) : b.created_at.localeCompare(a.created_at)));
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
    .select([...COMPARED_COLUMNS, 'run_id', 'created_at', 'completed_at', 'duration_ms'])
    .where('test_id', '=', testId)
    .where('organization_id', '=', organizationId)
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(limit)
    .execute();
}
