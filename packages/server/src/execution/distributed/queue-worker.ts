import { isLive } from '@verdict/core';
import { DelayedError, WaitingError, Worker, type Job, type RateLimiterOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Store } from '../../store/database.js';
import type { ResultOutcome } from '../../store/transitions/index.js';
import { infrastructureFailure, type TestRunner } from '../test-runner.js';
import { TransitionWriter } from '../transition-writer.js';
import type { BlockExecutionJob } from '../workflow-run/block-execution-job.js';
import type { WorkflowRunEngine } from '../workflow-run/engine.js';
import { cancelChannel, decodeCancel, type CancelMessage } from './cancel-channel.js';
import type { ClusterHistograms } from './metrics.js';
import type { DistributedOptions } from './options.js';
import { BLOCK_EXECUTION_JOB, EXPERIMENT_RUN_JOB, MAX_ROW_ATTEMPTS, QUEUE_NAMES, WORKFLOW_RUN_JOB, type QueueName, type TestJobData, type TestQueues } from './queues.js';
import { RowLoader, takeOverRow, type DeliveredRow } from './rows.js';
import { TenantSlots } from './tenant-slots.js';
import { settleWithin } from './timing.js';

export type JobOutcome = 'recorded' | 'discarded' | 'skipped' | 'cancelled';

/** What a worker executes: test rows, whole workflow and experiment runs (null in a worker that is given none). */
export interface QueueWorkerEngines {
  tests: TestRunner;
  workflowRuns: WorkflowRunEngine | null;
  /** Executes and records a queued block execution (null in a worker that is given none). */
  blockExecutions: ((job: BlockExecutionJob, signal: AbortSignal) => Promise<void>) | null;
  /** Drives an experiment run to its end, resuming one another worker left (null in a worker that is given none). */
  experimentRuns: ((organizationId: string, runId: string, signal: AbortSignal) => Promise<void>) | null;
}

export interface QueueWorkerOptions extends DistributedOptions {
  /** Tests executing at once in this process, per queue. */
  concurrency: number;
}

const CANCELLED = 'The test run was cancelled.';
const HANDED_BACK = 'The worker is shutting down; the test goes back to the queue.';
const REMEMBERED_CANCELS = 10_000;
/**
 * The worker's writes are this far apart (results wait for the next): a batch's next test does
 * not wait for them (its job ends once they are written), and on PostgreSQL each transaction locks
 * and rewrites the run's row, which two workers' writes take turns on.
 */
const WRITE_PACE_MS = 20;
/** A job whose lock was lost this many times is given up by BullMQ; the executor's sweep queues it again. */
const MAX_STALLED_COUNT = 10;
const QUIT_TIMEOUT_MS = 2000;
/** While jobs are parked (their organization at its cap), how often the next jobs in the queue are looked at. */
const PEEK_INTERVAL_MS = 200;
/**
 * A parked job that gives its slot to another organization's job stays out of the queue this long,
 * so that the slot takes that job and not the same one again.
 */
const YIELD_DELAY_MS = 50;

interface RunningJob {
  runId: string;
  /** When the cancel of its run was published, once it was. */
  cancelSentAt: number | null;
}

/**
 * Executes tests from the shared queues in a `verdict worker` process (or a `serve` process with a
 * worker): each job is one result row, or a batch of a run's function-test rows executed one after
 * another in one slot, run through the same TestRunner and recorded through the same guarded
 * transitions as the embedded executor. A worker killed mid-test loses nothing: BullMQ
 * hands its jobs to another worker once their lock expires, and that worker takes the rows over.
 * Organizations share each queue's slots (TenantSlots), and the sandbox shares its threads. A
 * workflow run's job holds one slot while the worker drives the whole run (its steps execute at
 * once up to the engine's concurrency per run); a worker that takes over the job of a dead one
 * resumes the run from the steps it recorded.
 */
export class QueueWorker {
  private readonly writer: TransitionWriter;
  private readonly rows: RowLoader;
  private readonly running = new Map<string, RunningJob>();
  private readonly cancelledRuns = new Set<string>();
  private workers: Worker<TestJobData, JobOutcome>[] = [];
  private readonly slots: Record<QueueName, TenantSlots>;
  private peeker: NodeJS.Timeout | null = null;
  private subscriber: Redis | null = null;
  /** Set by stop: batches hand their rows not started yet back to the queue. */
  private stopping = false;

  constructor(
    private readonly store: Store,
    private readonly engines: QueueWorkerEngines,
    private readonly connection: Redis,
    private readonly queues: TestQueues,
    private readonly histograms: ClusterHistograms,
    private readonly options: QueueWorkerOptions,
    private readonly log: (message: string) => void,
  ) {
    this.writer = new TransitionWriter(store, WRITE_PACE_MS);
    this.rows = new RowLoader(store);
    this.slots = { tests: new TenantSlots(options.concurrency), 'model-tests': new TenantSlots(options.concurrency) };
  }

  get inFlight(): number {
    return this.running.size;
  }

  get concurrency(): number {
    return this.options.concurrency * QUEUE_NAMES.length;
  }

  async start(): Promise<void> {
    const subscriber = this.connection.duplicate();
    this.subscriber = subscriber;
    subscriber.on('error', () => undefined); // the same outage as the main connection's, reported there
    subscriber.on('message', (_channel: string, text: string) => {
      const message = decodeCancel(text);
      if (message) this.stopRun(message);
    });
    await subscriber.subscribe(cancelChannel(this.options.prefix));
    this.workers = QUEUE_NAMES.map((name) => this.createWorker(name));
    await Promise.all(this.workers.map((worker) => worker.waitUntilReady()));
    this.peeker = setInterval(() => void this.yieldParkedSlots(), PEEK_INTERVAL_MS);
    this.peeker.unref();
  }

  /**
   * Takes no more jobs; parked jobs go back to the queue at once, running tests get the drain
   * timeout to finish, then go back too.
   */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.peeker) clearInterval(this.peeker);
    const handBack = setTimeout(() => {
      for (const worker of this.workers) worker.cancelAllJobs(HANDED_BACK);
    }, this.options.drainTimeoutMs);
    try {
      const closing = Promise.all(this.workers.map((worker) => worker.close()));
      for (const name of QUEUE_NAMES) this.slots[name].yieldAll();
      await closing;
    } finally {
      clearTimeout(handBack);
    }
    await this.writer.close();
    if (this.subscriber?.status === 'ready') await settleWithin(this.subscriber.quit(), QUIT_TIMEOUT_MS);
    this.subscriber?.disconnect();
  }

  private createWorker(name: QueueName): Worker<TestJobData, JobOutcome> {
    const limiter = name === 'model-tests' ? rateLimiter(this.options.modelRateLimitPerSecond) : undefined;
    // Three declared parameters: BullMQ hands the processor an AbortSignal only then.
    const worker = new Worker<TestJobData, JobOutcome>(name, (job, token, signal) => this.process(name, job, token, signal!), {
      connection: this.connection,
      prefix: this.options.prefix,
      concurrency: this.options.concurrency,
      lockDuration: this.options.lockDurationMs,
      stalledInterval: this.options.stalledIntervalMs,
      maxStalledCount: MAX_STALLED_COUNT,
      ...(limiter ? { limiter } : {}),
    });
    worker.on('error', (error) => {
      if (this.connection.status === 'ready') this.log(`${name} worker: ${error.message}`);
    });
    return worker;
  }

  private async process(queue: QueueName, job: Job<TestJobData>, token: string | undefined, signal: AbortSignal): Promise<JobOutcome> {
    const jobId = job.id!;
    const entry: RunningJob = { runId: job.data.runId, cancelSentAt: null };
    if (this.cancelledRuns.has(entry.runId)) return 'skipped';
    this.running.set(jobId, entry);
    try {
      return await this.execute(queue, job, token, signal);
    } catch (error) {
      if (signal.reason === HANDED_BACK || error instanceof HandBack) {
        await job.moveToWait(token);
        throw new WaitingError();
      }
      if (signal.aborted) return 'cancelled';
      throw error;
    } finally {
      this.running.delete(jobId);
      if (entry.cancelSentAt !== null) this.histograms.observe('cancel_stop_seconds', (Date.now() - entry.cancelSentAt) / 1000);
    }
  }

  /**
   * Throws when the test was cancelled or handed back (the signal says which), for infrastructure
   * failures on all but the last attempt, which BullMQ then retries, and with a DelayedError when the
   * job gave its slot to another organization's (its rows untouched).
   */
  private async execute(queue: QueueName, job: Job<TestJobData>, token: string | undefined, signal: AbortSignal): Promise<JobOutcome> {
    if (job.name === BLOCK_EXECUTION_JOB) return this.inSlot(queue, job.data.organizationId ?? '', job, token, signal, () => this.executeBlockExecution(job.data.blockExecution!, signal));
    if (job.name === WORKFLOW_RUN_JOB) return this.inSlot(queue, job.data.organizationId ?? '', job, token, signal, () => this.driveWorkflowRun(job.data.runId, signal));
    if (job.name === EXPERIMENT_RUN_JOB) return this.inSlot(queue, job.data.organizationId ?? '', job, token, signal, () => this.driveExperimentRun(job.data.organizationId ?? '', job.data.runId, signal));
    const { runId } = job.data;
    const delivered = await this.rows.loadAll(job.data.resultIds ?? [job.data.resultId]);
    const rows = delivered.filter((row) => row.job.runId === runId && isLive(row.runStatus) && isLive(row.status));
    if (rows.length === 0) return 'skipped';
    return this.inSlot(queue, rows[0]!.job.organizationId, job, token, signal, () => this.executeRows(job, rows, signal));
  }

  /** Runs `work` in one of the organization's slots of the queue, or gives the slot to another organization's job. */
  private async inSlot(queue: QueueName, organizationId: string, job: Job<TestJobData>, token: string | undefined, signal: AbortSignal, work: () => Promise<JobOutcome>): Promise<JobOutcome> {
    const slots = this.slots[queue];
    if (!(await slots.acquire(organizationId, signal))) {
      signal.throwIfAborted();
      await job.moveToDelayed(Date.now() + YIELD_DELAY_MS, token);
      throw new DelayedError();
    }
    try {
      return await work();
    } finally {
      slots.release(organizationId);
    }
  }

  /**
   * Drives the run to its end (the engine records each step through the store's guarded
   * transitions, and resumes a run another worker left running). An abort — cancel or hand-back —
   * leaves the run as the store has it and throws, for `process` to say which.
   */
  private async driveWorkflowRun(runId: string, signal: AbortSignal): Promise<JobOutcome> {
    if (!this.engines.workflowRuns) throw new Error('this worker was given no workflow run engine');
    await this.engines.workflowRuns.execute(runId, signal);
    signal.throwIfAborted();
    return 'recorded';
  }

  /** As driveWorkflowRun: the executor records each document through the store's guarded transitions. */
  private async driveExperimentRun(organizationId: string, runId: string, signal: AbortSignal): Promise<JobOutcome> {
    if (!this.engines.experimentRuns) throw new Error('this worker was given no experiment executor');
    await this.engines.experimentRuns(organizationId, runId, signal);
    signal.throwIfAborted();
    return 'recorded';
  }

  private async executeBlockExecution(request: BlockExecutionJob, signal: AbortSignal): Promise<JobOutcome> {
    if (!this.engines.blockExecutions) throw new Error('this worker was given no block execution service');
    await this.engines.blockExecutions(request, signal);
    signal.throwIfAborted();
    return 'recorded';
  }

  /**
   * The job's rows one after another in its slot. A test's result goes to the writer as the test
   * ends and the next test starts at once; the job ends once every result is written, so a worker
   * that dies first loses none: the job is delivered again, and its rows not finished run then (a
   * row left running is taken over). A cancel aborts the test running (the cancel ended the rest in
   * the store); a worker that is stopping hands the rest back between two tests.
   */
  private async executeRows(job: Job<TestJobData>, rows: DeliveredRow[], signal: AbortSignal): Promise<JobOutcome> {
    const records: Promise<JobOutcome>[] = [];
    try {
      for (const row of rows) {
        signal.throwIfAborted();
        if (this.stopping && records.length > 0) throw new HandBack();
        records.push((await this.executeRow(job, row, signal)).record);
      }
    } finally {
      // A cancelled batch frees its slot at once: its run ended, so the writes it still owes are discarded anyway.
      if (signal.reason === CANCELLED) for (const record of records) record.catch(() => undefined);
      else await Promise.allSettled(records);
    }
    const outcomes = await Promise.all(records);
    return outcomes.includes('recorded') ? 'recorded' : outcomes.includes('discarded') ? 'discarded' : 'skipped';
  }

  /** Resolves when the row's test ended, with the writing of its result (the caller need not wait for it to start the next). */
  private async executeRow(job: Job<TestJobData>, row: DeliveredRow, signal: AbortSignal): Promise<{ record: Promise<JobOutcome> }> {
    if (row.status === 'running' && row.attempts >= MAX_ROW_ATTEMPTS) return { record: this.giveUp(row) };
    const { runId, resultId } = row.job;
    const takenOver = row.status === 'running';
    // The start is recorded while the test already executes, as in the embedded executor: waiting
    // for it would put a commit on every test's critical path. A row that cannot be started (its
    // run ended) has its execution stopped and nothing recorded.
    const runEnded = new AbortController();
    const started = takenOver ? takeOverRow(this.store, runId, resultId) : this.writer.start(runId, resultId, 'queued');
    started.then((moved) => moved || runEnded.abort(new DOMException('The test run ended.', 'AbortError')), () => undefined);
    let outcome: ResultOutcome;
    const began = performance.now();
    try {
      outcome = await this.engines.tests.run(row.job, AbortSignal.any([signal, runEnded.signal]));
      this.histograms.observe('execution_seconds', (performance.now() - began) / 1000);
    } catch (error) {
      if (runEnded.signal.aborted) return { record: Promise.resolve('skipped') };
      if (signal.aborted || !isLastAttempt(job)) throw error;
      outcome = infrastructureFailure(row.job, error, job.attemptsMade + 1);
    }
    return { record: this.record(runId, outcome, started, takenOver) };
  }

  /**
   * The writer applies a row's moves in the order they are handed in, so the finish of a row it
   * starts goes in at once (often into the same write as the start); a take-over is a transaction
   * of its own, which the finish must follow.
   */
  private async record(runId: string, outcome: ResultOutcome, started: Promise<boolean>, takenOver: boolean): Promise<JobOutcome> {
    const finished = takenOver ? null : this.writer.finish(runId, outcome);
    if (!(await started)) {
      await finished?.catch(() => undefined);
      return 'skipped';
    }
    return (await (finished ?? this.writer.finish(runId, outcome))) ? 'recorded' : 'discarded';
  }

  /** For each queue with parked jobs: the next jobs in it that could execute here take their slots. */
  private async yieldParkedSlots(): Promise<void> {
    for (const name of QUEUE_NAMES) {
      const slots = this.slots[name];
      if (slots.parked === 0 || this.connection.status !== 'ready') continue;
      try {
        slots.yieldTo(await this.queues.nextOrganizations(name, slots.parked));
      } catch (error) {
        this.log(`${name} worker: looking at the next jobs: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  }

  /**
   * A row started MAX_ROW_ATTEMPTS times without a result: its worker died or failed each time
   * (a crash, a lost lock). Running it again could only repeat that, so it gets its verdict now.
   */
  private async giveUp(row: DeliveredRow): Promise<JobOutcome> {
    const cause = new Error('each attempt ended without a result (its worker stopped, lost the job, or failed to record it)');
    this.log(`result ${row.job.resultId} of run ${row.job.runId} was started ${row.attempts} times without a result; it is recorded as an error`);
    return (await this.writer.finish(row.job.runId, infrastructureFailure(row.job, cause, row.attempts))) ? 'recorded' : 'discarded';
  }

  private stopRun({ runId, sentAt }: CancelMessage): void {
    this.cancelledRuns.add(runId);
    if (this.cancelledRuns.size > REMEMBERED_CANCELS) this.cancelledRuns.delete(this.cancelledRuns.values().next().value!);
    for (const [jobId, entry] of this.running) {
      if (entry.runId !== runId) continue;
      entry.cancelSentAt ??= sentAt;
      for (const worker of this.workers) worker.cancelJob(jobId, CANCELLED);
      this.histograms.observe('cancel_latency_seconds', (Date.now() - sentAt) / 1000);
    }
  }
}

/** A batch's rows not started yet go back to the queue with their job (the worker is stopping). */
class HandBack extends Error {}

function isLastAttempt(job: Job): boolean {
  return job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
}

/** BullMQ's limiter counts whole jobs per window: a rate that is not a whole number becomes evenly spaced starts. */
export function rateLimiter(perSecond: number | null): RateLimiterOptions | undefined {
  if (perSecond === null) return undefined;
  return Number.isInteger(perSecond) ? { max: perSecond, duration: 1000 } : { max: 1, duration: Math.max(1, Math.round(1000 / perSecond)) };
}
