import type { PagePromise } from '../pagination.js';
import type { RequestOptions, Transport } from '../transport.js';
import type { ListResultsParams, TestHistoryParams, TestsSegment, WorkflowTestResult } from '../types.js';
import { listPages, segment } from './list.js';

/** One row per test of a run, in the order the run selected its tests (`order: 'asc'` walks it forwards). */
export class Results {
  constructor(
    private readonly transport: Transport,
    private readonly segment: TestsSegment = 'evals',
  ) {}

  list(params: ListResultsParams, options?: RequestOptions): PagePromise<WorkflowTestResult> {
    return listPages(this.transport, `/v1/workflows/${this.segment}/results`, { ...params }, options);
  }

  /** One test's results across runs, newest first, each with its run, verdict and fingerprints (a Verdict extension). */
  history(params: TestHistoryParams, options?: RequestOptions): PagePromise<WorkflowTestResult> {
    return listPages(this.transport, `/v1/workflows/${this.segment}/results`, { ...params }, options);
  }

  get(resultId: string, options?: RequestOptions): Promise<WorkflowTestResult> {
    return this.transport.request({ method: 'GET', path: `/v1/workflows/${this.segment}/results/${segment(resultId)}` }, options);
  }
}
