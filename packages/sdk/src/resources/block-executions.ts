import type { PagePromise } from '../pagination.js';
import type { RequestOptions, Transport } from '../transport.js';
import type { CreateBlockExecutionParams, ListBlockExecutionsParams, StoredBlockExecution } from '../types.js';
import { listPages } from './list.js';

/**
 * Re-runs of one block with its current draft config on the inputs a run's step recorded
 * (`/v1/workflows/blocks/executions`). The server answers 409 `upstream_changed` (ConflictError)
 * when the blocks above changed since the run, unless `check_eligibility: false`.
 */
export class BlockExecutions {
  constructor(private readonly transport: Transport) {}

  create(body: CreateBlockExecutionParams, options?: RequestOptions): Promise<StoredBlockExecution> {
    return this.transport.request({ method: 'POST', path: '/v1/workflows/blocks/executions', body }, options);
  }

  list(params: ListBlockExecutionsParams, options?: RequestOptions): PagePromise<StoredBlockExecution> {
    return listPages(this.transport, '/v1/workflows/blocks/executions', { ...params }, options);
  }
}
