import { Worker } from 'node:worker_threads';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../store/schema.js';
import { writeTurnsOf, type WriteTurns } from '../store/sqlite-connections.js';
import type { TransitionFlush, UnmovedRows } from '../store/transitions/index.js';
import { HELPER_THREAD_YOUNG_GENERATION_MB, threadEntry } from './thread-entry.js';

/** Main thread → transition thread. */
export interface FlushRequest {
  id: number;
  flush: TransitionFlush;
}

/** Transition thread → main thread: the rows flush `id` did not move, or why its transaction failed. */
export type FlushReply = { id: number; unmoved: UnmovedRows } | { id: number; error: string };

interface Waiter {
  resolve: (unmoved: UnmovedRows) => void;
  reject: (error: Error) => void;
}

/**
 * Applies transition flushes to a SQLite store on a thread of their own, over its own connection:
 * SQLite runs synchronously, and the writes of a busy run were most of the main thread's time —
 * time the API and the executor now keep. Its flushes and the server's transactions take turns at
 * the write lock (`WriteTurns`), so none waits in SQLite's busy handler. A thread that stops is started again on the
 * next flush; the flushes it held fail (the executor treats them as any failed write).
 *
 * While it runs, the thread also does the store's WAL checkpoints (copying committed pages into
 * the database file, with an fsync), every second, and no commit does them: they were a third of
 * the time it took to create a run, and would otherwise land on whichever commit crossed the
 * threshold.
 */
export class TransitionThread {
  #thread: Worker | null = null;
  readonly #waiters = new Map<number, Waiter>();
  #nextId = 1;
  readonly #turns: WriteTurns;

  /** `db`: the server's connection to the store at `sqlitePath`. */
  constructor(
    private readonly db: Kysely<Database>,
    private readonly sqlitePath: string,
  ) {
    this.#turns = writeTurnsOf(sqlitePath);
    this.#running();
  }

  /** Applies the flush in its turn at the store's write lock (`WriteTurns`), which it holds until the thread answers. */
  async apply(flush: TransitionFlush): Promise<UnmovedRows> {
    const endTurn = await this.#turns.take();
    try {
      return await new Promise<UnmovedRows>((resolve, reject) => {
        const id = this.#nextId++;
        this.#waiters.set(id, { resolve, reject });
        const thread = this.#running();
        thread.ref();
        thread.postMessage({ id, flush } satisfies FlushRequest);
      });
    } finally {
      endTurn();
    }
  }

  /** Stops the thread; call once no flush is pending. */
  async close(): Promise<void> {
    const thread = this.#thread;
    this.#thread = null;
    await thread?.terminate();
    await this.#checkpointsAtServerCommits(true);
  }

  /** SQLite's default: a commit that grows the WAL past 1,000 pages checkpoints it. */
  #checkpointsAtServerCommits(enabled: boolean): Promise<void> {
    return sql`PRAGMA wal_autocheckpoint = ${sql.raw(enabled ? '1000' : '0')}`.execute(this.db).then(
      () => undefined,
      () => undefined,
    );
  }

  #running(): Worker {
    if (this.#thread) return this.#thread;
    const entry = threadEntry(import.meta.url, 'transition-thread-worker');
    const thread = new Worker(entry.script, {
      eval: entry.evaluate,
      workerData: { sqlitePath: this.sqlitePath },
      resourceLimits: { maxYoungGenerationSizeMb: HELPER_THREAD_YOUNG_GENERATION_MB },
    });
    thread.unref();
    void this.#checkpointsAtServerCommits(false);
    thread.on('message', (reply: FlushReply) => {
      const waiter = this.#waiters.get(reply.id);
      this.#waiters.delete(reply.id);
      if ('error' in reply) waiter?.reject(new Error(reply.error));
      else waiter?.resolve(reply.unmoved);
      // An idle thread does not keep the process alive.
      if (this.#waiters.size === 0) thread.unref();
    });
    let failure: Error | undefined;
    thread.on('error', (error) => {
      failure = error;
    });
    thread.on('exit', (code) => {
      if (this.#thread === thread) {
        this.#thread = null;
        void this.#checkpointsAtServerCommits(true);
      }
      const error = new Error(`the transition thread stopped (${failure?.message ?? `exit code ${code}`})`);
      for (const waiter of this.#waiters.values()) waiter.reject(error);
      this.#waiters.clear();
    });
    this.#thread = thread;
    return thread;
  }
}
