import { isoNow, LIVE_STATUSES, type LiveStatus } from '@verdict/core';
import type { Store } from '../store/database.js';
import {
  applyFlush,
  encodeOutcome,
  type EncodedOutcome,
  type ResultOutcome,
  type RowMoves,
  type TransitionFlush,
  type UnmovedRows,
} from '../store/transitions/index.js';
import { TransitionThread } from './transition-thread.js';

const FLUSH_DELAY_MS = 5;

interface Waiter {
  resolve: (moved: boolean) => void;
  reject: (error: unknown) => void;
}

/** Where one row is going in the next flush: from the status it has in the store, to the furthest one handed in. */
interface RowEntry {
  from: LiveStatus;
  to: 'running' | EncodedOutcome;
  /** When the row's test started, if its start is in this batch. */
  startedAt: string | null;
  waiters: Waiter[];
}

/** The rows of one run waiting for the next flush. */
type RunBatch = Map<string, RowEntry>;

/**
 * Coalesces the executor's row transitions into one transaction per tick: at thousands of tests
 * per second, a transaction per row would cost more than the tests. Transitions of one row that
 * meet in a batch become one write (a test started and finished within a few milliseconds is
 * written once, pending → completed). Each call resolves with whether its row moved (false: the
 * run ended meanwhile, the result is discarded). Flushes are applied one at a time, in order, so a
 * transition handed in while an earlier one of its row is being written goes into the next flush
 * and finds the row moved. On SQLite the transactions run on a TransitionThread; on PostgreSQL the database does the
 * work elsewhere already, and they run here.
 */
export class TransitionWriter {
  private batches = new Map<string, RunBatch>();
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> | null = null;
  private readonly thread: TransitionThread | null;

  /**
   * `paceMs`: when given, writes are at least this far apart, and what is handed in meanwhile waits
   * for the next. For a caller that does not wait on each write (a worker's batches): otherwise,
   * with tests ending every millisecond, a new write started as soon as the last ended, each
   * carrying a handful of rows, and on PostgreSQL each one locks and rewrites the run's row (and
   * looks its rows up). Without it, the first transition waits a few milliseconds for others, and
   * what arrives during a write goes at once: the embedded executor waits on its writes.
   */
  constructor(
    private readonly store: Store,
    private readonly paceMs: number | null = null,
  ) {
    this.thread = store.sqlitePath ? new TransitionThread(store.db, store.sqlitePath) : null;
  }

  /**
   * → running, the test starting now: from `queued` (the distributed executor queues rows as it
   * sends their jobs), or from `pending` (the embedded executor takes a row as it starts it: the
   * row is handed over and started by the same write).
   */
  start(runId: string, resultId: string, from: 'pending' | 'queued'): Promise<boolean> {
    return this.moveTo(runId, resultId, 'running', isoNow(), from);
  }

  /** → completed | error, with the outcome of a test that finished now (from running, or with its start in this batch). */
  finish(runId: string, outcome: ResultOutcome): Promise<boolean> {
    const startedAt = this.batches.get(runId)?.get(outcome.resultId)?.startedAt ?? null;
    return this.moveTo(runId, outcome.resultId, encodeOutcome(outcome, { startedAt, completedAt: isoNow() }), null, 'running');
  }

  /** Writes what waits now instead of after the gathering delay: nothing more is coming soon (a run's last results). */
  expedite(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.flushWaiting();
  }

  /** Resolves when everything handed in so far is written. */
  async drain(): Promise<void> {
    while (this.flushing || this.batches.size > 0) {
      if (this.flushing) await this.flushing;
      else await this.flush();
    }
  }

  /** Drains, then stops the transition thread. */
  async close(): Promise<void> {
    await this.drain();
    await this.thread?.close();
  }

  /** `from`: the status the row has in the store now, unless its start is in this batch. */
  private moveTo(runId: string, resultId: string, to: RowEntry['to'], startedAt: string | null, from: LiveStatus): Promise<boolean> {
    return new Promise((resolve, reject) => {
      const batch = this.batchOf(runId);
      const entry = batch.get(resultId);
      if (!entry) batch.set(resultId, { from, to, startedAt, waiters: [{ resolve, reject }] });
      else if (entry.to === 'running') {
        // The finish of a row started in this batch: the one write takes it there.
        entry.to = to;
        entry.waiters.push({ resolve, reject });
      } else {
        // The row is already being finished in this batch: a second outcome is not recorded.
        resolve(false);
      }
      this.schedule();
    });
  }

  private batchOf(runId: string): RunBatch {
    let batch = this.batches.get(runId);
    if (!batch) {
      batch = new Map();
      this.batches.set(runId, batch);
    }
    return batch;
  }

  /** A short wait gathers the transitions of many tests into one transaction; a commit costs more than the rows it writes. */
  private schedule(): void {
    if (this.flushing || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.flushWaiting();
    }, this.paceMs ?? FLUSH_DELAY_MS);
  }

  /** Flushes what waits, unless a write is in flight: when it ends, it takes what waits then. */
  private flushWaiting(): void {
    if (!this.flushing && this.batches.size > 0) void this.flush();
  }

  private flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const batches = this.batches;
    this.batches = new Map();
    const work = this.write(batches).finally(() => {
      this.flushing = null;
      // What arrived during a write has waited long enough: it goes at once, in one transaction
      // (or, paced, after the pause).
      if (this.batches.size === 0) return;
      if (this.paceMs === null) setImmediate(() => this.flushWaiting());
      else this.schedule();
    });
    this.flushing = work;
    return work;
  }

  private async write(batches: Map<string, RunBatch>): Promise<void> {
    const flush: TransitionFlush = { now: isoNow(), runs: [...batches].map(([runId, batch]) => ({ runId, moves: rowMoves(batch) })) };
    let unmoved: UnmovedRows;
    try {
      unmoved = this.thread ? await this.thread.apply(flush) : await this.store.db.transaction().execute((trx) => applyFlush(trx, flush));
    } catch (error) {
      for (const batch of batches.values()) for (const entry of batch.values()) for (const waiter of entry.waiters) waiter.reject(error);
      return;
    }
    for (const run of unmoved) {
      const stayed = new Set(run.unmoved);
      for (const [resultId, entry] of batches.get(run.runId)!) for (const waiter of entry.waiters) waiter.resolve(!stayed.has(resultId));
    }
  }
}

/** A batch's rows grouped by the status they leave and the one they reach, for one statement each. */
function rowMoves(batch: RunBatch): RowMoves {
  const start = { pending: [] as [string, string][], queued: [] as [string, string][] };
  const finish = { pending: [] as EncodedOutcome[], queued: [] as EncodedOutcome[], running: [] as EncodedOutcome[] };
  for (const [resultId, { from, to, startedAt }] of batch) {
    if (to === 'running') start[from as 'pending' | 'queued'].push([resultId, startedAt!]);
    else finish[from].push(to);
  }
  return {
    start: (['pending', 'queued'] as const).map((from) => ({ from, rows: start[from] })).filter((group) => group.rows.length > 0),
    finish: LIVE_STATUSES.map((from) => ({ from, outcomes: finish[from] })).filter((group) => group.outcomes.length > 0),
  };
}
