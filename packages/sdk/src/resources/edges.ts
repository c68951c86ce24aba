import type { PagePromise } from '../pagination.js';
import type { RequestOptions, Transport } from '../transport.js';
import type { CreateEdgeParams, ListEdgesParams, WorkflowEdge } from '../types.js';
import { listPages, segment } from './list.js';
import { EdgeVersions } from './versions.js';

export class Edges {
  readonly versions: EdgeVersions;

  constructor(private readonly transport: Transport) {
    this.versions = new EdgeVersions(transport);
  }

  list(params: ListEdgesParams, options?: RequestOptions): PagePromise<WorkflowEdge> {
    return listPages(this.transport, '/v1/workflows/edges', { ...params }, options);
  }

  create(body: CreateEdgeParams, options?: RequestOptions): Promise<WorkflowEdge> {
    return this.transport.request({ method: 'POST', path: '/v1/workflows/edges', body }, options);
  }

  get(edgeId: string, options?: RequestOptions): Promise<WorkflowEdge> {
    return this.transport.request({ method: 'GET', path: `/v1/workflows/edges/${segment(edgeId)}` }, options);
  }

  delete(edgeId: string, options?: RequestOptions): Promise<void> {
    return this.transport.request({ method: 'DELETE', path: `/v1/workflows/edges/${segment(edgeId)}` }, options);
  }
}
