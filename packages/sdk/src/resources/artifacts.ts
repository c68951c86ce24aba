import type { PagePromise } from '../pagination.js';
import type { RequestOptions, Transport } from '../transport.js';
import type { ListWorkflowArtifactsParams, WorkflowArtifactListItem, WorkflowArtifactRecord } from '../types.js';
import { listPages, segment } from './list.js';

/** What steps produced (`/v1/workflows/artifacts`): function invocations, extractions, classifications, splits, conditional evaluations. */
export class Artifacts {
  constructor(private readonly transport: Transport) {}

  list(params: ListWorkflowArtifactsParams, options?: RequestOptions): PagePromise<WorkflowArtifactListItem> {
    return listPages(this.transport, '/v1/workflows/artifacts', { ...params }, options);
  }

  get(artifactId: string, options?: RequestOptions): Promise<WorkflowArtifactRecord> {
    return this.transport.request({ method: 'GET', path: `/v1/workflows/artifacts/${segment(artifactId)}` }, options);
  }
}
