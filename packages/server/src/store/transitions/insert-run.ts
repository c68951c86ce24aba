import { CompiledQuery, type Insertable, type Transaction } from 'kysely';
import type { Database, TestRunsTable } from '../schema.js';
import { isPostgres } from './shared.js';

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

/**
 * A run is created `pending` with every one of its rows `pending`, in one transaction
 * (docs/decisions.md §3): its rows are written by insertPendingResults in the same transaction, and
 * its counts say so (`n_pending` = `total_tests` = its rows). Rows are created nowhere else.
 */
export async function insertRun(trx: Transaction<Database>, run: NewRun): Promise<void> {
  await trx.insertInto('test_runs').values(run).execute();
}

/** Rows bound per statement: one prepared statement serves every full chunk. */
const ROWS_PER_STATEMENT = 100;
const PARAMETERS_PER_ROW = 8;

/**
 * Writes pending rows, a chunk of rows per statement bound as plain parameters; each test's source
 * and assertion are copied by the database from its row. Binding 26 values a row through the query
 * builder (a 1,000-row VALUES list per statement) made creating a 100,000-test run cost 3.4 s of
 * the event loop; rows as one JSON array cost SQLite 2 µs a row to take apart; a fixed statement
 * text with 8 parameters a row costs neither.
 */
export async function insertPendingResults(trx: Transaction<Database>, run: PendingRowsOfRun, rows: PendingRow[]): Promise<void> {
  for (let start = 0; start < rows.length; start += ROWS_PER_STATEMENT) {
    const chunk = rows.slice(start, start + ROWS_PER_STATEMENT);
    const parameters: unknown[] = [run.organizationId, run.runId, run.workflowId, run.draftFingerprint, run.createdAt];
    for (const row of chunk) {
      parameters.push(row.id, row.position, row.testId, row.blockId, row.blockType, row.handleInputsFingerprint, row.blockConfigFingerprint, row.executionFingerprint);
    }
    await trx.executeQuery(CompiledQuery.raw(insertStatement(chunk.length, trx), parameters));
  }
}

const insertStatements = new Map<string, string>();

/** `INSERT … SELECT … FROM (VALUES …)` for `count` rows, in the placeholder style of the store's dialect. */
function insertStatement(count: number, trx: Transaction<Database>): string {
  const postgres = isPostgres(trx);
  const key = `${postgres}:${count}`;
  let text = insertStatements.get(key);
  if (!text) {
    let next = 0;
    const parameter = () => (postgres ? `$${++next}` : (next++, '?'));
    const [organizationId, runId, workflowId, draftFingerprint, createdAt] = Array.from({ length: 5 }, parameter);
    const values = Array.from({ length: count }, () => `(${Array.from({ length: PARAMETERS_PER_ROW }, parameter).join(', ')})`).join(', ');
    // VALUES columns are named column1… in both SQLite and PostgreSQL.
    text = `INSERT INTO test_results (id, organization_id, run_id, position, test_id, workflow_id, block_id, block_type, status, attempts,
      source, assertion, handle_inputs_fingerprint, block_config_fingerprint, workflow_draft_fingerprint, execution_fingerprint, created_at)
    SELECT v.column1, ${organizationId}, ${runId}, CAST(v.column2 AS INTEGER), v.column3, ${workflowId}, v.column4, v.column5, 'pending', 0,
      t.source, t.assertion, v.column6, v.column7, ${draftFingerprint}, v.column8, ${createdAt}
    FROM (VALUES ${values}) AS v JOIN tests AS t ON t.id = v.column3`;
    insertStatements.set(key, text);
  }
  return text;
}
