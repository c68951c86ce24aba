import { setMaxListeners } from 'node:events';
import { isLive, isoNow, type AssertionSpec } from '@verdict/core';
import type { Store } from '../store/database.js';
import { fromJson } from '../store/database.js';
import { nextPendingRows } from '../store/results.js';
import { findRunToExecute, listLiveRunIds } from '../store/runs.js';
import { failRun, requeueResults, type ResultOutcome } from '../store/transitions/index.js';
import type { Executor, ExecutorStats } from './executor.js';
import { infrastructureFailure, type TestJob, type TestRunner } from './test-runner.js';
import { TransitionWriter } from './transition-writer.js';

export interface LocalExecutorOptions {
  /**
   * Tests executing at once (block executions in flight), shared fairly among organizations. An
   * organization below its fair share may start tests beyond it, up to twice it in all: tests
   * already executing cannot be stopped, and one organization's slow tests must not hold every slot.
   */
  concurrency: number;
  /** Attempts for a test whose execution failed for reasons other than the block (store, files). */
  maxAttempts?: number;
  /**
   * Results handed to the writer and not written yet, beyond which no test starts: when the store
   * stalls (a checkpoint of a long run's WAL, a slow disk), execution waits instead of piling
   * results up in memory (a 100,000-test run grew the heap by ~60 MB behind one checkpoint).
   */
  maxUnwrittenResults: number;
}

interface FetchedRow {
  id: string;
  test_id: string;
  block_id: string;
  source: string;
  assertion: string;
}

interface RunState {
  runId: string;
  /** Rows fetched and not started yet, as read: a row is parsed into its job when it starts. */
  jobs: FetchedRow[];
  /** What every row of the run shares. */
  run: { organizationId: string; workflowId: string; versionId: string } | null;
  /** Stops the run's tests: a test is only ever stopped because its run ended. */
  controller: AbortController;
  /**
   * Its work was stopped (`stopRun`). Per-test code reads this rather than the signal: every run
   * has a new signal, whose hidden class differs from the last run's (Node's event target changes
   * shape as it is used), and code optimised for one was deoptimised and compiled again each run.
   */
  ended: boolean;
  /** Tests of the run executing or being recorded. */
  inFlight: number;
  /** Tests of the run executing. */
  executing: number;
  /** Position of the last row fetched: the next fetch starts after it. */
  fetchedUpTo: number;
  /** No pending rows left in the store to fetch. */
  exhausted: boolean;
  fetching: boolean;
}

const INFRASTRUCTURE_RETRY_DELAY_MS = 200;
const SWEEP_INTERVAL_MS = 5000;

/**
 * The embedded executor: pulls pending rows of live runs from the store a batch at a time,
 * runs them with bounded concurrency, and records every transition through the TransitionWriter.
 * Organizations share the slots fairly (the next test is of the organization with the fewest
 * executing), and an organization's runs share its slots round-robin, so neither an organization
 * with many runs nor a large run starves another.
 */
export class LocalExecutor implements Executor {
  private readonly runs = new Map<string, RunState>();
  private readonly writer: TransitionWriter;
  private inFlight = 0;
  private readonly executingByOrganization = new Map<string, number>();
  /** Per organization, how many tests it has started: its runs take turns by this count. */
  private readonly startsByOrganization = new Map<string, number>();
  private unwritten = 0;
  private stopped = false;
  private readonly idleWaiters: (() => void)[] = [];
  private sweeper: NodeJS.Timeout | null = null;

  constructor(
    private readonly store: Store,
    private readonly runner: TestRunner,
    private readonly options: LocalExecutorOptions,
  ) {
    this.writer = new TransitionWriter(store);
  }

  /** Picks up runs left unfinished by a previous process, then keeps checking for strays. */
  async start(): Promise<void> {
    await this.adoptUntrackedRuns();
    this.sweeper = setInterval(() => void this.adoptUntrackedRuns().catch(() => undefined), SWEEP_INTERVAL_MS);
    this.sweeper.unref();
  }

  /**
   * Live runs in the store that this executor is not working on get their unfinished rows handed
   * back and are executed: no run stays non-terminal because a process died or lost track of it.
   * The embedded executor is the only one executing this store, so an untracked run is a stray.
   */
  private async adoptUntrackedRuns(): Promise<void> {
    if (this.stopped) return;
    for (const id of await listLiveRunIds(this.store.db)) {
      if (this.runs.has(id) || this.stopped) continue;
      await this.store.db.transaction().execute((trx) => requeueResults(trx, id));
      this.submitRun(id);
    }
  }

  submitRun(runId: string): void {
    if (this.stopped || this.runs.has(runId)) return;
    const controller = new AbortController();
    // Every executing test of the run listens to this signal.
    setMaxListeners(0, controller.signal);
    this.runs.set(runId, { runId, jobs: [], run: null, controller, ended: false, inFlight: 0, executing: 0, fetchedUpTo: -1, exhausted: false, fetching: false });
    this.pump();
  }

  stopRun(runId: string): void {
    const state = this.runs.get(runId);
    if (!state) return;
    this.runs.delete(runId);
    state.jobs = [];
    state.ended = true;
    // Nothing of the run starts from here on (it left `runs`), but its in-flight tests are told to
    // stop on the next turn of the event loop: the abort's listeners, one per in-flight test, and
    // the settling they cause would otherwise run before the cancel's answer is written.
    setImmediate(() => state.controller.abort(new DOMException('The test run was cancelled.', 'AbortError')));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.sweeper) clearInterval(this.sweeper);
    for (const runId of [...this.runs.keys()]) this.stopRun(runId);
    while (this.inFlight > 0) await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
    await this.writer.close();
  }

  stats(): ExecutorStats {
    let queued = 0;
    for (const state of this.runs.values()) queued += state.jobs.length;
    return { kind: 'local', concurrency: this.options.concurrency, inFlight: this.inFlight, queued };
  }

  private pump(): void {
    if (this.stopped) return;
    const waiting = this.runsWithJobsByOrganization();
    while (this.unwritten < this.options.maxUnwrittenResults) {
      const organizationId = this.organizationToServe(waiting);
      if (organizationId === undefined) break;
      const runs = waiting.get(organizationId)!;
      const starts = this.startsByOrganization.get(organizationId) ?? 0;
      this.startsByOrganization.set(organizationId, starts + 1);
      const state = runs[starts % runs.length]!;
      const row = state.jobs.shift()!;
      if (state.jobs.length === 0) runs.splice(runs.indexOf(state), 1);
      if (runs.length === 0) waiting.delete(organizationId);
      void this.execute(state, this.jobOf(state, row));
    }
    for (const state of this.runs.values()) if (state.jobs.length < this.fetchSize()) this.refill(state);
  }

  private runsWithJobsByOrganization(): Map<string, RunState[]> {
    const waiting = new Map<string, RunState[]>();
    for (const state of this.runs.values()) {
      if (state.jobs.length === 0) continue;
      const organizationId = state.run!.organizationId;
      const runs = waiting.get(organizationId);
      if (runs) runs.push(state);
      else waiting.set(organizationId, [state]);
    }
    return waiting;
  }

  /**
   * The waiting organization with the fewest tests executing, if it may start one: anyone may while
   * fewer than `concurrency` execute; beyond that, only an organization below its fair share.
   */
  private organizationToServe(waiting: Map<string, RunState[]>): string | undefined {
    let chosen: string | undefined;
    let fewest = Infinity;
    for (const organizationId of waiting.keys()) {
      const executing = this.executingByOrganization.get(organizationId) ?? 0;
      if (executing < fewest) {
        chosen = organizationId;
        fewest = executing;
      }
    }
    if (chosen === undefined || this.inFlight < this.options.concurrency) return chosen;
    let organizations = this.executingByOrganization.size;
    for (const organizationId of waiting.keys()) if (!this.executingByOrganization.has(organizationId)) organizations++;
    const share = Math.max(1, Math.floor(this.options.concurrency / organizations));
    return fewest < share && this.inFlight < 2 * this.options.concurrency ? chosen : undefined;
  }

  /** Fetches the next batch of pending rows of a run. */
  private refill(state: RunState): void {
    if (state.fetching || state.exhausted || this.stopped) return;
    state.fetching = true;
    void this.fetchJobs(state)
      .catch((error) => this.failRunSafely(state.runId, error))
      .finally(() => {
        state.fetching = false;
        this.forgetIfDone(state);
        this.pump();
      });
  }

  /** Rows fetched at a time; the next batch is fetched while fewer than this wait, so the slots never wait for a fetch. */
  private fetchSize(): number {
    return Math.max(64, this.options.concurrency * 4);
  }

  /**
   * Reads the next rows of the run ahead of the slots. They stay `pending` in the store until a
   * slot takes one: its test starts at once, and the row is handed over and started by one write
   * (with its result, if the test finishes before the next flush). A row another process moved
   * meanwhile (a cancel) is not started: the start reports it, and the run's work stops.
   */
  private async fetchJobs(state: RunState): Promise<void> {
    const batchSize = this.fetchSize();
    const run = await findRunToExecute(this.store.db, state.runId);
    if (!run || !isLive(run.status)) {
      this.runs.delete(state.runId);
      return;
    }
    const rows = await nextPendingRows(this.store.db, state.runId, state.fetchedUpTo, batchSize);
    if (rows.length < batchSize) state.exhausted = true;
    if (rows.length === 0 || !this.runs.has(state.runId)) return;
    state.fetchedUpTo = rows[rows.length - 1]!.position;
    state.run = { organizationId: run.organization_id, workflowId: run.workflow_id, versionId: run.version_id };
    state.jobs.push(...rows);
  }

  private jobOf(state: RunState, row: FetchedRow): TestJob {
    return {
      runId: state.runId,
      resultId: row.id,
      testId: row.test_id,
      ...state.run!,
      blockId: row.block_id,
      sourceJson: row.source,
      assertion: fromJson<AssertionSpec>(row.assertion)!,
      assertionJson: row.assertion,
    };
  }

  private async execute(state: RunState, job: TestJob): Promise<void> {
    this.inFlight++;
    this.countExecuting(job.organizationId, +1);
    state.inFlight++;
    state.executing++;
    const { runId } = job;
    let written: Promise<unknown> = Promise.resolve();
    try {
      ({ written } = await this.runAndHandIn(state, job));
    } catch (error) {
      if (!state.ended) this.failRunSafely(runId, error);
    } finally {
      // The slot serves the next test while this result is being written.
      this.inFlight--;
      this.countExecuting(job.organizationId, -1);
      state.executing--;
      this.unwritten++;
      this.pump();
      // The run's last results: nobody gains from waiting for more to write with them.
      if (state.executing === 0 && state.exhausted && state.jobs.length === 0) this.writer.expedite();
    }
    try {
      await written;
    } catch (error) {
      if (!state.ended) this.failRunSafely(runId, error);
    } finally {
      state.inFlight--;
      if (this.unwritten-- === this.options.maxUnwrittenResults) this.pump();
      this.forgetIfDone(state);
      if (this.inFlight === 0) for (const resolve of this.idleWaiters.splice(0)) resolve();
    }
  }

  /**
   * Executes a test and hands its result to the writer. The test, its outputs and its outcome are
   * not held while the write waits for its flush (they would outlive V8's young generation).
   */
  private async runAndHandIn(state: RunState, job: TestJob): Promise<{ written: Promise<unknown> }> {
    const { runId } = job;
    // The start is recorded while the test already executes: waiting for it would put a commit on
    // every test's critical path. A row that is not started means its run ended meanwhile: the
    // run's work stops, and this result is discarded.
    const started = this.writer.start(runId, job.resultId, 'pending');
    started.then((moved) => moved || this.stopRun(runId), () => undefined);
    const outcome = await this.runWithRetries(job, state);
    // Handed in at once: if the start has not been written yet, both go in one write.
    const finished = outcome && !state.ended ? this.writer.finish(runId, outcome) : null;
    return { written: Promise.all([started, finished]) };
  }

  private countExecuting(organizationId: string, change: 1 | -1): void {
    const executing = (this.executingByOrganization.get(organizationId) ?? 0) + change;
    if (executing > 0) this.executingByOrganization.set(organizationId, executing);
    else this.executingByOrganization.delete(organizationId);
  }

  private forgetIfDone(state: RunState): void {
    if (state.exhausted && !state.fetching && state.jobs.length === 0 && state.inFlight === 0) this.runs.delete(state.runId);
  }

  private async runWithRetries(job: TestJob, state: RunState): Promise<ResultOutcome | null> {
    const maxAttempts = this.options.maxAttempts ?? 3;
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.runner.run(job, state.controller.signal);
      } catch (error) {
        if (state.ended) return null;
        if (attempt >= maxAttempts) return infrastructureFailure(job, error, attempt);
        await new Promise((resolve) => setTimeout(resolve, INFRASTRUCTURE_RETRY_DELAY_MS * attempt));
      }
    }
  }

  private failRunSafely(runId: string, error: unknown): void {
    const message = error instanceof Error ? error.message : String(error);
    this.stopRun(runId);
    void this.store.db
      .transaction()
      .execute((trx) => failRun(trx, runId, `The run could not be executed: ${message}`, { message, error_code: 'run_failed' }, isoNow()))
      .catch(() => undefined);
  }
}
