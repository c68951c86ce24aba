import { requiresModelProvider, type AssertionSpec } from '@verdict/core';
import { Queue, type Job, type JobsOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import type { BlockExecutionJob } from '../workflow-run/block-execution-job.js';

/** What a job carries: the ids of one result row, or of a batch of a run's rows. The worker loads everything else from the store. */
export interface TestJobData {
  runId: string;
  /** The row's id; of a batch, its first row's (the job's id). */
  resultId: string;
  /** A batch's rows in run order, executed one after another in one slot; absent on a one-row job. */
  resultIds?: string[];
  /** The run's organization, for workers to see whose jobs are next; absent on jobs queued by older versions. */
  organizationId?: string;
  /** A block-execution job's request (BLOCK_EXECUTION_JOB). */
  blockExecution?: BlockExecutionJob;
}

/**
 * Tests that call the model server have their own queue, so that the provider's rate limit (a
 * BullMQ limiter, global across workers) never holds back tests that do not call it.
 */
export const QUEUE_NAMES = ['tests', 'model-tests'] as const;
export type QueueName = (typeof QUEUE_NAMES)[number];

const MODEL_BACKED_BLOCK_TYPES = new Set(['extract', 'split', 'classifier']);

export function queueFor(blockType: string, assertion: AssertionSpec): QueueName {
  return MODEL_BACKED_BLOCK_TYPES.has(blockType) || requiresModelProvider(assertion.condition) ? 'model-tests' : 'tests';
}

/**
 * A workflow run is one job of the `tests` queue, its id the run's, driven from start to end by the
 * worker that holds it: it shares the queue's backlog order and tenant slots with test rows.
 */
export const WORKFLOW_RUN_JOB = 'workflow-run';
export const WORKFLOW_RUN_QUEUE: QueueName = 'tests';

/**
 * An experiment run is one job of the `tests` queue too, its id the run's, driven by the worker
 * that holds it (its documents execute at once up to the worker's experiment concurrency); a worker
 * that takes over the job of a dead one resumes the run from the documents it recorded.
 */
export const EXPERIMENT_RUN_JOB = 'experiment-run';

/**
 * A block execution (POST /v1/workflows/blocks/executions) is one job of the `tests` queue, its id
 * the execution's: the API process that answers the request waits for it (BlockExecutionWaiter).
 * Its result is its row in the store; the job is kept a minute after it ends so that a waiter that
 * looks late still finds how it ended.
 */
export const BLOCK_EXECUTION_JOB = 'block-execution';
const BLOCK_EXECUTION_JOB_OPTIONS: JobsOptions = { attempts: 2, backoff: { type: 'fixed', delay: 200 }, removeOnComplete: { age: 60 }, removeOnFail: { age: 60 } };

export interface QueuedRow {
  runId: string;
  /** The result row's id (of a batch, its first row's); for a workflow or experiment run's job, the run's id. */
  resultId: string;
  /** A batch's rows, the first included (see batchSize); absent for one row. */
  resultIds?: string[];
  /** The job's name: a test row (the default), a whole workflow run or a whole experiment run. */
  name?: typeof WORKFLOW_RUN_JOB | typeof EXPERIMENT_RUN_JOB;
  queue: QueueName;
  organizationId: string;
  /** Its place in line: see backlogPriority. */
  priority: number;
}

/** BullMQ's largest priority. */
const MAX_PRIORITY = 2 ** 21;

/**
 * Jobs leave a queue lowest priority first, and a row's priority is 1 + the rows of its
 * organization queued before it: an organization with little queued goes ahead of another's
 * backlog, and organizations with backlogs take turns. In one FIFO, an organization's windows of
 * thousands of rows stood in front of every other organization's first test.
 */
export function backlogPriority(queuedBefore: number): number {
  return Math.min(MAX_PRIORITY, 1 + queuedBefore);
}

/**
 * Times a row may be started, across BullMQ's retries, the recovery of jobs whose worker died
 * (stalled jobs) and the sweep's re-queuing of jobs that went missing: each of these starts the
 * row again, and only the first has an attempt budget of its own. A row delivered once more is
 * given up: it records an `error` verdict instead of running.
 */
export const MAX_ROW_ATTEMPTS = 5;

const JOB_OPTIONS: JobsOptions = {
  // Infrastructure failures (store unreachable) are retried with backoff; the last attempt records
  // an `error` result. A block that fails is not an infrastructure failure: it is a verdict.
  attempts: 3,
  backoff: { type: 'exponential', delay: 500 },
  removeOnComplete: true,
  removeOnFail: true,
};

/** The most rows one job carries: a batch holds its slot until its last row, so it stays short. */
export const MAX_BATCH_ROWS = 32;

/**
 * Rows per job of the `tests` queue when `pending` rows of a run are left to queue: the run is cut
 * into about twice as many jobs as the workers have slots, so that every worker shares the run and
 * the last jobs are short; a small run gets one job per row. A job costs Redis and the worker
 * several round trips (add, fetch, lock renewals, finish), more than a function test itself.
 * Model-backed rows keep one job each: the provider's rate limit counts jobs.
 */
export function batchSize(queue: QueueName, pending: number, slots: number): number {
  if (queue !== 'tests') return 1;
  return Math.max(1, Math.min(MAX_BATCH_ROWS, Math.ceil(pending / (2 * Math.max(1, slots)))));
}

export interface QueueDepth {
  queue: QueueName;
  state: string;
  count: number;
}

const DEPTH_STATES = ['waiting', 'prioritized', 'delayed', 'active'] as const;

/** The two BullMQ queues, keyed by result id so that a row can never be queued twice at once. */
export class TestQueues {
  private readonly queues: Record<QueueName, Queue<TestJobData>>;

  constructor(connection: Redis, prefix: string) {
    // A queue repeats its connection's errors, which the connection's owner reports already.
    const open = (name: QueueName) => new Queue<TestJobData>(name, { connection, prefix }).on('error', () => undefined);
    this.queues = { tests: open('tests'), 'model-tests': open('model-tests') };
  }

  async add(rows: QueuedRow[]): Promise<void> {
    await Promise.all(
      QUEUE_NAMES.map((name) => {
        const jobs = rows.filter((row) => row.queue === name);
        if (jobs.length === 0) return Promise.resolve();
        return this.queues[name].addBulk(
          jobs.map(({ runId, resultId, resultIds, organizationId, priority, name }) => ({
            name: name ?? 'test',
            data: resultIds && resultIds.length > 1 ? { runId, resultId, resultIds, organizationId } : { runId, resultId, organizationId },
            opts: { ...JOB_OPTIONS, jobId: resultId, priority },
          })),
        );
      }),
    );
  }

  addBlockExecution(job: BlockExecutionJob, priority: number): Promise<Job<TestJobData>> {
    const data: TestJobData = { runId: job.executionId, resultId: job.executionId, organizationId: job.organizationId, blockExecution: job };
    return this.queues[WORKFLOW_RUN_QUEUE].add(BLOCK_EXECUTION_JOB, data, { ...BLOCK_EXECUTION_JOB_OPTIONS, jobId: job.executionId, priority });
  }

  /** Removes jobs that no worker holds yet; a job already running is left to its worker. */
  async remove(rows: Pick<QueuedRow, 'queue' | 'resultId'>[]): Promise<number> {
    const removed = await Promise.all(rows.map((row) => this.queues[row.queue].remove(row.resultId).catch(() => 0)));
    return removed.reduce<number>((sum, count) => sum + count, 0);
  }

  /** Rows among these whose job is gone from Redis (neither waiting, delayed nor held by a worker). */
  async missing(rows: QueuedRow[]): Promise<QueuedRow[]> {
    const states = await Promise.all(rows.map((row) => this.queues[row.queue].getJobState(row.resultId)));
    return rows.filter((_, index) => states[index] === 'unknown');
  }

  /**
   * Rows among these that no job carries, whether as its own job or in a batch. A batch's job is
   * named after its first row, which may have finished while the batch still holds the others: the
   * rows not found by name are looked for in every batch of their queue. Only a run that stopped
   * moving is checked, so the scan is rare.
   */
  async unjobbed(rows: QueuedRow[]): Promise<QueuedRow[]> {
    const missing = await this.missing(rows);
    if (missing.length === 0) return missing;
    const batched = new Set<string>();
    for (const name of new Set(missing.map((row) => row.queue))) {
      const jobs = await this.queues[name].getJobs([...DEPTH_STATES]);
      for (const job of jobs) for (const id of job?.data.resultIds ?? []) batched.add(id);
    }
    return missing.filter((row) => !batched.has(row.resultId));
  }

  /** Worker processes taking jobs of the queue (each names its connection). */
  workers(name: QueueName): Promise<number> {
    return this.queues[name].getWorkersCount();
  }

  /** The organizations of the next `count` jobs to leave the queue, in that order (jobs that name none are left out). */
  async nextOrganizations(name: QueueName, count: number): Promise<string[]> {
    const jobs = await this.queues[name].getPrioritized(0, count - 1);
    return jobs.flatMap((job) => (job.data.organizationId ? [job.data.organizationId] : []));
  }

  async depth(): Promise<QueueDepth[]> {
    const depths: QueueDepth[] = [];
    for (const name of QUEUE_NAMES) {
      const counts = await this.queues[name].getJobCounts(...DEPTH_STATES);
      for (const state of DEPTH_STATES) depths.push({ queue: name, state, count: counts[state] ?? 0 });
    }
    return depths;
  }

  async close(): Promise<void> {
    await Promise.all(QUEUE_NAMES.map((name) => this.queues[name].close()));
  }
}
