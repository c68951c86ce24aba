import type { PagePromise } from '../pagination.js';
import type { RequestOptions, Transport } from '../transport.js';
import type { CreateTestParams, ListTestsParams, UpdateTestParams, WorkflowTest } from '../types.js';
import { listPages, segment } from './list.js';
import { Results } from './results.js';
import { Runs } from './runs.js';

export class Tests {
  readonly runs: Runs;
  readonly results: Results;

  constructor(private readonly transport: Transport) {
    this.runs = new Runs(transport);
    this.results = new Results(transport);
  }

  list(params: ListTestsParams, options?: RequestOptions): PagePromise<WorkflowTest> {
    return listPages(this.transport, '/v1/workflows/tests', { ...params }, options);
  }

  create(body: CreateTestParams, options?: RequestOptions): Promise<WorkflowTest> {
    return this.transport.request({ method: 'POST', path: '/v1/workflows/tests', body }, options);
  }

  get(testId: string, options?: RequestOptions): Promise<WorkflowTest> {
    return this.transport.request({ method: 'GET', path: testPath(testId) }, options);
  }

  update(testId: string, body: UpdateTestParams, options?: RequestOptions): Promise<WorkflowTest> {
    return this.transport.request({ method: 'PATCH', path: testPath(testId), body }, options);
  }

  /** Also deletes the test's result rows. */
  delete(testId: string, options?: RequestOptions): Promise<void> {
    return this.transport.request({ method: 'DELETE', path: testPath(testId) }, options);
  }
}

const testPath = (testId: string) => `/v1/workflows/tests/${segment(testId)}`;
