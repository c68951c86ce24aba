import { isLive, type AssertionSpec } from '@verdict/core';
import { Redis } from 'ioredis';
import type { Store } from '../../store/database.js';
import { fromJson } from '../../store/database.js';
import { cancelledUnstartedRows, firstPendingRows, queuedOrRunningRows, type QueueableRow } from '../../store/results.js';
import { countQueuedRowsOfOrganization, findRunOrganization, findRunQueueState, listLiveRunCounts } from '../../store/runs.js';
import { queueResults } from '../../store/transitions/index.js';
import { countPendingWorkflowRunsOfOrganization, findLiveWorkflowRunOrganization, listLiveWorkflowRuns } from '../../store/workflow-runs/reads.js';
import type { Executor, ExecutorStats } from '../executor.js';
import type { TestRunner } from '../test-runner.js';
import type { WorkflowRunDispatch, WorkflowRunEngine } from '../workflow-run/engine.js';
import { cancelChannel, encodeCancel } from './cancel-channel.js';
import { RedisLease } from './lease.js';
import { ClusterHistograms, type HistogramName, type HistogramSnapshot } from './metrics.js';
import type { DistributedOptions } from './options.js';
import { createError } from '../../errors/index.js';
import type { BlockExecutionDispatch, BlockExecutionJob } from '../workflow-run/block-execution-job.js';
import { BlockExecutionWaiter } from './block-execution-waiter.js';
import { QueueWorker, type QueueWorkerEngines } from './queue-worker.js';
import { listLiveExperimentRunsAfter } from '../../store/experiments.js';
import type { ExperimentRunDispatch } from '../experiment-executor.js';
import { backlogPriority, batchSize, EXPERIMENT_RUN_JOB, queueFor, TestQueues, WORKFLOW_RUN_JOB, WORKFLOW_RUN_QUEUE, type QueueDepth, type QueuedRow, type QueueName } from './queues.js';
import { delay, settleWithin, withTimeout } from './timing.js';

export interface DistributedExecutorTuning {
  /** How often the process paging a run checks whether its window in the queue has room. */
  pollIntervalMs: number;
  /** How often live runs are checked for rows nobody pages and jobs that went missing. */
  sweepIntervalMs: number;
  /** A live run that made no progress for this long has its rows' jobs checked. */
  stallAfterMs: number;
  /** Tests a worker process executes at once per queue, as far as this process knows (its own setting): batches are sized by it. */
  slotsPerWorker: number;
}

const DEFAULT_TUNING: DistributedExecutorTuning = { pollIntervalMs: 100, sweepIntervalMs: 5000, stallAfterMs: 15_000, slotsPerWorker: 32 };
/** How long the count of worker processes is trusted before it is asked again (it sizes batches). */
const WORKER_COUNT_TTL_MS = 5000;
const PAGE_SIZE = 500;
const LEASE_TTL_MS = 15_000;
const READY_TIMEOUT_MS = 1000;
const ENQUEUE_TIMEOUT_MS = 5000;
const STOP_GRACE_MS = 2000;

/** What /readyz and /metrics learn from an executor that has more to tell than its stats. */
export interface ObservableExecutor {
  checkReady(): Promise<void>;
  queueDepth(): Promise<QueueDepth[]>;
  histogram(name: HistogramName): Promise<HistogramSnapshot>;
}

export function isObservableExecutor(executor: Executor): executor is Executor & ObservableExecutor {
  return 'checkReady' in executor && 'queueDepth' in executor && 'histogram' in executor;
}

interface RunProgress {
  counts: string;
  since: number;
}

/**
 * The executor of a scaled-out deployment (VERDICT_REDIS_URL). API processes page each run's
 * pending rows into BullMQ a window at a time (one process per run, under a Redis lease) and
 * broadcast cancels; `verdict worker` processes execute the jobs with a QueueWorker and sweep for
 * runs whose paging process died. Every state change goes through the store's guarded transitions.
 * Workflow runs take the same way (`workflowRuns`): one job per run, driven by the worker that
 * holds it, taken over (and resumed from its recorded steps) when that worker dies.
 */
export class DistributedExecutor implements Executor, ObservableExecutor {
  private readonly redis: Redis;
  private readonly queues: TestQueues;
  private readonly histograms: ClusterHistograms;
  private readonly worker: QueueWorker | null;
  private readonly runnerReady: () => Promise<void>;
  private readonly tuning: DistributedExecutorTuning;
  private readonly pagers = new Map<string, Promise<void>>();
  private readonly progress = new Map<string, RunProgress>();
  private sweeper: NodeJS.Timeout | null = null;
  private sweeping: Promise<void> | null = null;
  private stopped = false;
  private lastQueued = 0;
  private workerCount = { value: 1, at: -Infinity };
  /** The last live workflow run the previous sweep looked at (runs are swept a page at a time). */
  private workflowRunSweepCursor = '';
  /** The same for live experiment runs. */
  private experimentRunSweepCursor = '';
  /** What the workflow run service calls in a distributed deployment: runs execute on the workers. */
  readonly workflowRuns: WorkflowRunDispatch = {
    viaRedis: true,
    start: () => Promise.resolve(),
    submit: (runId, organizationId) => this.submitWorkflowRun(runId, organizationId),
    stop: (runId) => this.stopWorkflowRun(runId),
  };

  /** What the experiment service calls in a distributed deployment: experiment runs execute on the workers, as workflow runs do. */
  readonly experimentRuns: ExperimentRunDispatch = {
    start: () => Promise.resolve(),
    submitRun: (organizationId, runId) => this.submitExperimentRun(organizationId, runId),
    stopRun: (runId) => this.stopExperimentRun(runId),
  };

  /** What the block execution service calls in a distributed deployment: a worker executes, this process waits. */
  readonly blockExecutions: BlockExecutionDispatch = {
    execute: (job) => this.executeBlockOnWorker(job),
  };
  private readonly blockExecutionWaiter: BlockExecutionWaiter;

  constructor(
    private readonly store: Store,
    private readonly options: DistributedOptions,
    worker: {
      runner: TestRunner;
      concurrency: number;
      workflowRuns?: WorkflowRunEngine;
      blockExecutions?: QueueWorkerEngines['blockExecutions'];
      experimentRuns?: QueueWorkerEngines['experimentRuns'];
    } | null,
    tuning: Partial<DistributedExecutorTuning> = {},
    private readonly log: (message: string) => void = (message) => console.error(`verdict executor: ${message}`),
  ) {
    this.tuning = { ...DEFAULT_TUNING, ...tuning };
    this.redis = new Redis(options.redisUrl, { maxRetriesPerRequest: null });
    logConnectionErrors(this.redis, this.log);
    this.queues = new TestQueues(this.redis, options.prefix);
    this.histograms = new ClusterHistograms(this.redis, options.prefix);
    this.runnerReady = async () => worker?.runner.ready();
    this.blockExecutionWaiter = new BlockExecutionWaiter(this.redis, this.queues, options.prefix, options.blockExecutionPickupMs);
    this.worker = worker && new QueueWorker(store, { tests: worker.runner, workflowRuns: worker.workflowRuns ?? null, blockExecutions: worker.blockExecutions ?? null, experimentRuns: worker.experimentRuns ?? null }, this.redis, this.queues, this.histograms, { ...options, concurrency: worker.concurrency }, this.log);
  }

  /**
   * Starts the worker (if this process executes tests: it waits for Redis) and the sweep for runs
   * nobody pages, which never holds up the start.
   */
  async start(): Promise<void> {
    await this.runnerReady();
    await this.worker?.start();
    this.histograms.startFlushing();
    void this.sweep();
    this.sweeper = setInterval(() => void this.sweep(), this.tuning.sweepIntervalMs);
    this.sweeper.unref();
  }

  submitRun(runId: string): void {
    if (this.stopped || this.pagers.has(runId)) return;
    const pager = this.page(runId)
      .catch((error: unknown) => this.log(`paging run ${runId}: ${messageOf(error)}`))
      .finally(() => this.pagers.delete(runId));
    this.pagers.set(runId, pager);
  }

  /** The cancel is committed: every worker aborts the run's tests, and its waiting jobs leave the queue. */
  stopRun(runId: string): void {
    this.redis.publish(cancelChannel(this.options.prefix), encodeCancel(runId)).catch((error: unknown) => this.log(`cancel of ${runId}: ${messageOf(error)}`));
    this.removeWaitingJobs(runId).catch((error: unknown) => this.log(`removing the jobs of ${runId}: ${messageOf(error)}`));
  }

  /** Queues the run's job (its id the run's: queued twice, it is one job), behind the rows and runs its organization has waiting. */
  submitWorkflowRun(runId: string, organizationId?: string): void {
    if (this.stopped) return;
    this.enqueueWorkflowRun(runId, organizationId).catch((error: unknown) => this.log(`queueing workflow run ${runId}: ${messageOf(error)}`));
  }

  /** The cancel is committed: the worker driving the run aborts it (the same broadcast as test runs), or its job leaves the queue. */
  stopWorkflowRun(runId: string): void {
    this.redis.publish(cancelChannel(this.options.prefix), encodeCancel(runId)).catch((error: unknown) => this.log(`cancel of ${runId}: ${messageOf(error)}`));
    this.queues.remove([{ queue: WORKFLOW_RUN_QUEUE, resultId: runId }]).catch((error: unknown) => this.log(`removing the job of ${runId}: ${messageOf(error)}`));
  }

  /** Queues the experiment run's job (its id the run's), behind what its organization has waiting. */
  submitExperimentRun(organizationId: string, runId: string): void {
    if (this.stopped) return;
    this.enqueueRunJob(experimentRunJob, runId, organizationId).catch((error: unknown) => this.log(`queueing experiment run ${runId}: ${messageOf(error)}`));
  }

  /** The cancel is committed: the worker driving the run aborts its model calls (the same broadcast), or its job leaves the queue. */
  stopExperimentRun(runId: string): void {
    this.redis.publish(cancelChannel(this.options.prefix), encodeCancel(runId)).catch((error: unknown) => this.log(`cancel of ${runId}: ${messageOf(error)}`));
    this.queues.remove([{ queue: WORKFLOW_RUN_QUEUE, resultId: runId }]).catch((error: unknown) => this.log(`removing the job of ${runId}: ${messageOf(error)}`));
  }

  private async enqueueWorkflowRun(runId: string, knownOrganizationId?: string): Promise<void> {
    const organizationId = knownOrganizationId ?? (await findLiveWorkflowRunOrganization(this.store.db, runId));
    if (organizationId !== undefined) await this.enqueueRunJob(workflowRunJob, runId, organizationId);
  }

  /** A whole run's job (its id the run's: queued twice, it is one job), behind what its organization has waiting. */
  private async enqueueRunJob(jobOf: RunJobOf, runId: string, organizationId: string): Promise<void> {
    const job = jobOf(runId, organizationId, await this.priorityOf(organizationId));
    await withTimeout(this.queues.add([job]), ENQUEUE_TIMEOUT_MS, `Redis did not take the job within ${ENQUEUE_TIMEOUT_MS} ms`);
  }

  /** Queued behind what its organization has waiting, as a workflow run is, and held in one of its slots on the worker. */
  private async executeBlockOnWorker(job: BlockExecutionJob): Promise<void> {
    if (this.stopped) throw createError('workers_unavailable', 'this process is shutting down');
    await this.blockExecutionWaiter.execute(job, await this.priorityOf(job.organizationId));
  }

  /** A new job's place in line: behind the rows and workflow runs its organization has waiting (backlogPriority). */
  private async priorityOf(organizationId: string): Promise<number> {
    const waiting = (await countQueuedRowsOfOrganization(this.store.db, organizationId)) + (await countPendingWorkflowRunsOfOrganization(this.store.db, organizationId));
    return backlogPriority(waiting);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.sweeper) clearInterval(this.sweeper);
    // Commands wait for an unreachable Redis forever (some of BullMQ's even after a disconnect):
    // paging and sweeping get a moment to settle, then whatever Redis still owes is given up.
    const reachable = this.redis.status === 'ready';
    if (!reachable) this.redis.disconnect();
    await settleWithin(Promise.all([this.sweeping, ...this.pagers.values()]), STOP_GRACE_MS);
    await this.worker?.stop();
    await this.blockExecutionWaiter.close();
    await this.histograms.stop().catch(() => undefined);
    await this.queues.close();
    if (reachable) await settleWithin(this.redis.quit(), STOP_GRACE_MS);
    this.redis.disconnect();
  }

  stats(): ExecutorStats {
    return { kind: 'distributed', concurrency: this.worker?.concurrency ?? 0, inFlight: this.worker?.inFlight ?? 0, queued: this.lastQueued };
  }

  async checkReady(): Promise<void> {
    if (this.redis.status !== 'ready') throw new Error(`the connection to Redis is ${this.redis.status}`);
    await withTimeout(this.redis.ping(), READY_TIMEOUT_MS, `Redis did not answer within ${READY_TIMEOUT_MS} ms`);
  }

  async queueDepth(): Promise<QueueDepth[]> {
    const depth = await this.queues.depth();
    this.lastQueued = depth.filter((entry) => entry.state !== 'active').reduce((sum, entry) => sum + entry.count, 0);
    return depth;
  }

  histogram(name: HistogramName): Promise<HistogramSnapshot> {
    return this.histograms.read(name);
  }

  /**
   * Keeps between half a window and a window of the run's rows in the queue until none is pending,
   * so a 100,000-test run never sits in memory or in Redis at once and runs side by side share the
   * workers. Another process already paging the run holds its lease: then this one does nothing.
   */
  private async page(runId: string): Promise<void> {
    const lease = await RedisLease.acquire(this.redis, this.leaseKey(runId), LEASE_TTL_MS);
    if (!lease) return;
    try {
      let renewedAt = Date.now();
      while (!this.stopped) {
        const run = await findRunQueueState(this.store.db, runId);
        if (!run || !isLive(run.status) || run.n_pending === 0) return;
        const room = this.options.windowPerRun - run.n_queued;
        const moved = run.n_queued < this.options.windowPerRun / 2 ? await this.enqueuePage(runId, run.organization_id, Math.min(room, PAGE_SIZE), run.n_pending) : 0;
        if (moved === 0) await delay(this.tuning.pollIntervalMs);
        if (Date.now() - renewedAt > LEASE_TTL_MS / 3) {
          if (!(await lease.renew())) return;
          renewedAt = Date.now();
        }
      }
    } finally {
      await lease.release().catch(() => undefined);
    }
  }

  /**
   * pending → queued for the next rows of the run, and their jobs added, in one transaction: the
   * jobs are added before the rows commit, so a worker that gets one first waits on the run's lock
   * (queueResults holds it) and then finds the row queued. If the process dies in between, or Redis
   * does not answer in time (the lock must not be held for long), the rows stay pending and are
   * paged again; a job whose row is still pending is skipped by its worker. The jobs take their
   * places in line behind the rows their organization has queued already (backlogPriority).
   * Function tests go in batches of consecutive rows, one job each (batchSize, by the `pending`
   * rows left and the workers' slots).
   */
  private async enqueuePage(runId: string, organizationId: string, limit: number, pending: number): Promise<number> {
    const slots = (await this.countWorkers()) * this.tuning.slotsPerWorker;
    return this.store.db.transaction().execute(async (trx) => {
      const queuedBefore = await countQueuedRowsOfOrganization(trx, organizationId);
      const rows = await firstPendingRows(trx, runId, limit);
      const moved = new Set(await queueResults(trx, runId, rows.map((row) => row.id)));
      const jobs = batchedJobs(
        rows.filter((row) => moved.has(row.id)).map((row, index) => queuedRow(runId, organizationId, row, queuedBefore + index)),
        (queue) => batchSize(queue, pending, slots),
      );
      await withTimeout(this.queues.add(jobs), ENQUEUE_TIMEOUT_MS, `Redis did not take the jobs within ${ENQUEUE_TIMEOUT_MS} ms`);
      return moved.size;
    });
  }

  /** Worker processes taking jobs now (at least one: a run queued before any started waits for the first). */
  private async countWorkers(): Promise<number> {
    if (Date.now() - this.workerCount.at < WORKER_COUNT_TTL_MS) return this.workerCount.value;
    // CLIENT LIST, which BullMQ counts with, may be refused by a managed Redis: then one is assumed.
    const value = await this.queues.workers('tests').catch(() => 1);
    this.workerCount = { value: Math.max(1, value), at: Date.now() };
    return this.workerCount.value;
  }

  /**
   * Rows are paged in position order, so the jobs still waiting are those of the first
   * never-started rows — at most a window of them; jobs already running are left to the cancel.
   */
  private async removeWaitingJobs(runId: string): Promise<void> {
    const rows = await cancelledUnstartedRows(this.store.db, runId, this.options.windowPerRun);
    await this.queues.remove(rows.map((row) => ({ resultId: row.id, queue: queueOf(row) })));
  }

  private sweep(): Promise<void> {
    this.sweeping ??= this.sweepLiveRuns()
      .catch((error: unknown) => this.log(`sweep: ${messageOf(error)}`))
      .finally(() => {
        this.sweeping = null;
      });
    return this.sweeping;
  }

  /**
   * Runs with pending rows get paged (by this process if no other holds their lease: the API
   * process that created them may have died). A run that stopped moving has its queued and
   * running rows checked for jobs that went missing from Redis, which are added again.
   */
  private async sweepLiveRuns(): Promise<void> {
    if (this.stopped) return;
    const live = await listLiveRunCounts(this.store.db);
    const now = Date.now();
    const liveIds = new Set(live.map((run) => run.id));
    for (const id of this.progress.keys()) if (!liveIds.has(id)) this.progress.delete(id);
    for (const run of live) {
      if (this.stopped) return;
      if (run.n_pending > 0) {
        this.submitRun(run.id);
        continue;
      }
      const counts = `${run.n_queued}/${run.n_running}/${run.n_completed}/${run.n_error}`;
      const seen = this.progress.get(run.id);
      if (!seen || seen.counts !== counts) this.progress.set(run.id, { counts, since: now });
      else if (now - seen.since >= this.tuning.stallAfterMs) {
        seen.since = now;
        await this.requeueMissingJobs(run.id);
      }
    }
    await this.requeueMissingWorkflowRuns();
    await this.requeueMissingExperimentRuns();
    if (this.redis.status === 'ready') await this.queueDepth();
  }

  /**
   * A live workflow run without a job (the API process died before queueing it, Redis lost it, its
   * job failed for good) is queued again. A run whose worker died keeps its job, held until the
   * job's lock expires, and BullMQ hands it to another worker, which resumes it.
   */
  private async requeueMissingWorkflowRuns(): Promise<void> {
    this.workflowRunSweepCursor = await this.requeueMissingRunJobs('workflow run', (afterId) => listLiveWorkflowRuns(this.store.db, afterId, PAGE_SIZE), this.workflowRunSweepCursor, workflowRunJob);
  }

  /** The same for experiment runs. */
  private async requeueMissingExperimentRuns(): Promise<void> {
    this.experimentRunSweepCursor = await this.requeueMissingRunJobs('experiment run', (afterId) => listLiveExperimentRunsAfter(this.store.db, afterId, PAGE_SIZE), this.experimentRunSweepCursor, experimentRunJob);
  }

  /** Queues again the live runs of one page (after `cursor`) that have no job; answers the next page's cursor. */
  private async requeueMissingRunJobs(noun: string, listLive: (afterId: string) => Promise<{ id: string; organization_id: string }[]>, cursor: string, jobOf: RunJobOf): Promise<string> {
    const live = await listLive(cursor);
    // A page per sweep, so that ten thousand waiting runs cost Redis a page of lookups at a time.
    const next = live.length < PAGE_SIZE ? '' : live.at(-1)!.id;
    if (live.length === 0 || this.stopped) return next;
    const missing = await this.queues.missing(live.map((run) => jobOf(run.id, run.organization_id, 1)));
    for (const job of missing) {
      if (this.stopped) return next;
      this.log(`${noun} ${job.runId} had no job; it is queued again`);
      await this.enqueueRunJob(jobOf, job.runId, job.organizationId);
    }
    return next;
  }

  private async requeueMissingJobs(runId: string): Promise<void> {
    const lease = await RedisLease.acquire(this.redis, this.leaseKey(runId), LEASE_TTL_MS);
    if (!lease) return;
    try {
      const organizationId = await findRunOrganization(this.store.db, runId);
      if (organizationId === undefined) return;
      const queuedBefore = await countQueuedRowsOfOrganization(this.store.db, organizationId);
      const rows = await queuedOrRunningRows(this.store.db, runId, this.options.windowPerRun * 2);
      const missing = await this.queues.unjobbed(rows.map((row, index) => queuedRow(runId, organizationId, row, queuedBefore + index)));
      if (missing.length === 0) return;
      this.log(`run ${runId} had ${missing.length} rows without a job; they are queued again`);
      await this.queues.add(missing);
    } finally {
      await lease.release().catch(() => undefined);
    }
  }

  private leaseKey(runId: string): string {
    return `${this.options.prefix}:pager:${runId}`;
  }
}

function queuedRow(runId: string, organizationId: string, row: QueueableRow, queuedBefore: number): QueuedRow {
  return { runId, resultId: row.id, queue: queueOf(row), organizationId, priority: backlogPriority(queuedBefore) };
}

type RunJobOf = (runId: string, organizationId: string, priority: number) => QueuedRow;

/**
 * Consecutive rows of one queue become one job of up to `size(queue)` rows, its id and place in
 * line its first row's: rows are paged in run order, so a batch is a stretch of the run.
 */
function batchedJobs(rows: QueuedRow[], size: (queue: QueueName) => number): QueuedRow[] {
  const jobs: QueuedRow[] = [];
  const open = new Map<QueueName, QueuedRow>();
  for (const row of rows) {
    const batch = open.get(row.queue);
    if (batch && batch.resultIds!.length < size(row.queue)) {
      batch.resultIds!.push(row.resultId);
      continue;
    }
    const job = { ...row, resultIds: [row.resultId] };
    open.set(row.queue, job);
    jobs.push(job);
  }
  return jobs;
}

function workflowRunJob(runId: string, organizationId: string, priority: number): QueuedRow {
  return { runId, resultId: runId, name: WORKFLOW_RUN_JOB, queue: WORKFLOW_RUN_QUEUE, organizationId, priority };
}

function experimentRunJob(runId: string, organizationId: string, priority: number): QueuedRow {
  return { runId, resultId: runId, name: EXPERIMENT_RUN_JOB, queue: WORKFLOW_RUN_QUEUE, organizationId, priority };
}

function queueOf(row: QueueableRow): QueueName {
  return queueFor(row.block_type, fromJson<AssertionSpec>(row.assertion)!);
}

/** One line per outage, not one per reconnection attempt. */
function logConnectionErrors(redis: Redis, log: (message: string) => void): void {
  let reported: string | null = null;
  redis.on('error', (error: Error) => {
    if (error.message !== reported) log(`redis: ${error.message}`);
    reported = error.message;
  });
  redis.on('ready', () => {
    reported = null;
  });
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
