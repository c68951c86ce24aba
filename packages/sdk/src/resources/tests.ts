import type { PagePromise } from '../pagination.js';
import type { RequestOptions, Transport } from '../transport.js';
import type { CreateTestParams, ListTestsParams, TestsSegment, UpdateTestParams, WorkflowTest } from '../types.js';
import { listPages, segment } from './list.js';
import { Results } from './results.js';
import { Runs } from './runs.js';

export class Tests {
  readonly runs: Runs;
  readonly results: Results;

  constructor(
    private readonly transport: Transport,
    private readonly segment: TestsSegment = 'evals',
  ) {
    this.runs = new Runs(transport, segment);
    this.results = new Results(transport, segment);
  }

  list(params: ListTestsParams, options?: RequestOptions): PagePromise<WorkflowTest> {
    return listPages(this.transport, `/v1/workflows/${this.segment}`, { ...params }, options);
  }

  create(body: CreateTestParams, options?: RequestOptions): Promise<WorkflowTest> {
    return this.transport.request({ method: 'POST', path: `/v1/workflows/${this.segment}`, body }, options);
  }

  get(testId: string, options?: RequestOptions): Promise<WorkflowTest> {
    return this.transport.request({ method: 'GET', path: this.testPath(testId) }, options);
  }

  update(testId: string, body: UpdateTestParams, options?: RequestOptions): Promise<WorkflowTest> {
    return this.transport.request({ method: 'PATCH', path: this.testPath(testId), body }, options);
  }

  /** The test's past results are kept. */
  delete(testId: string, options?: RequestOptions): Promise<void> {
    return this.transport.request({ method: 'DELETE', path: this.testPath(testId) }, options);
  }

  private testPath(testId: string): string {
    return `/v1/workflows/${this.segment}/${segment(testId)}`;
  }
}
