import { isoNow } from '@verdict/core';
import type { Store } from '../store/database.js';
import { applyFlush, encodeOutcome, type EncodedOutcome, type FlushMoves, type ResultOutcome, type TransitionFlush } from '../store/transitions/index.js';
import { TransitionThread } from './transition-thread.js';

const FLUSH_DELAY_MS = 5;

interface Waiter {
  resultId: string;
  resolve: (recorded: boolean) => void;
  reject: (error: unknown) => void;
}

interface RunBatch {
  queue: Waiter[];
  start: Waiter[];
  finish: { outcome: EncodedOutcome; waiter: Waiter }[];
}

/**
 * Coalesces the executor's row transitions into one transaction per tick: at thousands of tests
 * per second, a transaction per row would cost more than the tests. Each call resolves with
 * whether its row moved (false: the run ended meanwhile, the result is discarded). On SQLite the
 * transactions run on a TransitionThread; on PostgreSQL the database does the work elsewhere
 * already, and they run here.
 */
export class TransitionWriter {
  private batches = new Map<string, RunBatch>();
  private scheduled: 'soon' | 'now' | null = null;
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | null = null;
  private readonly thread: TransitionThread | null;

  constructor(private readonly store: Store) {
    this.thread = store.sqlitePath ? new TransitionThread(store.db, store.sqlitePath) : null;
  }

  queue(runId: string, resultIds: string[]): Promise<Set<string>> {
    return Promise.all(resultIds.map((resultId) => this.enqueue(runId, 'queue', resultId))).then(
      (moved) => new Set(resultIds.filter((_, index) => moved[index])),
    );
  }

  start(runId: string, resultId: string): Promise<boolean> {
    return this.enqueue(runId, 'start', resultId);
  }

  finish(runId: string, outcome: ResultOutcome): Promise<boolean> {
    return new Promise((resolve, reject) => {
      this.batchOf(runId).finish.push({ outcome: encodeOutcome(outcome), waiter: { resultId: outcome.resultId, resolve, reject } });
      this.schedule();
    });
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

  private enqueue(runId: string, kind: 'queue' | 'start', resultId: string): Promise<boolean> {
    return new Promise((resolve, reject) => {
      this.batchOf(runId)[kind].push({ resultId, resolve, reject });
      this.schedule(kind === 'queue');
    });
  }

  private batchOf(runId: string): RunBatch {
    let batch = this.batches.get(runId);
    if (!batch) {
      batch = { queue: [], start: [], finish: [] };
      this.batches.set(runId, batch);
    }
    return batch;
  }

  /**
   * A short wait gathers the transitions of many tests into one transaction; a commit costs more
   * than the rows it writes. Rows being queued do not wait: the executor has nothing to run until
   * they are (at the start of every run, that wait was the first test's).
   */
  private schedule(urgent = false): void {
    if (this.flushing || this.scheduled === 'now' || (this.scheduled && !urgent)) return;
    clearTimeout(this.timer);
    this.scheduled = urgent ? 'now' : 'soon';
    this.timer = setTimeout(
      () => {
        this.scheduled = null;
        this.flushWaiting();
      },
      urgent ? 0 : FLUSH_DELAY_MS,
    );
  }

  /** Flushes what waits, unless a write is in flight: when it ends, it takes what waits then. */
  private flushWaiting(): void {
    if (!this.flushing && this.batches.size > 0) void this.flush();
  }

  private flush(): Promise<void> {
    const batches = this.batches;
    this.batches = new Map();
    const work = this.write(batches).finally(() => {
      this.flushing = null;
      // What arrived during a write has waited long enough: it goes at once, in one transaction.
      if (this.batches.size > 0) setImmediate(() => this.flushWaiting());
    });
    this.flushing = work;
    return work;
  }

  private async write(batches: Map<string, RunBatch>): Promise<void> {
    const flush: TransitionFlush = {
      now: isoNow(),
      runs: [...batches].map(([runId, batch]) => ({
        runId,
        queue: batch.queue.map((waiter) => waiter.resultId),
        start: batch.start.map((waiter) => waiter.resultId),
        finish: batch.finish.map((finish) => finish.outcome),
      })),
    };
    let moves: FlushMoves;
    try {
      moves = this.thread ? await this.thread.apply(flush) : await this.store.db.transaction().execute((trx) => applyFlush(trx, flush));
    } catch (error) {
      for (const batch of batches.values()) {
        for (const waiter of [...batch.queue, ...batch.start, ...batch.finish.map((f) => f.waiter)]) waiter.reject(error);
      }
      return;
    }
    for (const { runId, queued, started, finished } of moves) {
      const batch = batches.get(runId)!;
      settle(batch.queue, new Set(queued));
      settle(batch.start, new Set(started));
      settle(batch.finish.map((f) => f.waiter), new Set(finished));
    }
  }
}

function settle(waiters: Waiter[], moved: Set<string>): void {
  for (const waiter of waiters) waiter.resolve(moved.has(waiter.resultId));
}
