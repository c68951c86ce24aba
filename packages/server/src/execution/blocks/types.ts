import type { AssertionResult, BlockConfig, BlockType, Verdict } from '@verdict/core';
import { VerdictError, type BlockFailureCode, type VerdictErrorOptions } from '../../errors/index.js';
import type { ResolvedFileInput } from '../../files/index.js';
import type { JsonText } from '../../store/transitions/index.js';

export type { ResolvedFileInput };
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
  /** The JSON Schema of what arrives on its `input-json-0` (upstreamJsonSchema); null when undeclared. Python's `models.Input` comes from it. */
  inputSchema?: Record<string, unknown> | null;
}

/** The frozen inputs of the test being run. */
export interface TestInputs {
  /** The test's source as stored (JSON text): an executor that hands its input on as text never parses it. */
  readonly sourceJson: string;
  /** The handle inputs of a manual test (none for other sources), files ready to read. */
  resolve(): Promise<Record<string, ResolvedHandleInput>>;
}

export interface BlockExecutionRequest {
  block: BlockUnderTest;
  inputs: TestInputs;
  /**
   * The test's assertion (as stored, JSON text), for an executor that can evaluate it where it
   * makes the outputs (a sandbox thread); null when the runner evaluates it (it calls the model provider).
   */
  assertionJson: string | null;
  /** Aborted when the run is cancelled: every await inside an executor must honour it. */
  signal: AbortSignal;
  /** The organization whose test this is: tenants share the sandbox fairly. */
  organizationId: string;
}

/** An assertion's result with its outcome; the result may be the JSON text a sandbox thread wrote. */
export interface EvaluatedAssertion {
  verdict: Verdict;
  result: AssertionResult | JsonText;
}

export interface BlockExecutionOutput {
  /** Raw payload per output handle id, e.g. `{ "output-json-0": { total: 12 } }`; as JSON text when a sandbox thread wrote it. */
  outputs: Record<string, unknown> | JsonText;
  /** Output handles that received data (classifier / split routing); null for blocks that do not route. */
  routingDecision: string[] | null;
  warnings: string[];
  /** Extra facts worth keeping with the result (model reasoning, likelihoods, cache hits). */
  details?: Record<string, unknown>;
  /** The request's assertion, when the executor evaluated it. */
  assertion?: EvaluatedAssertion;
  /**
   * The block's own time, measured where it ran (a sandbox thread, a Python process), without the
   * wait for a thread or process; absent, the runner counts from the call to the executor.
   */
  executionMs?: number;
}

/** The block ran and failed (user code threw, timed out, produced invalid output, model error after retries): its test is blocked. */
export class BlockExecutionError extends VerdictError {
  declare readonly code: BlockFailureCode;
  /** As `BlockExecutionOutput.executionMs`, for a block that ran and failed. */
  executionMs?: number;

  constructor(message: string, code: BlockFailureCode, details: Record<string, unknown> = {}, options?: VerdictErrorOptions) {
    super(message, code, details, options);
  }

  /** A failure of a layer the block relies on (a file, the model), reported with its code and kept as the cause. */
  static causedBy(cause: VerdictError & { code: BlockFailureCode }): BlockExecutionError {
    return new BlockExecutionError(cause.message, cause.code, cause.details, { cause });
  }
}

export interface BlockExecutor {
  readonly blockTypes: readonly BlockType[];
  execute(request: BlockExecutionRequest): Promise<BlockExecutionOutput>;
}
