import { ARTIFACT_ID_KINDS, isoNow, newId, scoreRun, type BlockConfig, type ProducedArtifactOperation, type ErrorDetails, type ExperimentBlockType, type HandleInput } from '@verdict/core';
import { FileInputError, type FileService } from '../files/index.js';
import { fromJson, toJson, type Store } from '../store/database.js';
import { allExperimentResultRows, findExperimentRunRow, listLiveExperimentRuns, storedVotesOf, type ExperimentResultRow, type ExperimentRunRow } from '../store/experiments.js';
import {
  finishExperimentResult,
  finishExperimentRun,
  requeueExperimentResults,
  retryExperimentResult,
  startExperimentResult,
  startExperimentRun,
  type ExperimentResultOutcome,
} from '../store/experiment-transitions.js';
import type { SnapshotBlock } from '../store/versions.js';
import { BlockExecutionError, type BlockExecutionOutput, type BlockExecutor, type ResolvedHandleInput } from './blocks/types.js';
import { experimentVotes } from './experiment-votes.js';
import { executeLoopDocument, type ExecuteItem, type LoopBlock } from './experiment-loop.js';
import { artifactOfBlockStep } from './workflow-run/artifacts.js';
import type { HandlePayload } from './workflow-run/payloads.js';

/**
 * Where experiment runs execute: this process's ExperimentExecutor (embedded), or the workers of
 * the distributed executor (DistributedExecutor.experimentRuns). The experiment service calls it
 * after its writes commit.
 */
export interface ExperimentRunDispatch {
  /** Resumes the runs a previous process left live (the workers' sweep does it when distributed). */
  start(): Promise<void>;
  /** A run was created: execute it. */
  submitRun(organizationId: string, runId: string): void;
  /** The run's cancel committed: abort its in-flight model calls wherever they execute. */
  stopRun(runId: string): void;
}

/**
 * Times a document may be started across resumes: a document whose every attempt ended with its
 * process (a worker killed mid-call, again and again) is given up with an error instead of being
 * handed on forever.
 */
export const MAX_DOCUMENT_STARTS = 5;

export interface ExperimentExecutorOptions {
  /** Documents executed at once across every run of this process (the model client's own limit applies beneath). */
  concurrency: number;
  /** Tries of a document whose failure is not its block's (store, files); a block failure is final. */
  maxAttempts?: number;
}

/**
 * Executes experiment runs in this process, with the block executors of test runs (model limiter,
 * retries and cache in the model client beneath them): each document of a run is one block
 * execution with the run's n_consensus, its votes kept. A cancel aborts the run's signal, which
 * every model call honours; results that arrive later are dropped by the store's guarded updates.
 */
export class ExperimentExecutor implements ExperimentRunDispatch {
  private readonly executors = new Map<string, BlockExecutor>();
  private readonly runs = new Map<string, AbortController>();
  private readonly active = new Set<Promise<void>>();
  private readonly waiting: Array<() => void> = [];
  private inFlight = 0;
  private stopped = false;

  constructor(
    private readonly store: Store,
    executors: BlockExecutor[],
    private readonly files: FileService,
    private readonly options: ExperimentExecutorOptions,
  ) {
    for (const executor of executors) for (const type of executor.blockTypes) this.executors.set(type, executor);
  }

  /** Resumes the runs a stopped process left live: their running documents start again. */
  async start(): Promise<void> {
    for (const run of await listLiveExperimentRuns(this.store.db)) this.submitRun(run.organization_id, run.id);
  }

  /**
   * Drives one run to its end in this process; a worker of the distributed executor calls it with
   * its job's signal. Documents a previous holder of the run left running (its process was killed,
   * or it handed the job back) start again; the votes of finished documents are kept. Returns
   * early, the run still live, when `signal` aborts.
   */
  async executeRun(organizationId: string, runId: string, signal: AbortSignal): Promise<void> {
    await this.resume(organizationId, runId);
    await this.execute(organizationId, runId, signal);
  }

  submitRun(organizationId: string, runId: string): void {
    if (this.stopped || this.runs.has(runId)) return;
    const controller = new AbortController();
    this.runs.set(runId, controller);
    const work = this.executeRun(organizationId, runId, controller.signal)
      .catch((error: unknown) => {
        if (!controller.signal.aborted) console.error(`experiment run ${runId} failed to execute`, error);
      })
      .finally(() => {
        this.runs.delete(runId);
        this.active.delete(work);
      });
    this.active.add(work);
  }

  stopRun(runId: string): void {
    this.runs.get(runId)?.abort(new Error(`experiment run ${runId} was cancelled`));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const controller of this.runs.values()) controller.abort(new Error('the server is stopping'));
    await Promise.allSettled([...this.active]);
  }

  private async execute(organizationId: string, runId: string, signal: AbortSignal): Promise<void> {
    const db = this.store.db;
    const run = await findExperimentRunRow(db, organizationId, runId);
    if (!run) return;
    await startExperimentRun(db, organizationId, runId, isoNow());
    const pending = (await allExperimentResultRows(db, organizationId, runId)).filter((result) => result.status === 'pending');
    await Promise.all(pending.map((result) => this.withSlot(signal, () => this.executeDocument(run, result, signal))));
    if (signal.aborted) return;
    const completed = (await allExperimentResultRows(db, organizationId, runId)).filter((result) => result.status === 'completed');
    const { score } = scoreRun(run.block_type as ExperimentBlockType, completed.map(storedVotesOf));
    await finishExperimentRun(db, organizationId, runId, score, isoNow());
  }

  /** Running documents go back to pending, except those started too often, which end with an error. */
  private async resume(organizationId: string, runId: string): Promise<void> {
    const db = this.store.db;
    const run = await findExperimentRunRow(db, organizationId, runId);
    if (!run) return;
    for (const result of await allExperimentResultRows(db, organizationId, runId)) {
      if (result.status !== 'running' || result.attempt < MAX_DOCUMENT_STARTS) continue;
      const cause = new Error(`The document was started ${result.attempt} times and each attempt ended without a result (its process or worker stopped); it is not started again.`);
      await finishExperimentResult(db, organizationId, runId, result.id, failedOutcome(run, cause, 0), isoNow());
    }
    await requeueExperimentResults(db, organizationId, runId);
  }

  /** Waits for one of the process's slots; work whose run was cancelled meanwhile is skipped. */
  private async withSlot(signal: AbortSignal, work: () => Promise<void>): Promise<void> {
    if (this.inFlight >= this.options.concurrency) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.inFlight++;
    try {
      if (!signal.aborted) await work();
    } finally {
      this.inFlight--;
      this.waiting.shift()?.();
    }
  }

  private async executeDocument(run: ExperimentRunRow, result: ExperimentResultRow, signal: AbortSignal): Promise<void> {
    const db = this.store.db;
    const maxAttempts = this.options.maxAttempts ?? 3;
    for (let attempt = 1; ; attempt++) {
      if (signal.aborted || !(await startExperimentResult(db, run.organization_id, run.id, result.id, isoNow()))) return;
      const started = performance.now();
      let outcome: ExperimentResultOutcome;
      try {
        const output = await this.executeBlock(run, result, signal);
        outcome = completedOutcome(run, result, output, Math.round(performance.now() - started));
      } catch (error) {
        if (signal.aborted) return;
        if (!(error instanceof BlockExecutionError) && attempt < maxAttempts) {
          await retryExperimentResult(db, run.organization_id, result.id);
          continue;
        }
        outcome = failedOutcome(run, error, Math.round(performance.now() - started));
      }
      await finishExperimentResult(db, run.organization_id, run.id, result.id, outcome, isoNow());
      return;
    }
  }

  private async executeBlock(run: ExperimentRunRow, result: ExperimentResultRow, signal: AbortSignal): Promise<BlockExecutionOutput> {
    const block = fromJson<SnapshotBlock>(run.block)!;
    const handleInputs = fromJson<Record<string, HandleInput>>(result.handle_inputs) ?? {};
    if (block.type === 'for_each') {
      const input = Object.values(handleInputs).find((handle) => handle.type === 'json');
      const executeItem: ExecuteItem = (body, config, handleId, item) => this.executeOn(run, body, config, JSON.stringify({ [handleId]: { type: 'json', data: item } }), { [handleId]: { type: 'json', data: item } }, signal);
      return executeLoopDocument(block as LoopBlock, run.n_consensus, input?.type === 'json' ? input.data : null, executeItem, signal);
    }
    const config: BlockConfig = { ...(block.config ?? {}), n_consensus: run.n_consensus };
    return this.executeOn(run, block, config, result.handle_inputs, handleInputs, signal);
  }

  /** One execution of a model block on these inputs, with the run's n_consensus in `config`. */
  private executeOn(run: ExperimentRunRow, block: SnapshotBlock, config: BlockConfig, sourceJson: string, handleInputs: Record<string, HandleInput>, signal: AbortSignal): Promise<BlockExecutionOutput> {
    const executor = this.executors.get(block.type);
    if (!executor) throw new BlockExecutionError(`Blocks of type \`${block.type}\` cannot run in an experiment on this server; extract, classifier and split can.`, 'block_execution_failed');
    const inputs = { sourceJson, resolve: () => this.resolveInputs(run.organization_id, handleInputs, signal) };
    return executor.execute({ block: { id: block.id, type: block.type, label: block.label, config, inputSchema: null }, inputs, assertionJson: null, signal, organizationId: run.organization_id });
  }

  private async resolveInputs(organizationId: string, handleInputs: Record<string, HandleInput>, signal: AbortSignal): Promise<Record<string, ResolvedHandleInput>> {
    const resolved: Record<string, ResolvedHandleInput> = {};
    for (const [handleId, input] of Object.entries(handleInputs)) {
      if (input.type === 'json') resolved[handleId] = { type: 'json', data: input.data };
      else {
        try {
          resolved[handleId] = await this.files.resolve(organizationId, input.document as Parameters<FileService['resolve']>[1], signal);
        } catch (error) {
          if (error instanceof FileInputError) throw BlockExecutionError.causedBy(error);
          throw error;
        }
      }
    }
    return resolved;
  }
}

function completedOutcome(run: ExperimentRunRow, result: ExperimentResultRow, output: BlockExecutionOutput, durationMs: number): ExperimentResultOutcome {
  const outputs = output.outputs as Record<string, unknown>;
  const details = output.details ?? {};
  const { votes, ...kept } = details;
  return {
    status: 'completed',
    handleOutputs: toJson(outputs),
    votes: toJson(experimentVotes(run.block_type as ExperimentBlockType, outputs, details)),
    pageCount: typeof details.page_count === 'number' ? details.page_count : null,
    details: toJson({ ...kept, warnings: output.warnings, routing_decision: output.routingDecision, voter_count: Array.isArray(votes) ? votes.length : 1 }),
    errorMessage: null,
    errorDetails: null,
    durationMs,
    artifact: artifactOfResult(run, result, output, durationMs),
  };
}

/**
 * The extraction, classification or split the document's execution produced, shaped as a workflow
 * step's artifact of the same block (GET /v1/workflows/artifacts/{id} serves it, with the
 * experiment run as its run and the result as its step).
 */
function artifactOfResult(run: ExperimentRunRow, result: ExperimentResultRow, output: BlockExecutionOutput, durationMs: number): ExperimentResultOutcome['artifact'] {
  const block = fromJson<SnapshotBlock>(run.block)!;
  const inputs: Record<string, HandlePayload> = {};
  for (const [handleId, input] of Object.entries(fromJson<Record<string, HandleInput>>(result.handle_inputs) ?? {})) {
    const document = (input.type === 'file' ? input.document : {}) as Partial<Record<'id' | 'filename' | 'mime_type', string>>;
    inputs[handleId] = input.type === 'json' ? { type: 'json', data: input.data } : { type: 'file', document: { id: document.id ?? '', filename: document.filename ?? '', mime_type: document.mime_type ?? '' } };
  }
  const artifact = artifactOfBlockStep({ ...block, config: { ...(block.config ?? {}), n_consensus: run.n_consensus } }, inputs, output.outputs as Record<string, unknown>, output, durationMs);
  if (!artifact) return null;
  const operation = artifact.operation as ProducedArtifactOperation;
  return { id: newId(ARTIFACT_ID_KINDS[operation]), operation, body: toJson(artifact.body) };
}

function failedOutcome(run: ExperimentRunRow, error: unknown, durationMs: number): ExperimentResultOutcome {
  const message = error instanceof Error ? error.message : String(error);
  const code = error instanceof BlockExecutionError ? error.code : 'execution_error';
  const details: ErrorDetails = { message, block_id: run.block_id, error_code: code, context: error instanceof BlockExecutionError ? error.details : {} };
  return { status: 'error', handleOutputs: null, votes: null, pageCount: null, details: null, errorMessage: message, errorDetails: toJson(details), durationMs, artifact: null };
}
