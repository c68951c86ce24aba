import type { PagePromise } from '../pagination.js';
import type { RequestOptions, Transport } from '../transport.js';
import type { ListWorkflowStepsParams, WorkflowRunStep } from '../types.js';
import { listPages, segment } from './list.js';

/** The steps of workflow runs (`/v1/workflows/steps`): each block's inputs, outputs and fate in one run. */
export class Steps {
  constructor(private readonly transport: Transport) {}

  list(params: ListWorkflowStepsParams = {}, options?: RequestOptions): PagePromise<WorkflowRunStep> {
    return listPages(this.transport, '/v1/workflows/steps', { ...params }, options);
  }

  /** Step ids are unique within a run: pass its `run_id` (a loop body's step id names its iteration). */
  get(stepId: string, params: { run_id?: string } = {}, options?: RequestOptions): Promise<WorkflowRunStep> {
    return this.transport.request({ method: 'GET', path: `/v1/workflows/steps/${segment(stepId)}`, query: { ...params } }, options);
  }
}
