import type { BlockConfig, BlockType, MaterializedDocument } from '@verdict/core';

/** A file handle input after normalisation: metadata plus a way to read its bytes from the blob store. */
export interface ResolvedFileInput {
  type: 'file';
  document: MaterializedDocument;
  read(): Promise<Buffer>;
}
export interface ResolvedJsonInput {
  type: 'json';
  data: unknown;
}
export type ResolvedHandleInput = ResolvedFileInput | ResolvedJsonInput;

export interface BlockUnderTest {
  id: string;
  type: BlockType;
  label: string;
  config: BlockConfig;
}

export interface BlockExecutionRequest {
  block: BlockUnderTest;
  handleInputs: Record<string, ResolvedHandleInput>;
  /** Aborted when the run is cancelled: every await inside an executor must honour it. */
  signal: AbortSignal;
}

export interface BlockExecutionOutput {
  /** Raw payload per output handle id, e.g. `{ "output-json-0": { total: 12 } }`. */
  outputs: Record<string, unknown>;
  /** Output handles that received data (classifier / split routing); null for blocks that do not route. */
  routingDecision: string[] | null;
  warnings: string[];
  /** Extra facts worth keeping with the result (model reasoning, likelihoods, cache hits). */
  details?: Record<string, unknown>;
}

/** The block ran and failed (user code threw, timed out, produced invalid output, model error after retries). */
export class BlockExecutionError extends Error {
  constructor(
    message: string,
    readonly code: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'BlockExecutionError';
  }
}

export interface BlockExecutor {
  readonly blockTypes: readonly BlockType[];
  execute(request: BlockExecutionRequest): Promise<BlockExecutionOutput>;
}
