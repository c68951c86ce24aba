import {
  blockedResult,
  evaluateAssertion,
  requiresModelProvider,
  type AssertionSpec,
  type ErrorDetails,
  type WorkflowTestSource,
  upstreamJsonSchema,
  replayedHandleInputs,
} from '@verdict/core';
import { fromJson, type Store } from '../store/database.js';
import { JsonText, type ResultOutcome } from '../store/transitions/index.js';
import { loadSnapshot, type SnapshotBlock, type WorkflowSnapshot } from '../store/versions.js';
import { BlockExecutionError, type BlockExecutionOutput, type BlockExecutor, type EvaluatedAssertion, type ResolvedHandleInput } from './blocks/types.js';
import type { SandboxPool } from './sandbox/index.js';
import { FileInputError, withPages, type FileDocument, type FileService } from '../files/index.js';
import type { ModelAssertionProvider } from '../model/index.js';

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
  /** The same assertion as stored (JSON text): what goes to a sandbox thread, which parses it there. */
  assertionJson: string;
}

const SNAPSHOT_CACHE_SIZE = 64;

/**
 * Executes one test: the block of the run's snapshot on the test's frozen inputs, then the
 * assertion on its outputs. Never decides lifecycle: it returns the outcome for the store to record.
 * Assertions are evaluated off the main thread, under the sandbox pool's check deadline: by the
 * function block's own sandbox thread, or by a check job for outputs made here (model blocks).
 * Only assertions that call the model provider are evaluated here: their awaits are model calls.
 */
export class TestRunner {
  private readonly executors = new Map<string, BlockExecutor>();
  private readonly snapshots = new Map<string, Promise<WorkflowSnapshot | null>>();
  /** The schema arriving on each function block's input, per block of a cached snapshot. */
  private readonly inputSchemas = new WeakMap<SnapshotBlock, Record<string, unknown> | null>();

  constructor(
    private readonly store: Store,
    executors: BlockExecutor[],
    private readonly files: FileService,
    private readonly assertionProvider: ModelAssertionProvider | null,
    /** Runs the check jobs; null in a process without a sandbox, which evaluates assertions itself. */
    private readonly checks: SandboxPool | null,
  ) {
    for (const executor of executors) for (const type of executor.blockTypes) this.executors.set(type, executor);
  }

  /** Resolves once the sandbox threads have started: a worker takes no job from a shared queue before it can run it. */
  async ready(): Promise<void> {
    await this.checks?.allStarted();
  }

  async run(job: TestJob, signal: AbortSignal): Promise<ResultOutcome> {
    const snapshot = await this.snapshotOf(job);
    if (!snapshot) throw new Error(`The workflow version ${job.versionId} of run ${job.runId} is missing from the store.`);
    const block = snapshot.blocks.find((candidate) => candidate.id === job.blockId);
    if (!block) return this.blocked(job, null, `Block \`${job.blockId}\` is not in the workflow draft this run executes; it was deleted before the run started.`);
    const executor = this.executors.get(block.type);
    if (!executor) return this.blocked(job, block, `Blocks of type \`${block.type}\` cannot be tested; testable types are function, extract, split and classifier.`);

    const started = performance.now();
    let execution: BlockExecutionOutput;
    try {
      const inputs = { sourceJson: job.sourceJson, resolve: () => this.resolveInputs(job, signal) };
      const assertionJson = requiresModelProvider(job.assertion.condition) ? null : job.assertionJson;
      const underTest = { id: block.id, type: block.type, label: block.label, config: block.config ?? {}, inputSchema: this.inputSchemaOf(snapshot, block) };
      execution = await executor.execute({ block: underTest, inputs, assertionJson, signal, organizationId: job.organizationId });
    } catch (error) {
      if (signal.aborted) throw error;
      if (error instanceof BlockExecutionError) return this.blocked(job, block, error.message, error.code, error.details, executionTimes(started, error.executionMs));
      throw error;
    }
    const times = executionTimes(started, execution.executionMs);
    const assertion = execution.assertion ?? (await this.evaluate(job, execution.outputs, signal));
    return {
      resultId: job.resultId,
      testId: job.testId,
      status: 'completed',
      verdict: assertion.verdict,
      outputs: execution.outputs,
      routing: execution.routingDecision,
      warnings: execution.warnings,
      error: null,
      assertionResult: assertion.result,
      details: execution.details ?? null,
      ...times,
    };
  }

  /** Only function blocks read it (Python's `models.Input`). */
  private inputSchemaOf(snapshot: WorkflowSnapshot, block: SnapshotBlock): Record<string, unknown> | null {
    if (block.type !== 'function') return null;
    let schema = this.inputSchemas.get(block);
    if (schema === undefined) {
      schema = upstreamJsonSchema(snapshot, block.id);
      this.inputSchemas.set(block, schema);
    }
    return schema;
  }

  /** An assertion the block's executor did not evaluate. */
  private async evaluate({ assertion: spec, assertionJson, organizationId }: TestJob, outputs: BlockExecutionOutput['outputs'], signal: AbortSignal): Promise<EvaluatedAssertion> {
    if (this.checks && !requiresModelProvider(spec.condition)) return this.evaluateInThread(this.checks, spec, assertionJson, outputs, organizationId, signal);
    const values = outputs instanceof JsonText ? (outputs.value() as Record<string, unknown>) : outputs;
    const provider = this.assertionProvider?.forOrganization(organizationId) ?? null;
    const result = await evaluateAssertion(spec, values, { provider, signal });
    return { verdict: result.outcome, result };
  }

  /** A check job: the outputs travel as JSON text (bounded in size and depth where they were made). */
  private async evaluateInThread(
    checks: SandboxPool,
    spec: AssertionSpec,
    assertionJson: string,
    outputs: BlockExecutionOutput['outputs'],
    organizationId: string,
    signal: AbortSignal,
  ): Promise<EvaluatedAssertion> {
    const outputsJson = outputs instanceof JsonText ? outputs.text : JSON.stringify(outputs);
    const outcome = await checks.check(outputsJson, { outputSchemaJson: null, assertionJson, handleId: null }, organizationId, signal);
    if (outcome.ok && outcome.checked?.kind === 'evaluated') return { verdict: outcome.checked.verdict, result: new JsonText(outcome.checked.assertionResultJson) };
    if (!outcome.ok && outcome.reason === 'aborted') {
      signal.throwIfAborted();
      throw new Error(outcome.message);
    }
    const problem = outcome.ok ? 'the check job answered without evaluating it' : outcome.message;
    const details = outcome.ok ? {} : { reason: outcome.reason, ...(outcome.details ?? {}) };
    return { verdict: 'blocked', result: blockedResult(spec, 'execution_error', `the assertion could not be evaluated: ${problem}`, details) };
  }

  private async resolveInputs(job: TestJob, signal: AbortSignal): Promise<Record<string, ResolvedHandleInput>> {
    const source = fromJson<WorkflowTestSource>(job.sourceJson);
    if (!source) return {};
    const resolved: Record<string, ResolvedHandleInput> = {};
    for (const [handleId, input] of Object.entries(replayedHandleInputs(source))) {
      resolved[handleId] = input.type === 'json' ? { type: 'json', data: input.data } : withPages(await this.resolveFile(job.organizationId, input.document, signal), input.pages);
    }
    return resolved;
  }

  /** A file the test cannot use (its blob vanished, another organization's) fails the block, not the run. */
  private async resolveFile(organizationId: string, document: FileDocument, signal: AbortSignal) {
    try {
      return await this.files.resolve(organizationId, document, signal);
    } catch (error) {
      if (error instanceof FileInputError) throw BlockExecutionError.causedBy(error);
      throw error;
    }
  }

  private blocked(
    job: TestJob,
    block: SnapshotBlock | null,
    message: string,
    code = 'block_execution_failed',
    details: Record<string, unknown> = {},
    times: ExecutionTimes = { durationMs: null, executionStartedAt: null },
  ): ResultOutcome {
    const failureCode = code === 'provider_not_configured' || code === 'provider_error' || code === 'execution_error' ? code : 'block_execution_failed';
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
      ...times,
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

type ExecutionTimes = Pick<ResultOutcome, 'durationMs' | 'executionStartedAt'>;

/**
 * How long the block executed and when it began, from when the executor was called (`started`,
 * performance.now()) and the time it reports as its own. An executor that waited for a thread or a
 * process reports its own time, so the wait is left out: it counts as the test's queue time, from
 * the result's creation to `executionStartedAt` (taken as the end less the block's own time).
 */
function executionTimes(started: number, reportedMs: number | undefined): ExecutionTimes {
  const elapsed = performance.now() - started;
  const durationMs = Math.round(Math.min(elapsed, reportedMs ?? elapsed));
  return { durationMs, executionStartedAt: new Date(Date.now() - durationMs).toISOString() };
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
    executionStartedAt: null,
  };
}
