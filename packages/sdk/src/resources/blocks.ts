import type { PagePromise } from '../pagination.js';
import type { RequestOptions, Transport } from '../transport.js';
import type { BlockLocator, CreateBlockParams, ListBlocksParams, UpdateBlockParams, WorkflowBlock } from '../types.js';
import { BlockExecutions } from './block-executions.js';
import { listPages, segment } from './list.js';
import { BlockVersions } from './versions.js';

export class Blocks {
  readonly versions: BlockVersions;
  readonly executions: BlockExecutions;

  constructor(private readonly transport: Transport) {
    this.versions = new BlockVersions(transport);
    this.executions = new BlockExecutions(transport);
  }

  list(params: ListBlocksParams, options?: RequestOptions): PagePromise<WorkflowBlock> {
    return listPages(this.transport, '/v1/workflows/blocks', { ...params }, options);
  }

  create(body: CreateBlockParams, options?: RequestOptions): Promise<WorkflowBlock> {
    return this.transport.request({ method: 'POST', path: '/v1/workflows/blocks', body }, options);
  }

  get(blockId: string, locator: BlockLocator = {}, options?: RequestOptions): Promise<WorkflowBlock> {
    return this.transport.request({ method: 'GET', path: blockPath(blockId), query: { ...locator } }, options);
  }

  update(blockId: string, body: UpdateBlockParams, locator: BlockLocator = {}, options?: RequestOptions): Promise<WorkflowBlock> {
    return this.transport.request({ method: 'PATCH', path: blockPath(blockId), query: { ...locator }, body }, options);
  }

  /** Also deletes the edges connected to the block. */
  delete(blockId: string, locator: BlockLocator = {}, options?: RequestOptions): Promise<void> {
    return this.transport.request({ method: 'DELETE', path: blockPath(blockId), query: { ...locator } }, options);
  }
}

const blockPath = (blockId: string) => `/v1/workflows/blocks/${segment(blockId)}`;
