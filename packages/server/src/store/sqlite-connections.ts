import type SQLite from 'better-sqlite3';
import { CompiledQuery, SqliteAdapter, SqliteIntrospector, SqliteQueryCompiler, type DatabaseConnection, type DatabaseIntrospector, type Dialect, type Driver, type Kysely, type QueryResult } from 'kysely';

/**
 * Turns at a SQLite store's write lock, in the order they were asked for, among everything of this
 * process that writes to it: the server's connection and the transition thread. Without them, a
 * transaction that found the lock held would wait in SQLite's busy handler, which sleeps 1, 2, 5,
 * 10… ms between tries (a 3 ms flush could delay a cancel by 8–18 ms) and, on the main thread,
 * blocks the event loop all the while.
 */
export class WriteTurns {
  #taken = false;
  readonly #waiting: Array<() => void> = [];

  /**
   * Resolves when it is this caller's turn, with the function that ends it. `first`: this turn
   * comes right after the current one, ahead of those already waiting.
   */
  take({ first = false } = {}): Promise<() => void> {
    return new Promise((resolve) => {
      const grant = () => {
        this.#taken = true;
        let ended = false;
        resolve(() => {
          if (ended) return;
          ended = true;
          this.#passOn();
        });
      };
      if (!this.#taken) grant();
      else if (first) this.#waiting.unshift(grant);
      else this.#waiting.push(grant);
    });
  }

  #passOn(): void {
    const next = this.#waiting.shift();
    if (next) next();
    else this.#taken = false;
  }
}

const writeTurnsByPath = new Map<string, WriteTurns>();

/** The write turns of this process for the SQLite database at `path`. */
export function writeTurnsOf(path: string): WriteTurns {
  let turns = writeTurnsByPath.get(path);
  if (!turns) {
    turns = new WriteTurns();
    writeTurnsByPath.set(path, turns);
  }
  return turns;
}

/**
 * Reads of a SQLite store held back while a change committed in two transactions is half written
 * (a cancel answers after its deciding one, TestRunsService.cancel): statements outside a
 * transaction that only read wait until every hold is released, so no reader sees the half.
 */
export class ReadHolds {
  #held = 0;
  #released: Promise<void> = Promise.resolve();
  #release: () => void = () => {};

  /** Holds reads until the returned function is called (once; later calls do nothing). */
  hold(): () => void {
    if (this.#held++ === 0) this.#released = new Promise((resolve) => (this.#release = resolve));
    let released = false;
    return () => {
      if (released) return;
      released = true;
      if (--this.#held === 0) this.#release();
    };
  }

  get held(): boolean {
    return this.#held > 0;
  }

  /** Resolves once no hold is left. */
  released(): Promise<void> {
    return this.#released;
  }
}

/** The parameter lists of an `eachRowQuery`, travelling as its one parameter. */
export class ParameterLists {
  constructor(readonly lists: unknown[][]) {}
}

/**
 * One SQLite statement run once per parameter list, in one call through the query layer; its rows
 * are `{ changes }`, one per list. For hot updates of many rows: a bound statement per row costs
 * SQLite half of extracting the same values from a JSON array, and going through Kysely once per
 * row would cost more than that.
 */
export function eachRowQuery(sqlText: string, lists: unknown[][]): CompiledQuery<{ changes: number }> {
  return CompiledQuery.raw(sqlText, [new ParameterLists(lists)]) as CompiledQuery<{ changes: number }>;
}

/**
 * Two connections to one SQLite store. Transactions run on the writing one, which they take in
 * turn (`WriteTurns`, `BEGIN IMMEDIATE`: a transaction that read first could not upgrade its lock
 * after another connection committed). Statements outside a transaction that only read run on the
 * reading one, at once: in WAL mode they see what is committed, so a request never waits for a
 * long transaction (creating a 100,000-test run) to commit, and never sees its rows before it does.
 * Other statements outside a transaction take a turn on the writing connection; pragmas are set on both.
 */
export class SqliteStoreDialect implements Dialect {
  constructor(
    private readonly writing: SQLite.Database,
    private readonly reading: SQLite.Database,
    private readonly turns: WriteTurns,
    private readonly holds: ReadHolds = new ReadHolds(),
  ) {}

  createDriver(): Driver {
    return new SqliteStoreDriver(this.writing, this.reading, this.turns, this.holds);
  }

  /** `work` as one synchronous `BEGIN IMMEDIATE` transaction of the writing connection, in the next write turn (Store.writeNow). */
  async writeNow<T>(work: (connection: SQLite.Database) => T): Promise<T> {
    const endTurn = await this.turns.take();
    try {
      return this.writing.transaction(() => work(this.writing)).immediate();
    } finally {
      endTurn();
    }
  }

  createQueryCompiler() {
    return new SqliteQueryCompiler();
  }

  createAdapter() {
    return new SqliteAdapter();
  }

  createIntrospector(db: Kysely<any>): DatabaseIntrospector {
    return new SqliteIntrospector(db);
  }
}

class SqliteStoreDriver implements Driver {
  constructor(
    private readonly writing: SQLite.Database,
    private readonly reading: SQLite.Database,
    private readonly turns: WriteTurns,
    private readonly holds: ReadHolds,
  ) {}

  async init(): Promise<void> {}

  async acquireConnection(): Promise<StoreConnection> {
    return new StoreConnection(this.writing, this.reading, this.turns, this.holds);
  }

  async beginTransaction(connection: StoreConnection): Promise<void> {
    await connection.begin();
  }

  async commitTransaction(connection: StoreConnection): Promise<void> {
    connection.finish('commit');
  }

  async rollbackTransaction(connection: StoreConnection): Promise<void> {
    connection.finish('rollback');
  }

  async releaseConnection(connection: StoreConnection): Promise<void> {
    connection.release();
  }

  async destroy(): Promise<void> {
    this.reading.close();
    this.writing.close();
  }
}

const PRAGMA = /^\s*pragma\s/i;

class StoreConnection implements DatabaseConnection {
  /** Ends this connection's write turn; set while it holds one (inside a transaction). */
  #endTurn: (() => void) | null = null;

  constructor(
    private readonly writing: SQLite.Database,
    private readonly reading: SQLite.Database,
    private readonly turns: WriteTurns,
    private readonly holds: ReadHolds,
  ) {}

  async begin(): Promise<void> {
    this.#endTurn = await this.turns.take();
    try {
      this.writing.prepare('begin immediate').run();
    } catch (error) {
      this.release();
      throw error;
    }
  }

  /** A commit that fails leaves the transaction open (Kysely rolls it back next): the turn ends with the rollback. */
  finish(command: 'commit' | 'rollback'): void {
    if (command === 'commit') {
      this.writing.prepare(command).run();
      this.release();
      return;
    }
    try {
      this.writing.prepare(command).run();
    } finally {
      this.release();
    }
  }

  release(): void {
    this.#endTurn?.();
    this.#endTurn = null;
  }

  async executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    if (this.#endTurn) return run<R>(this.writing, query);
    if (PRAGMA.test(query.sql)) {
      run(this.reading, query);
      return run<R>(this.writing, query);
    }
    if (!(query.parameters[0] instanceof ParameterLists) && this.reading.prepare(query.sql).readonly) {
      if (this.holds.held) await this.holds.released();
      return run<R>(this.reading, query);
    }
    const endTurn = await this.turns.take();
    try {
      return run<R>(this.writing, query);
    } finally {
      endTurn();
    }
  }

  // eslint-disable-next-line require-yield
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error('The SQLite store does not stream queries');
  }
}

function run<R>(database: SQLite.Database, query: CompiledQuery): QueryResult<R> {
  const [first] = query.parameters;
  const statement = database.prepare(query.sql);
  if (first instanceof ParameterLists) return { rows: first.lists.map((parameters) => ({ changes: statement.run(parameters).changes })) as R[] };
  if (statement.reader) return { rows: statement.all(query.parameters as unknown[]) as R[] };
  const { changes, lastInsertRowid } = statement.run(query.parameters as unknown[]);
  return { numAffectedRows: BigInt(changes), insertId: BigInt(lastInsertRowid), rows: [] };
}
