import { QueueEvents, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { createError } from '../../errors/index.js';
import { BLOCK_EXECUTION_TIMEOUT_MS, type BlockExecutionJob } from '../workflow-run/block-execution-job.js';
import { WORKFLOW_RUN_QUEUE, type TestJobData, type TestQueues } from './queues.js';
import { settleWithin, withTimeout } from './timing.js';

/** A worker that took the job gets the execution's own timeout and this much more to record its row. */
const RECORD_GRACE_MS = 10_000;
const ENQUEUE_TIMEOUT_MS = 5000;
const CLOSE_TIMEOUT_MS = 2000;
const WAITING_STATES = new Set(['waiting', 'prioritized', 'delayed', 'waiting-children']);

/**
 * The API process's side of a block execution in a distributed deployment: the request is answered
 * synchronously, so the process queues the job and waits for a worker to finish it (BullMQ's
 * completion events, on a connection of their own). A job no worker took within `pickupMs` is
 * taken out of the queue before the answer, so nothing of it is ever executed or written later;
 * a job a worker holds is waited for until its execution times out.
 */
export class BlockExecutionWaiter {
  private events: Promise<QueueEvents> | null = null;
  private eventsConnection: Redis | null = null;

  constructor(
    private readonly connection: Redis,
    private readonly queues: TestQueues,
    private readonly prefix: string,
    private readonly pickupMs: number,
  ) {}

  async execute(job: BlockExecutionJob, priority: number): Promise<void> {
    const events = await this.openEvents();
    const queued = await withTimeout(this.queues.addBlockExecution(job, priority), ENQUEUE_TIMEOUT_MS, `Redis did not take the job within ${ENQUEUE_TIMEOUT_MS} ms`).catch((error: unknown) => {
      throw createError('workers_unavailable', `the queue could not take it (${messageOf(error)})`);
    });
    if (await this.finished(queued, events, this.pickupMs)) return;
    if (WAITING_STATES.has(await queued.getState()) && (await this.queues.remove([{ queue: WORKFLOW_RUN_QUEUE, resultId: job.executionId }])) === 1) {
      throw createError('workers_unavailable', `no worker took it within ${this.pickupMs} ms (no worker is running, or all are busy)`);
    }
    if (await this.finished(queued, events, BLOCK_EXECUTION_TIMEOUT_MS + RECORD_GRACE_MS)) return;
    throw createError('workers_unavailable', `the worker that took it did not finish within ${BLOCK_EXECUTION_TIMEOUT_MS + RECORD_GRACE_MS} ms`);
  }

  async close(): Promise<void> {
    const events = this.events;
    this.events = null;
    if (events) await settleWithin(events.then((opened) => opened.close()), CLOSE_TIMEOUT_MS);
    this.eventsConnection?.disconnect();
  }

  /** True once the job completed; false when `ttlMs` passed first; throws when it failed for good. */
  private async finished(job: Job<TestJobData>, events: QueueEvents, ttlMs: number): Promise<boolean> {
    try {
      await job.waitUntilFinished(events, ttlMs);
      return true;
    } catch (error) {
      const state = await job.getState();
      if (state === 'failed') throw createError('workers_unavailable', `the worker failed (${messageOf(error)})`);
      // Gone (its minute of being kept after it ended passed): its row, if any, tells.
      return state === 'completed' || state === 'unknown';
    }
  }

  private openEvents(): Promise<QueueEvents> {
    this.events ??= (async () => {
      // QueueEvents blocks its connection on reads: it gets one of its own.
      this.eventsConnection = this.connection.duplicate();
      this.eventsConnection.on('error', () => undefined); // the same outage as the main connection's, reported there
      const events = new QueueEvents(WORKFLOW_RUN_QUEUE, { connection: this.eventsConnection, prefix: this.prefix }).on('error', () => undefined);
      await events.waitUntilReady();
      return events;
    })();
    return this.events;
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
