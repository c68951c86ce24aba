import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect, sql, type Migration } from 'kysely';
import pg from 'pg';
import * as initial from './migrations/001-initial.js';
import * as testSourceFingerprints from './migrations/002-test-source-fingerprints.js';
import * as apiKeyRevocation from './migrations/003-api-key-revocation.js';
import * as filesBySha256 from './migrations/004-files-by-sha256.js';
import * as fileUploads from './migrations/005-file-uploads.js';
import * as assertionSchemaDeps from './migrations/006-assertion-schema-deps.js';
import * as projectsAndDeclarativeSources from './migrations/007-projects-and-declarative-sources.js';
import * as testHistory from './migrations/010-test-history.js';
import * as workflowRuns from './migrations/011-workflow-runs.js';
import * as experiments from './migrations/012-experiments.js';
import * as executionStart from './migrations/013-execution-start.js';
import * as workflowRunAttempts from './migrations/014-workflow-run-attempts.js';
import * as experimentResultProvenance from './migrations/015-experiment-result-provenance.js';
import * as workflowRunListIndexes from './migrations/016-workflow-run-list-indexes.js';
import * as experimentResultArtifacts from './migrations/017-experiment-result-artifacts.js';
import * as draftRevisions from './migrations/018-draft-revisions.js';
import type { Database } from './schema.js';
import { ReadHolds, SqliteStoreDialect, writeTurnsOf } from './sqlite-connections.js';

export { eachRowQuery } from './sqlite-connections.js';

export type Dialect = 'sqlite' | 'postgres';

export interface Store {
  db: Kysely<Database>;
  dialect: Dialect;
  /** Human description for logs: the SQLite path or the PostgreSQL host. */
  location: string;
  /** The SQLite database file, which a second connection (the transition thread) opens; null on PostgreSQL. */
  sqlitePath: string | null;
  /**
   * SQLite only (one process serves a SQLite store): holds back every read outside a transaction
   * until the returned function is called, for a change written in two transactions (`ReadHolds`).
   */
  holdReads?: () => () => void;
  /**
   * SQLite only: runs `work` on the writing connection, synchronously, as one `BEGIN IMMEDIATE`
   * transaction in this process's next write turn (`WriteTurns`), with no await inside: for a
   * decision that must not wait behind the event loop's other work once it holds the lock.
   */
  writeNow?: <T>(work: (connection: SQLite.Database) => T) => Promise<T>;
  close(): Promise<void>;
}

export interface StoreOptions {
  /** `postgres://…` selects PostgreSQL; otherwise SQLite at `<dataDir>/verdict.db`. */
  databaseUrl?: string | null;
  dataDir: string;
  /** PostgreSQL connections of this process (VERDICT_DATABASE_POOL_SIZE). */
  databasePoolSize?: number;
}

export const DEFAULT_DATABASE_POOL_SIZE = 10;

const MIGRATIONS: Record<string, Migration> = {
  '001-initial': initial,
  '002-test-source-fingerprints': testSourceFingerprints,
  '003-api-key-revocation': apiKeyRevocation,
  '004-files-by-sha256': filesBySha256,
  '005-file-uploads': fileUploads,
  '006-assertion-schema-deps': assertionSchemaDeps,
  '007-projects-and-declarative-sources': projectsAndDeclarativeSources,
  '010-test-history': testHistory,
  '011-workflow-runs': workflowRuns,
  '012-experiments': experiments,
  '013-execution-start': executionStart,
  '014-workflow-run-attempts': workflowRunAttempts,
  '015-experiment-result-provenance': experimentResultProvenance,
  '016-workflow-run-list-indexes': workflowRunListIndexes,
  '017-experiment-result-artifacts': experimentResultArtifacts,
  '018-draft-revisions': draftRevisions,
};

function openSqlite(dataDir: string): Store {
  mkdirSync(dataDir, { recursive: true });
  const path = join(dataDir, 'verdict.db');
  const holds = new ReadHolds();
  const dialect = sqliteStoreDialect(path, holds);
  const db = new Kysely<Database>({ dialect });
  return { db, dialect: 'sqlite', location: path, sqlitePath: path, holdReads: () => holds.hold(), writeNow: (work) => dialect.writeNow(work), close: () => db.destroy() };
}

/**
 * A SQLite store as this process uses it: a writing and a reading connection (`SqliteStoreDialect`),
 * taking turns at the write lock with everything else of this process that writes to `path`. The
 * transition thread opens its own alike.
 */
export function connectSqlite(path: string, holds?: ReadHolds): Kysely<Database> {
  return new Kysely<Database>({ dialect: sqliteStoreDialect(path, holds) });
}

function sqliteStoreDialect(path: string, holds?: ReadHolds): SqliteStoreDialect {
  return new SqliteStoreDialect(openConnection(path), openConnection(path), writeTurnsOf(path), holds);
}

function openConnection(path: string): SQLite.Database {
  const database = new SQLite(path);
  database.pragma('journal_mode = WAL');
  database.pragma('synchronous = NORMAL');
  database.pragma('busy_timeout = 5000');
  database.pragma('foreign_keys = ON');
  return withStatementCache(database);
}

const STATEMENT_CACHE_SIZE = 500;

/**
 * Kysely prepares every query anew; compiling SQL was a third of the store's CPU time in the
 * throughput benchmark. Statements are reused by their SQL text (bounded, oldest dropped).
 */
function withStatementCache(database: SQLite.Database): SQLite.Database {
  const statements = new Map<string, SQLite.Statement>();
  const prepare = database.prepare.bind(database);
  return new Proxy(database, {
    get(target, property, receiver) {
      if (property !== 'prepare') {
        const value = Reflect.get(target, property, receiver);
        return typeof value === 'function' ? value.bind(target) : value;
      }
      return (sql: string) => {
        let statement = statements.get(sql);
        if (!statement) {
          statement = prepare(sql);
          if (statements.size >= STATEMENT_CACHE_SIZE) statements.delete(statements.keys().next().value!);
          statements.set(sql, statement);
        }
        return statement;
      };
    },
  });
}

function openPostgres(url: string, poolSize: number): Store {
  // int8 (count(*), sums) fits a JS number for every count this service keeps.
  pg.types.setTypeParser(20, (value) => Number(value));
  const pool = new pg.Pool({ connectionString: url, max: poolSize });
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  return { db, dialect: 'postgres', location: new URL(url).host, sqlitePath: null, close: () => db.destroy() };
}

/** Applies this build's migrations to a store's database. */
export function migratorOf(db: Kysely<Database>): Migrator {
  return new Migrator({ db, provider: { getMigrations: async () => MIGRATIONS } });
}

export async function openStore(options: StoreOptions): Promise<Store> {
  const url = options.databaseUrl?.trim();
  const store = url && /^postgres(ql)?:\/\//.test(url) ? openPostgres(url, options.databasePoolSize ?? DEFAULT_DATABASE_POOL_SIZE) : openSqlite(options.dataDir);
  const { error } = await migratorOf(store.db).migrateToLatest();
  if (error) {
    await store.close();
    throw new Error(`Could not migrate the ${store.dialect} store at ${store.location}: ${String((error as Error).message ?? error)}`);
  }
  return store;
}

/** Resolves when the store answers a query (readiness probes). */
export async function pingStore(db: Kysely<Database>): Promise<void> {
  await sql`select 1`.execute(db);
}

/** Column values that hold JSON text are written through these two, nowhere else. */
export function toJson(value: unknown): string {
  return JSON.stringify(value ?? null);
}

export function fromJson<T>(text: string | null): T | null {
  return text === null ? null : (JSON.parse(text) as T);
}
