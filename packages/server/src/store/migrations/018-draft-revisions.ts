import { PostgresAdapter, sql, type Kysely } from 'kysely';

/**
 * `workflows.draft_revision`: a random token renewed, by triggers, whenever a row of the workflow's
 * blocks or edges is inserted, updated or deleted, whatever code path writes it. Reads of a run
 * compare its snapshot with the current draft's fingerprint; keyed by this token, the fingerprint
 * is computed once per draft instead of from every block and edge on every read (store/versions.ts).
 * A random token rather than a counter: a cache keyed by it cannot confuse two stores.
 */
const GRAPH_TABLES = ['blocks', 'edges'] as const;

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('workflows').addColumn('draft_revision', 'text').execute();
  if (db.getExecutor().adapter instanceof PostgresAdapter) await renewOnPostgres(db);
  else await renewOnSqlite(db);
}

async function renewOnSqlite(db: Kysely<unknown>): Promise<void> {
  const token = 'lower(hex(randomblob(12)))';
  const renew = (row: 'NEW' | 'OLD') => sql.raw(`UPDATE workflows SET draft_revision = ${token} WHERE organization_id = ${row}.organization_id AND id = ${row}.workflow_id;`);
  for (const table of GRAPH_TABLES) {
    await sql`CREATE TRIGGER ${sql.id(`${table}_renew_draft_insert`)} AFTER INSERT ON ${sql.id(table)} BEGIN ${renew('NEW')} END`.execute(db);
    await sql`CREATE TRIGGER ${sql.id(`${table}_renew_draft_update`)} AFTER UPDATE ON ${sql.id(table)} BEGIN ${renew('OLD')} ${renew('NEW')} END`.execute(db);
    await sql`CREATE TRIGGER ${sql.id(`${table}_renew_draft_delete`)} AFTER DELETE ON ${sql.id(table)} BEGIN ${renew('OLD')} END`.execute(db);
  }
  await sql`UPDATE workflows SET draft_revision = ${sql.raw(token)}`.execute(db);
}

async function renewOnPostgres(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE FUNCTION verdict_renew_draft_revision() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP <> 'INSERT' THEN
        UPDATE workflows SET draft_revision = md5(random()::text || clock_timestamp()::text) WHERE organization_id = OLD.organization_id AND id = OLD.workflow_id;
      END IF;
      IF TG_OP <> 'DELETE' THEN
        UPDATE workflows SET draft_revision = md5(random()::text || clock_timestamp()::text) WHERE organization_id = NEW.organization_id AND id = NEW.workflow_id;
      END IF;
      RETURN NULL;
    END $$`.execute(db);
  for (const table of GRAPH_TABLES) {
    await sql`CREATE TRIGGER ${sql.id(`${table}_renew_draft`)} AFTER INSERT OR UPDATE OR DELETE ON ${sql.id(table)} FOR EACH ROW EXECUTE FUNCTION verdict_renew_draft_revision()`.execute(db);
  }
  await sql`UPDATE workflows SET draft_revision = md5(random()::text || clock_timestamp()::text || id)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  if (db.getExecutor().adapter instanceof PostgresAdapter) {
    for (const table of GRAPH_TABLES) await sql`DROP TRIGGER IF EXISTS ${sql.id(`${table}_renew_draft`)} ON ${sql.id(table)}`.execute(db);
    await sql`DROP FUNCTION IF EXISTS verdict_renew_draft_revision()`.execute(db);
  } else {
    for (const table of GRAPH_TABLES) {
      for (const event of ['insert', 'update', 'delete']) await sql`DROP TRIGGER IF EXISTS ${sql.id(`${table}_renew_draft_${event}`)}`.execute(db);
    }
  }
  await db.schema.alterTable('workflows').dropColumn('draft_revision').execute();
}
