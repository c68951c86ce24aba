import { ConnectionError, TimeoutError, VerdictError } from '../errors.js';
import type { PagePromise } from '../pagination.js';
import { sleep } from '../retry.js';
import type { RequestOptions, Transport } from '../transport.js';
import type { CancelRunParams, CompareRunsParams, CreateRunParams, ListRunsParams, RunComparison, TestsSegment, WorkflowTestRun } from '../types.js';
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
  /**
   * How long the server may be unreachable (connection refused, no answer, 502/503/504) before the
   * wait gives up with that error, in milliseconds (default 60 000): a server restarting under a
   * wait is not the end of the run.
   */
  outageMs?: number;
  /** Called on each failed poll during an outage, with the error and how long the server has been unreachable. */
  onOutage?: (error: VerdictError, unreachableMs: number) => void;
}

const DEFAULT_OUTAGE_MS = 60_000;

/** The server is down or restarting, as opposed to refusing the request. */
function isOutage(error: unknown): error is VerdictError {
  if (error instanceof ConnectionError) return true;
  return error instanceof VerdictError && error.status !== null && [502, 503, 504].includes(error.status);
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

  /**
   * How this run's verdicts compare with a base run's: new failures, fixes and the rest, each with
   * the dependencies that changed and whether the change is a flaky flip (a Verdict extension).
   */
  compare(runId: string, params: CompareRunsParams = {}, options?: RequestOptions): Promise<RunComparison> {
    return this.transport.request({ method: 'GET', path: `${this.runPath(runId)}/comparison`, query: { ...params } }, options);
  }

  /** Polls the run until it is completed, errored or cancelled, and resolves with that final state. */
  async wait(runId: string, options: WaitOptions = {}): Promise<WorkflowTestRun> {
    const { signal, deadline } = withDeadline(options.signal, options.timeoutMs);
    let lastKey: string | null = null;
    let unreachableSince: number | null = null;
    try {
      for (;;) {
        let run: WorkflowTestRun;
        try {
          run = await this.get(runId, { signal });
          unreachableSince = null;
        } catch (error) {
          if (signal?.aborted || !isOutage(error)) throw error;
          unreachableSince ??= Date.now();
          const unreachableMs = Date.now() - unreachableSince;
          if (unreachableMs >= (options.outageMs ?? DEFAULT_OUTAGE_MS)) throw error;
          options.onOutage?.(error, unreachableMs);
          await sleep(options.pollMs ?? 500, signal);
          continue;
        }
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
