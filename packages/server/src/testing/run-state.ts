import { after, before, describe } from 'node:test';
import { LIFECYCLE_STATUSES, VERDICTS } from '@verdict/core';
import type { Transaction } from 'kysely';
import type { Store } from '../store/database.js';
import type { Database } from '../store/schema.js';
import { encodeOutcome, type EncodedOutcome, type OutcomeTimes, type ResultOutcome } from '../store/transitions/index.js';
import { temporaryStore, testStores, type StoreKind } from './harness.js';
import { passingResult } from './pending-run.js';

/** Store-level checks for tests of the transitions: what a run looks like in the store, and whether its counts agree with its rows. */

/**
 * Declares `suite` once per store the tests run on (SQLite, and PostgreSQL when given), each on a
 * fresh store of its own; `store()` is that store once the suite runs.
 */
export function onEachStore(name: string, suite: (store: () => Store, kind: StoreKind) => void): void {
  for (const kind of testStores()) {
    void describe(`${name} (${kind})`, () => {
      let temporary: Awaited<ReturnType<typeof temporaryStore>> | undefined;
      before(async () => {
        temporary = await temporaryStore(kind, name.replace(/\W+/g, '-'));
      });
      after(() => temporary?.remove());
      suite(() => temporary!.store, kind);
    });
  }
}

/** `work` in one transaction of the server's connection, as the store's callers run transitions. */
export function inTransaction<T>(store: Store, work: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
  return store.db.transaction().execute(work);
}

/** A run, its rows in run order, and the latest summaries of their tests, read in one transaction. */
export async function runState(store: Store, runId: string) {
  return inTransaction(store, async (trx) => {
    const run = await trx.selectFrom('test_runs').selectAll().where('id', '=', runId).executeTakeFirstOrThrow();
    const rows = await trx.selectFrom('test_results').selectAll().where('run_id', '=', runId).orderBy('position').execute();
    const tests = await trx
      .selectFrom('tests')
      .select(['id', 'latest_result_id', 'latest_passing_result_id', 'latest_failing_result_id'])
      .where('id', 'in', rows.length > 0 ? rows.map((row) => row.test_id) : [''])
      .execute();
    return { run, rows, tests: new Map(tests.map((test) => [test.id, test])) };
  });
}

export type RunState = Awaited<ReturnType<typeof runState>>;

/**
 * Where the run's counts disagree with its rows, or null (docs/decisions.md §3: counts move with
 * the rows they count): each lifecycle count is the number of rows in that status, each outcome
 * count the number of completed rows with that verdict, and `total_tests` the number of rows.
 */
export function countsDisagreement({ run, rows }: RunState): string | null {
  const problems: string[] = [];
  if (run.total_tests !== rows.length) problems.push(`total_tests ${run.total_tests}, rows ${rows.length}`);
  for (const status of LIFECYCLE_STATUSES) {
    const counted = rows.filter((row) => row.status === status).length;
    if (run[`n_${status}`] !== counted) problems.push(`n_${status} ${run[`n_${status}`]}, rows ${counted}`);
  }
  for (const verdict of VERDICTS) {
    const counted = rows.filter((row) => row.status === 'completed' && row.verdict === verdict).length;
    if (run[`n_${verdict}`] !== counted) problems.push(`n_${verdict} ${run[`n_${verdict}`]}, completed rows ${counted}`);
  }
  return problems.length > 0 ? problems.join('; ') : null;
}

/** The statuses of the run's rows, in run order. */
export const statuses = ({ rows }: RunState) => rows.map((row) => row.status);

/**
 * The outcome of the test of `row`, encoded as an executor hands it in: passingResult, finished at
 * `completedAt` with its start already written, unless `change` and `times` say otherwise.
 */
export function outcomeOf(row: { id: string; run_id: string; test_id: string }, change: Partial<ResultOutcome> = {}, times: Partial<OutcomeTimes> = {}): EncodedOutcome {
  return encodeOutcome({ ...passingResult(row.run_id, row.id), testId: row.test_id, ...change }, { startedAt: null, completedAt: '2026-11-29T00:00:05.000Z', ...times });
}
