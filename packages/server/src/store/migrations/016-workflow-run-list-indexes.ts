import { sql, type Kysely } from 'kysely';
import { PostgresAdapter } from 'kysely';

/**
 * Indexes for the runs list's other orders and its search (GET /v1/workflows/runs `sort_by`,
 * `search`), which scanned every run of the organization:
 * - `sort_by=started_at|completed_at` pages by keyset on (COALESCE(instant, ''), id), the
 *   expression the reads sort by, per organization and per workflow of it;
 * - `search` is a substring match, which a B-tree cannot serve: SQLite keeps the run id and its
 *   metadata values in an FTS5 trigram table (kept by triggers); PostgreSQL indexes the same text
 *   with pg_trgm when the server offers that extension (otherwise the search scans, as before).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  const postgres = db.getExecutor().adapter instanceof PostgresAdapter;
  for (const instant of ['started_at', 'completed_at']) {
    const short = instant.replace('_at', '');
    await sql`CREATE INDEX ${sql.id(`workflow_runs_by_${short}`)} ON workflow_runs (organization_id, (COALESCE(${sql.id(instant)}, '')), id)`.execute(db);
    await sql`CREATE INDEX ${sql.id(`workflow_runs_of_workflow_by_${short}`)} ON workflow_runs (organization_id, workflow_id, (COALESCE(${sql.id(instant)}, '')), id)`.execute(db);
  }
  if (postgres) await indexSearchOnPostgres(db);
  else await indexSearchOnSqlite(db);
}

async function indexSearchOnSqlite(db: Kysely<unknown>): Promise<void> {
  await sql`CREATE VIRTUAL TABLE workflow_run_search USING fts5(text, tokenize = 'trigram')`.execute(db);
  const text = sql.raw(`lower(NEW.id) || ' ' || coalesce((SELECT group_concat(value, ' ') FROM json_each(NEW.metadata)), '')`);
  await sql`CREATE TRIGGER workflow_run_search_insert AFTER INSERT ON workflow_runs BEGIN INSERT INTO workflow_run_search (rowid, text) VALUES (NEW.rowid, ${text}); END`.execute(db);
  await sql`CREATE TRIGGER workflow_run_search_delete AFTER DELETE ON workflow_runs BEGIN DELETE FROM workflow_run_search WHERE rowid = OLD.rowid; END`.execute(db);
  await sql`INSERT INTO workflow_run_search (rowid, text) SELECT rowid, lower(id) || ' ' || coalesce((SELECT group_concat(value, ' ') FROM json_each(workflow_runs.metadata)), '') FROM workflow_runs`.execute(db);
}

async function indexSearchOnPostgres(db: Kysely<unknown>): Promise<void> {
  const { rows } = await sql<{ name: string }>`SELECT name FROM pg_available_extensions WHERE name = 'pg_trgm'`.execute(db);
  if (rows.length === 0) return;
  // Creating an extension needs rights the database's user may lack: then the search scans.
  await sql`SAVEPOINT verdict_trigram`.execute(db);
  try {
    await sql`CREATE EXTENSION IF NOT EXISTS pg_trgm`.execute(db);
    await sql`CREATE INDEX workflow_runs_search ON workflow_runs USING gin ((lower(id || ' ' || coalesce(metadata, ''))) gin_trgm_ops)`.execute(db);
    await sql`RELEASE SAVEPOINT verdict_trigram`.execute(db);
  } catch {
    await sql`ROLLBACK TO SAVEPOINT verdict_trigram`.execute(db);
  }
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const name of ['workflow_runs_by_started', 'workflow_runs_of_workflow_by_started', 'workflow_runs_by_completed', 'workflow_runs_of_workflow_by_completed']) {
    await sql`DROP INDEX IF EXISTS ${sql.id(name)}`.execute(db);
  }
  if (db.getExecutor().adapter instanceof PostgresAdapter) {
    await sql`DROP INDEX IF EXISTS workflow_runs_search`.execute(db);
    return;
  }
  await sql`DROP TRIGGER IF EXISTS workflow_run_search_insert`.execute(db);
  await sql`DROP TRIGGER IF EXISTS workflow_run_search_delete`.execute(db);
  await sql`DROP TABLE IF EXISTS workflow_run_search`.execute(db);
}
