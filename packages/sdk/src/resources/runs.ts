import type { PagePromise } from '../pagination.js';
import type { RequestOptions, Transport } from '../transport.js';
import type { CancelRunParams, CompareRunsParams, CreateRunParams, ListRunsParams, RunComparison, TestsSegment, WorkflowTestRun } from '../types.js';
import { listPages, segment } from './list.js';
import { pollUntilTerminal, type WaitOptions as BaseWaitOptions } from './wait.js';

const TERMINAL = new Set(['completed', 'error', 'cancelled']);

export const isTerminalRun = (run: WorkflowTestRun): boolean => TERMINAL.has(run.lifecycle.status);

/** Options of `runs.wait`: onProgress sees the run whenever its status or counts change. */
export type WaitOptions = BaseWaitOptions<WorkflowTestRun>;

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
  wait(runId: string, options: WaitOptions = {}): Promise<WorkflowTestRun> {
    return pollUntilTerminal({ runId, load: (signal) => this.get(runId, { signal }), isTerminal: isTerminalRun, progressKey }, options);
  }

  private runPath(runId: string): string {
    return `/v1/workflows/${this.segment}/runs/${segment(runId)}`;
  }
}
