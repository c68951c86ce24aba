import type { Insertable, Transaction } from 'kysely';
import type { Database, TestResultsTable, TestRunsTable } from '../schema.js';

export type NewRun = Insertable<TestRunsTable>;
export type NewResult = Insertable<TestResultsTable>;

// SQLite allows 32,766 bound parameters per statement; a result row binds 26.
const RESULTS_PER_INSERT = 1000;

/** A new `pending` run; its rows are written by insertPendingResults in the same transaction. */
export async function insertRun(trx: Transaction<Database>, run: NewRun): Promise<void> {
  await trx.insertInto('test_runs').values(run).execute();
}

export async function insertPendingResults(trx: Transaction<Database>, results: NewResult[]): Promise<void> {
  for (let start = 0; start < results.length; start += RESULTS_PER_INSERT) {
    await trx.insertInto('test_results').values(results.slice(start, start + RESULTS_PER_INSERT)).execute();
  }
}
