import { Worker } from 'node:worker_threads';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../store/schema.js';
import { writeTurnsOf, type WriteTurns } from '../store/sqlite-connections.js';
import type { cancelRun, NewRun, RunCreation, TransitionFlush, UnmovedRows } from '../store/transitions/index.js';
import { HELPER_THREAD_YOUNG_GENERATION_MB, quietSince, threadEntry } from './thread-entry.js';

/** Main thread → transition thread: a flush to apply, a run to create, a run to cancel with its rows, or a cancelled run's unfinished rows to write. */
export type TransitionRequest =
  | { id: number; flush: TransitionFlush }
  | { id: number; creation: RunCreation }
  | { id: number; cancel: { organizationId: string; runId: string; reason: string | null; now: string } }
  | { id: number; cancelled: { runId: string; cancelledAt: string } };

/** Transition thread → main thread: what request `id` answered (see `TransitionThread`'s methods), or why its transaction failed. */
export type TransitionReply = { id: number; answer: unknown } | { id: number; error: string };

interface Waiter {
  resolve: (answer: unknown) => void;
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
  /** When the thread last answered (performance.now()). */
  #lastActiveAt = performance.now();

  /** `db`: the server's connection to the store at `sqlitePath`. */
  constructor(
    private readonly db: Kysely<Database>,
    private readonly sqlitePath: string,
  ) {
    this.#turns = writeTurnsOf(sqlitePath);
    this.#running();
  }

  /** Applies the flush (`applyFlush`); the rows it did not move. */
  apply(flush: TransitionFlush): Promise<UnmovedRows> {
    return this.#request((id) => ({ id, flush })) as Promise<UnmovedRows>;
  }

  /** Creates the run (`createRun`): its row, or null when its scope holds no test. */
  createRun(creation: RunCreation): Promise<NewRun | null> {
    return this.#request((id) => ({ id, creation })) as Promise<NewRun | null>;
  }

  /** Decides a cancel and writes the run's unfinished rows in one transaction (`cancelRun`), in the next turn at the write lock. */
  cancelRun(organizationId: string, runId: string, reason: string | null, now: string): ReturnType<typeof cancelRun> {
    return this.#request((id) => ({ id, cancel: { organizationId, runId, reason, now } }), { first: true }) as ReturnType<typeof cancelRun>;
  }

  /**
   * Writes a cancelled run's unfinished rows (`cancelUnfinishedRows`) in the next turn at the write
   * lock, ahead of those waiting: reads are held until it is done (TestRunService.cancel).
   */
  writeCancelledRows(runId: string, cancelledAt: string): Promise<void> {
    return this.#request((id) => ({ id, cancelled: { runId, cancelledAt } }), { first: true }) as Promise<void>;
  }

  /** Sends a request in its turn at the store's write lock (`WriteTurns`), which it holds until the thread answers. */
  async #request(request: (id: number) => TransitionRequest, turn: { first?: boolean } = {}): Promise<unknown> {
    const endTurn = await this.#turns.take(turn);
    try {
      return await new Promise<unknown>((resolve, reject) => {
        const id = this.#nextId++;
        this.#waiters.set(id, { resolve, reject });
        const thread = this.#running();
        thread.ref();
        thread.postMessage(request(id));
      });
    } finally {
      endTurn();
    }
  }

  /**
   * Sets the worker aside in a turn of its own at the write lock, so no request of it is in flight;
   * the next request starts a fresh one. V8 keeps the heap a large run's creation grew. The old one
   * is stopped once quiet (QUIET_BEFORE_TERMINATE_MS).
   */
  async renew(): Promise<void> {
    const endTurn = await this.#turns.take();
    const thread = this.#thread;
    this.#thread = null;
    endTurn();
    await quietSince(this.#lastActiveAt);
    await thread?.terminate();
  }

  /** Stops the thread once quiet; call once no flush is pending. */
  async close(): Promise<void> {
    const thread = this.#thread;
    this.#thread = null;
    if (thread) await quietSince(this.#lastActiveAt);
    await thread?.terminate();
    this.#failWaiters(new Error('the transition thread was closed'));
    await this.#checkpointsAtServerCommits(true);
  }

  /** SQLite's default: a commit that grows the WAL past 1,000 pages checkpoints it. */
  #checkpointsAtServerCommits(enabled: boolean): Promise<void> {
    return sql`PRAGMA wal_autocheckpoint = ${sql.raw(enabled ? '1000' : '0')}`.execute(this.db).then(
      () => undefined,
      () => undefined,
    );
  }

  #failWaiters(error: Error): void {
    for (const waiter of this.#waiters.values()) waiter.reject(error);
    this.#waiters.clear();
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
    thread.on('message', (reply: TransitionReply) => {
      this.#lastActiveAt = performance.now();
      const waiter = this.#waiters.get(reply.id);
      this.#waiters.delete(reply.id);
      if ('error' in reply) waiter?.reject(new Error(reply.error));
      else waiter?.resolve(reply.answer);
      // An idle thread does not keep the process alive.
      if (this.#waiters.size === 0) thread.unref();
    });
    let failure: Error | undefined;
    thread.on('error', (error) => {
      failure = error;
    });
    thread.on('exit', (code) => {
      // One set aside (renew, close) had no request in flight; the waiters are its successor's.
      if (this.#thread !== thread) return;
      this.#thread = null;
      void this.#checkpointsAtServerCommits(true);
      this.#failWaiters(new Error(`the transition thread stopped (${failure?.message ?? `exit code ${code}`})`));
    });
    this.#thread = thread;
    return thread;
  }
}
