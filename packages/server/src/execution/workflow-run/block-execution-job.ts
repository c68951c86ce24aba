/** The longest a block execution may take before it is answered as an error. */
export const BLOCK_EXECUTION_TIMEOUT_MS = 120_000;

/** A block execution as queued for a worker (distributed deployments): ids only, the worker loads the rest. */
export interface BlockExecutionJob {
  organizationId: string;
  runId: string;
  blockId: string;
  stepId: string;
  nConsensus: number | null;
  /** The row's id, chosen by the API process that answers the request. */
  executionId: string;
}

/** Where block executions execute when not in this process: resolves once a worker wrote the row. */
export interface BlockExecutionDispatch {
  execute(job: BlockExecutionJob): Promise<void>;
}
