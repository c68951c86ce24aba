/**
 * How runs get executed. The embedded in-process scheduler and the distributed queue implement
 * the same interface; the run service calls it after each state change it commits.
 */
export interface Executor {
  /** Recovers unfinished work (rows left queued/running by a previous process) and starts executing. */
  start(): Promise<void>;
  /** A run was created (or handed back): execute its pending rows. */
  submitRun(runId: string): void;
  /**
   * A run was cancelled (already committed): stop its in-flight work at once and drop its queued
   * work. Results that still arrive are discarded by the store's conditional updates.
   */
  stopRun(runId: string): void;
  /** Stops taking work; in-flight tests finish or are handed back. */
  stop(): Promise<void>;
  stats(): ExecutorStats;
}

export interface ExecutorStats {
  kind: 'local' | 'distributed';
  concurrency: number;
  inFlight: number;
  queued: number;
}
