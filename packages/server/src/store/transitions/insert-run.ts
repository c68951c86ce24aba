import type { Insertable, Transaction } from 'kysely';
import type { Database, TestResultsTable, TestRunsTable } from '../schema.js';

export type NewRun = Insertable<TestRunsTable>;
export type NewResult = Insertable<TestResultsTable>;

// SQLite allows 32,766 bound parameters per statement; a result row binds 26.
const RESULTS_PER_INSERT = 1000;

/** A new run, `pending`, with one `pending` row per selected test, all in the caller's transaction. */
export async function insertRun(trx: Transaction<Database>, run: NewRun, results: NewResult[]): Promise<void> {
  await trx.insertInto('test_runs').values(run).execute();
  for (let start = 0; start < results.length; start += RESULTS_PER_INSERT) {
    await trx.insertInto('test_results').values(results.slice(start, start + RESULTS_PER_INSERT)).execute();
  }
}
