import { isoNow } from '@verdict/core';
import type { Store } from '../store/database.js';
import { finishResults, queueResults, startResults, type ResultOutcome } from '../store/transitions/index.js';

const FLUSH_DELAY_MS = 5;

interface Waiter {
  resultId: string;
  resolve: (recorded: boolean) => void;
  reject: (error: unknown) => void;
}

interface RunBatch {
  queue: Waiter[];
  start: Waiter[];
  finish: { outcome: ResultOutcome; waiter: Waiter }[];
}

/**
 * Coalesces the executor's row transitions into one transaction per tick: at thousands of tests
 * per second, a transaction per row would cost more than the tests. Each call resolves with
 * whether its row moved (false: the run ended meanwhile, the result is discarded).
 */
export class TransitionWriter {
  private batches = new Map<string, RunBatch>();
  private scheduled = false;
  private flushing: Promise<void> | null = null;

  constructor(private readonly store: Store) {}

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
      this.batchOf(runId).finish.push({ outcome, waiter: { resultId: outcome.resultId, resolve, reject } });
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

  private enqueue(runId: string, kind: 'queue' | 'start', resultId: string): Promise<boolean> {
    return new Promise((resolve, reject) => {
      this.batchOf(runId)[kind].push({ resultId, resolve, reject });
      this.schedule();
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

  private schedule(): void {
    if (this.scheduled || this.flushing) return;
    this.scheduled = true;
    // A short wait gathers the transitions of many tests into one transaction; a commit costs
    // more than the rows it writes.
    setTimeout(() => {
      this.scheduled = false;
      void this.flush();
    }, FLUSH_DELAY_MS);
  }

  private flush(): Promise<void> {
    const batches = this.batches;
    this.batches = new Map();
    const work = this.write(batches).finally(() => {
      this.flushing = null;
      if (this.batches.size > 0) this.schedule();
    });
    this.flushing = work;
    return work;
  }

  private async write(batches: Map<string, RunBatch>): Promise<void> {
    const settled: { waiter: Waiter; moved: boolean }[] = [];
    try {
      await this.store.db.transaction().execute(async (trx) => {
        const now = isoNow();
        for (const [runId, batch] of batches) {
          const queued = new Set(await queueResults(trx, runId, batch.queue.map((w) => w.resultId)));
          for (const waiter of batch.queue) settled.push({ waiter, moved: queued.has(waiter.resultId) });
          const started = new Set(await startResults(trx, runId, batch.start.map((w) => w.resultId), now));
          for (const waiter of batch.start) settled.push({ waiter, moved: started.has(waiter.resultId) });
          const finished = new Set(await finishResults(trx, runId, batch.finish.map((f) => f.outcome), now));
          for (const { waiter } of batch.finish) settled.push({ waiter, moved: finished.has(waiter.resultId) });
        }
      });
    } catch (error) {
      for (const batch of batches.values()) {
        for (const waiter of [...batch.queue, ...batch.start, ...batch.finish.map((f) => f.waiter)]) waiter.reject(error);
      }
      return;
    }
    for (const { waiter, moved } of settled) waiter.resolve(moved);
  }
}
