import {
  blockedResult,
  evaluateAssertion,
  type AssertionModelProvider,
  type AssertionSpec,
  type ErrorDetails,
  type WorkflowTestSource,
} from '@verdict/core';
import { fromJson, type Store } from '../store/database.js';
import type { ResultOutcome } from '../store/transitions/index.js';
import { loadSnapshot, type SnapshotBlock, type WorkflowSnapshot } from '../store/versions.js';
import { BlockExecutionError, type BlockExecutor, type ResolvedHandleInput } from './blocks/types.js';
import type { FileService } from '../services/files.js';

/** Everything a worker needs to execute one result row. */
export interface TestJob {
  runId: string;
  resultId: string;
  testId: string;
  organizationId: string;
  workflowId: string;
  versionId: string;
  blockId: string;
  /** The test's source as stored: JSON text, parsed only for a block that takes resolved inputs. */
  sourceJson: string;
  assertion: AssertionSpec;
}

const SNAPSHOT_CACHE_SIZE = 64;

/**
 * Executes one test: the block of the run's snapshot on the test's frozen inputs, then the
 * assertion on its outputs. Never decides lifecycle: it returns the outcome for the store to record.
 */
export class TestRunner {
  private readonly executors = new Map<string, BlockExecutor>();
  private readonly snapshots = new Map<string, Promise<WorkflowSnapshot | null>>();

  constructor(
    private readonly store: Store,
    executors: BlockExecutor[],
    private readonly files: FileService,
    private readonly assertionProvider: AssertionModelProvider | null,
  ) {
    for (const executor of executors) for (const type of executor.blockTypes) this.executors.set(type, executor);
  }

  async run(job: TestJob, signal: AbortSignal): Promise<ResultOutcome> {
    const snapshot = await this.snapshotOf(job);
    if (!snapshot) throw new Error(`The workflow version ${job.versionId} of run ${job.runId} is missing from the store.`);
    const block = snapshot.blocks.find((candidate) => candidate.id === job.blockId);
    if (!block) return this.blocked(job, null, `Block \`${job.blockId}\` is not in the workflow draft this run executes; it was deleted before the run started.`);
    const executor = this.executors.get(block.type);
    if (!executor) return this.blocked(job, block, `Blocks of type \`${block.type}\` cannot be tested; testable types are function, extract, split and classifier.`);

    const started = performance.now();
    let execution;
    try {
      const inputs = { sourceJson: job.sourceJson, resolve: () => this.resolveInputs(job, signal) };
      execution = await executor.execute({ block: { id: block.id, type: block.type, label: block.label, config: block.config ?? {} }, inputs, signal, organizationId: job.organizationId });
    } catch (error) {
      if (signal.aborted) throw error;
      if (error instanceof BlockExecutionError) return this.blocked(job, block, error.message, error.code, error.details, Math.round(performance.now() - started));
      throw error;
    }
    const durationMs = Math.round(performance.now() - started);
    const assertionResult = await evaluateAssertion(job.assertion, execution.outputs, { provider: this.assertionProvider, signal });
    return {
      resultId: job.resultId,
      testId: job.testId,
      status: 'completed',
      verdict: assertionResult.outcome,
      outputs: execution.outputs,
      routing: execution.routingDecision,
      warnings: execution.warnings,
      error: null,
      assertionResult,
      details: execution.details ?? null,
      durationMs,
    };
  }

  private async resolveInputs(job: TestJob, signal: AbortSignal): Promise<Record<string, ResolvedHandleInput>> {
    const source = fromJson<WorkflowTestSource>(job.sourceJson);
    if (source?.type !== 'manual') return {};
    const resolved: Record<string, ResolvedHandleInput> = {};
    for (const [handleId, input] of Object.entries(source.handle_inputs)) {
      resolved[handleId] = input.type === 'json' ? { type: 'json', data: input.data } : await this.files.resolve(job.organizationId, input.document, signal);
    }
    return resolved;
  }

  private blocked(
    job: TestJob,
    block: SnapshotBlock | null,
    message: string,
    code = 'block_execution_failed',
    details: Record<string, unknown> = {},
    durationMs: number | null = null,
  ): ResultOutcome {
    const failureCode = code === 'provider_not_configured' || code === 'provider_error' ? code : 'block_execution_failed';
    const error: ErrorDetails = { message, block_id: job.blockId, block_name: block?.label || null, error_code: code, context: details };
    return {
      resultId: job.resultId,
      testId: job.testId,
      status: 'completed',
      verdict: 'blocked',
      outputs: null,
      routing: null,
      warnings: [],
      error,
      assertionResult: blockedResult(job.assertion, failureCode, message, details),
      details: null,
      durationMs,
    };
  }

  private snapshotOf(job: TestJob): Promise<WorkflowSnapshot | null> {
    const key = `${job.organizationId}/${job.workflowId}/${job.versionId}`;
    let snapshot = this.snapshots.get(key);
    if (!snapshot) {
      snapshot = loadSnapshot(this.store.db, job.organizationId, job.workflowId, job.versionId);
      snapshot.then((value) => value ?? this.snapshots.delete(key), () => this.snapshots.delete(key));
      if (this.snapshots.size >= SNAPSHOT_CACHE_SIZE) this.snapshots.delete(this.snapshots.keys().next().value!);
      this.snapshots.set(key, snapshot);
    }
    return snapshot;
  }
}

/** The outcome of a test that could not be executed for reasons other than its block (store, files), after retries. */
export function infrastructureFailure(job: TestJob, error: unknown, attempts: number): ResultOutcome {
  const message = error instanceof Error ? error.message : String(error);
  return {
    resultId: job.resultId,
    testId: job.testId,
    status: 'error',
    verdict: null,
    outputs: null,
    routing: null,
    warnings: [],
    error: { message: `The test could not be executed after ${attempts} attempts: ${message}`, error_code: 'execution_error', block_id: job.blockId },
    assertionResult: null,
    details: null,
    durationMs: null,
  };
}
