import { TimeoutError } from '../errors.js';
import type { PagePromise } from '../pagination.js';
import { sleep } from '../retry.js';
import type { RequestOptions, Transport } from '../transport.js';
import type { CancelRunParams, CreateRunParams, ListRunsParams, TestsSegment, WorkflowTestRun } from '../types.js';
import { listPages, segment } from './list.js';

const TERMINAL = new Set(['completed', 'error', 'cancelled']);

export const isTerminalRun = (run: WorkflowTestRun): boolean => TERMINAL.has(run.lifecycle.status);

export interface WaitOptions {
  /** Called with the run on the first poll and whenever its status or counts change. */
  onProgress?: (run: WorkflowTestRun) => void;
  signal?: AbortSignal;
  /** Pause between two polls, in milliseconds (default 500). */
  pollMs?: number;
  /** Give up (TimeoutError, the run keeps going) when the run is not terminal after this long. */
  timeoutMs?: number;
}

const progressKey = (run: WorkflowTestRun) => JSON.stringify([run.lifecycle.status, run.total_tests, run.counts]);

export class Runs {
  constructor(
    private readonly transport: Transport,
    private readonly segment: TestsSegment = 'evals',
  ) {}

  list(params: ListRunsParams = {}, options?: RequestOptions): PagePromise<WorkflowTestRun> {
    return listPages(this.transport, `/v1/workflows/${this.segment}/runs`, { ...params }, options);
  }

  /** Starts a run of the workflow's tests (all, one block's, or one) on a snapshot of the current draft. */
  create(body: CreateRunParams, options?: RequestOptions): Promise<WorkflowTestRun> {
    return this.transport.request({ method: 'POST', path: `/v1/workflows/${this.segment}/runs`, body }, options);
  }

  get(runId: string, options?: RequestOptions): Promise<WorkflowTestRun> {
    return this.transport.request({ method: 'GET', path: this.runPath(runId) }, options);
  }

  /** Cancelling twice is harmless (the server answers the cancelled run again), so it is retried like a GET. */
  cancel(runId: string, body?: CancelRunParams, options?: RequestOptions): Promise<WorkflowTestRun> {
    return this.transport.request({ method: 'POST', path: `${this.runPath(runId)}/cancel`, body, idempotent: true }, options);
  }

  /** Polls the run until it is completed, errored or cancelled, and resolves with that final state. */
  async wait(runId: string, options: WaitOptions = {}): Promise<WorkflowTestRun> {
    const { signal, deadline } = withDeadline(options.signal, options.timeoutMs);
    let lastKey: string | null = null;
    try {
      for (;;) {
        const run = await this.get(runId, { signal });
        const key = progressKey(run);
        if (key !== lastKey) options.onProgress?.(run);
        lastKey = key;
        if (isTerminalRun(run)) return run;
        await sleep(options.pollMs ?? 500, signal);
      }
    } catch (error) {
      if (deadline?.aborted && !options.signal?.aborted) {
        throw new TimeoutError(`Run ${runId} did not finish within ${options.timeoutMs} ms.`, { code: 'wait_timeout', details: { run_id: runId } });
      }
      throw error;
    }
  }

  private runPath(runId: string): string {
    return `/v1/workflows/${this.segment}/runs/${segment(runId)}`;
  }
}

function withDeadline(signal: AbortSignal | undefined, timeoutMs: number | undefined): { signal?: AbortSignal; deadline?: AbortSignal } {
  if (timeoutMs === undefined) return { signal };
  const deadline = AbortSignal.timeout(timeoutMs);
  return { signal: signal ? AbortSignal.any([signal, deadline]) : deadline, deadline };
}
