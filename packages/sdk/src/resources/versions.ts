import type { PagePromise } from '../pagination.js';
import type { RequestOptions, Transport } from '../transport.js';
import type {
  ListBlockVersionsParams,
  ListEdgeVersionsParams,
  ListWorkflowVersionsParams,
  WorkflowBlock,
  WorkflowBlockVersion,
  WorkflowBlockVersionDiff,
  Workflow,
  WorkflowEdge,
  WorkflowEdgeVersion,
  WorkflowEdgeVersionDiff,
  WorkflowGraphVersion,
  WorkflowGraphVersionDiff,
} from '../types.js';
import { listPages, segment } from './list.js';

/**
 * The stored versions of a workflow's graph (`/v1/workflows/versions…`). Version ids are
 * content-addressed, so the workflow is named with each of them.
 */
export class WorkflowVersions {
  constructor(private readonly transport: Transport) {}

  list(params: ListWorkflowVersionsParams, options?: RequestOptions): PagePromise<WorkflowGraphVersion> {
    return listPages(this.transport, '/v1/workflows/versions', { ...params }, options);
  }

  get(versionId: string, workflowId: string, options?: RequestOptions): Promise<WorkflowGraphVersion> {
    return this.transport.request({ method: 'GET', path: `/v1/workflows/versions/${segment(versionId)}`, query: { workflow_id: workflowId } }, options);
  }

  diff(workflowId: string, fromVersionId: string, toVersionId: string, options?: RequestOptions): Promise<WorkflowGraphVersionDiff> {
    const query = { workflow_id: workflowId, from_workflow_version_id: fromVersionId, to_workflow_version_id: toVersionId };
    return this.transport.request({ method: 'GET', path: '/v1/workflows/versions/diff', query }, options);
  }

  /** Makes that version the draft again. */
  restore(versionId: string, workflowId: string, options?: RequestOptions): Promise<Workflow> {
    return this.transport.request({ method: 'POST', path: `/v1/workflows/versions/${segment(versionId)}/restore`, query: { workflow_id: workflowId } }, options);
  }
}

/** The versions of blocks or of edges (`/v1/workflows/{blocks|edges}/versions…`): one class, two kinds. */
class PartVersions<Version, Diff, Part, ListParams extends ListBlockVersionsParams | ListEdgeVersionsParams> {
  constructor(
    private readonly transport: Transport,
    private readonly kind: 'block' | 'edge',
  ) {}

  private get base(): string {
    return `/v1/workflows/${this.kind}s/versions`;
  }

  list(params: ListParams, options?: RequestOptions): PagePromise<Version> {
    const query: ListBlockVersionsParams | ListEdgeVersionsParams = params;
    return listPages(this.transport, this.base, { ...query }, options);
  }

  get(versionId: string, options?: RequestOptions): Promise<Version> {
    return this.transport.request({ method: 'GET', path: `${this.base}/${segment(versionId)}` }, options);
  }

  diff(fromVersionId: string, toVersionId: string, options?: RequestOptions): Promise<Diff> {
    const query = { [`from_${this.kind}_version_id`]: fromVersionId, [`to_${this.kind}_version_id`]: toVersionId };
    return this.transport.request({ method: 'GET', path: `${this.base}/diff`, query }, options);
  }

  /** Puts that version back into the draft. */
  restore(versionId: string, options?: RequestOptions): Promise<Part> {
    return this.transport.request({ method: 'POST', path: `${this.base}/${segment(versionId)}/restore` }, options);
  }
}

export class BlockVersions extends PartVersions<WorkflowBlockVersion, WorkflowBlockVersionDiff, WorkflowBlock, ListBlockVersionsParams> {
  constructor(transport: Transport) {
    super(transport, 'block');
  }
}

export class EdgeVersions extends PartVersions<WorkflowEdgeVersion, WorkflowEdgeVersionDiff, WorkflowEdge, ListEdgeVersionsParams> {
  constructor(transport: Transport) {
    super(transport, 'edge');
  }
}
