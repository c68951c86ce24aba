import { sql, type Insertable, type Transaction } from 'kysely';
import type { Database, TestRunsTable } from '../schema.js';
import { jsonArrayRows } from './shared.js';

export type NewRun = Insertable<TestRunsTable>;

/** What every pending row of one run shares. */
export interface PendingRowsOfRun {
  organizationId: string;
  runId: string;
  workflowId: string;
  draftFingerprint: string;
  createdAt: string;
}

/** What differs from row to row; the test's source and assertion are copied by the database. */
export interface PendingRow {
  id: string;
  position: number;
  testId: string;
  blockId: string;
  blockType: string;
  handleInputsFingerprint: string;
  blockConfigFingerprint: string;
  executionFingerprint: string;
}

/** A new `pending` run; its rows are written by insertPendingResults in the same transaction. */
export async function insertRun(trx: Transaction<Database>, run: NewRun): Promise<void> {
  await trx.insertInto('test_runs').values(run).execute();
}

/**
 * Writes a page of pending rows with one statement and one bound value: the rows travel as a JSON
 * array that the database expands, and each test's source and assertion are copied from its row.
 * Binding 26 values a row (a 1,000-row VALUES list per statement) made creating a 100,000-test run
 * cost 3.4 s of the event loop, most of it building and binding parameters.
 */
export async function insertPendingResults(trx: Transaction<Database>, run: PendingRowsOfRun, rows: PendingRow[]): Promise<void> {
  if (rows.length === 0) return;
  const json = JSON.stringify(
    rows.map((row) => [row.id, row.position, row.testId, row.blockId, row.blockType, row.handleInputsFingerprint, row.blockConfigFingerprint, row.executionFingerprint]),
  );
  await sql`
    INSERT INTO test_results (id, organization_id, run_id, position, test_id, workflow_id, block_id, block_type, status, attempts,
      source, assertion, handle_inputs_fingerprint, block_config_fingerprint, workflow_draft_fingerprint, execution_fingerprint, created_at)
    SELECT r.value ->> 0, ${run.organizationId}, ${run.runId}, CAST(r.value ->> 1 AS INTEGER), r.value ->> 2, ${run.workflowId}, r.value ->> 3,
      r.value ->> 4, 'pending', 0, t.source, t.assertion, r.value ->> 5, r.value ->> 6, ${run.draftFingerprint}, r.value ->> 7, ${run.createdAt}
    FROM ${jsonArrayRows(trx, json)} JOIN tests AS t ON t.id = r.value ->> 2`.execute(trx);
}
