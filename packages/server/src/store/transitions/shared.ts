import { LIVE_STATUSES } from '@verdict/core';
import { PostgresAdapter, sql, type Kysely, type RawBuilder, type Transaction } from 'kysely';
import type { Database, TestRunsTable } from '../schema.js';

export type Db = Kysely<Database> | Transaction<Database>;

type CountColumn = Extract<keyof TestRunsTable, `n_${string}`>;
export type CountDeltas = Partial<Record<CountColumn, number>>;

export function countColumn(status: string): CountColumn {
  return `n_${status}` as CountColumn;
}

export function addDelta(deltas: CountDeltas, column: CountColumn, amount: number): void {
  deltas[column] = (deltas[column] ?? 0) + amount;
}

/**
 * Locks a live run for the rest of the transaction (a no-op UPDATE takes the row lock on
 * PostgreSQL; SQLite's writer lock already serialises). Every transition that touches a run's
 * rows calls this first, so a cancel and a finishing worker are strictly ordered.
 */
export async function lockLiveRun(trx: Db, runId: string): Promise<{ status: string; started_at: string | null } | undefined> {
  return trx
    .updateTable('test_runs')
    .set({ status: sql`status` })
    .where('id', '=', runId)
    .where('status', 'in', LIVE_STATUSES)
    .returning(['status', 'started_at'])
    .executeTakeFirst();
}

/** `id IN (…)` for a list of ids bound as one JSON array. */
export function idIn(db: Db, ids: string[]): RawBuilder<boolean> {
  const json = JSON.stringify(ids);
  const values = isPostgres(db) ? sql`json_array_elements_text(CAST(${json} AS json)) AS r(value)` : sql`json_each(${json}) AS r`;
  return sql<boolean>`id IN (SELECT r.value FROM ${values})`;
}

export function isPostgres(db: Db): boolean {
  return db.getExecutor().adapter instanceof PostgresAdapter;
}

/**
 * `run_id = ?` for updates of rows named by id. Written as an expression so the planner looks the
 * rows up by primary key: SQLite otherwise walks the run's (run_id, status) index over every row
 * in that status — all pending rows of a 100,000-test run for each batch queued.
 */
export function ofRun(runId: string) {
  return sql<boolean>`run_id || '' = ${runId}`;
}

export async function applyCountDeltas(trx: Db, runId: string, deltas: CountDeltas): Promise<void> {
  const entries = Object.entries(deltas).filter(([, amount]) => amount !== 0);
  if (entries.length === 0) return;
  const set = Object.fromEntries(entries.map(([column, amount]) => [column, sql`${sql.ref(column)} + ${amount}`]));
  await trx.updateTable('test_runs').set(set).where('id', '=', runId).execute();
}

/** A run can only be completed if it is live and none of its rows is (docs/decisions.md §3), whatever the verdicts. */
export async function completeRunIfDone(trx: Db, runId: string, now: string): Promise<boolean> {
  const result = await trx
    .updateTable('test_runs')
    .set({ status: 'completed', completed_at: now, started_at: sql`coalesce(started_at, ${now})` })
    .where('id', '=', runId)
    .where('status', 'in', LIVE_STATUSES)
    .where('n_pending', '=', 0)
    .where('n_queued', '=', 0)
    .where('n_running', '=', 0)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}
