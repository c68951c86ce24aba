import {
  blockConfigFingerprint,
  executionFingerprint,
  handleInputsFingerprint,
  isoNow,
  newId,
  upstreamFingerprint,
  type CreateBlockExecutionRequest,
  type HandleInput,
  type StoredBlockExecution,
} from '@verdict/core';
import { createError } from '../../errors/index.js';
import { BLOCK_EXECUTION_TIMEOUT_MS, type BlockExecutionDispatch, type BlockExecutionJob } from '../../execution/workflow-run/block-execution-job.js';
import type { RunContext } from '../../execution/workflow-run/engine.js';
import type { WorkflowRunEngine } from '../../execution/workflow-run/index.js';
import type { HandlePayload } from '../../execution/workflow-run/payloads.js';
import type { Store } from '../../store/database.js';
import { fromJson } from '../../store/database.js';
import type { KeysetRequest } from '../../store/keyset.js';
import { loadSnapshot, snapshotDraft } from '../../store/versions.js';
import { findBlockExecution, insertBlockExecution, listBlockExecutions } from '../../store/workflow-runs/block-executions.js';
import { findWorkflowRunRow, type WorkflowRunRow, type WorkflowStepRow } from '../../store/workflow-runs/reads.js';
import type { WorkflowRunService } from './service.js';

/** Blocks with no inputs of their own to replay, or whose work is the run's own (retab-workflow-model §8). */
const NOT_REPLAYABLE = new Set(['start_json', 'start_document', 'note', 'for_each']);

interface ExecutionSource {
  run: WorkflowRunRow;
  draft: Awaited<ReturnType<typeof snapshotDraft>>;
  block: Awaited<ReturnType<typeof snapshotDraft>>['blocks'][number];
  step: WorkflowStepRow;
}

/**
 * Block executions (retab-workflow-model §8): one block of the current draft re-executed on the
 * inputs a step of a run recorded, without touching the run. Refused with 409 `upstream_changed`
 * when what decides the block's inputs changed since the run (unless `check_eligibility: false`).
 */
export class BlockExecutionService {
  constructor(
    private readonly store: Store,
    private readonly engine: WorkflowRunEngine,
    private readonly runs: WorkflowRunService,
    /** Distributed, the workers execute (an API-only process has no sandbox); null: this process does. */
    private readonly remote: BlockExecutionDispatch | null = null,
  ) {}

  async create(organizationId: string, request: CreateBlockExecutionRequest): Promise<StoredBlockExecution> {
    const source = await this.resolve(organizationId, request.run_id, request.block_id, request.step_id ?? null);
    if (request.check_eligibility) await this.checkEligibility(organizationId, source);
    const job: BlockExecutionJob = { organizationId, runId: source.run.id, blockId: source.block.id, stepId: source.step.step_id, nConsensus: request.n_consensus ?? null, executionId: newId('blockExecution') };
    if (!this.remote) return this.executeAndRecord(job, source, AbortSignal.timeout(BLOCK_EXECUTION_TIMEOUT_MS));
    await this.remote.execute(job);
    const recorded = await findBlockExecution(this.store.db, organizationId, job.executionId);
    if (!recorded) throw createError('workers_unavailable', 'the worker that took it finished without recording it');
    return recorded;
  }

  /**
   * On a worker: executes a block execution an API process queued (its request checked there) and
   * writes its row. A job delivered again after its row was written executes nothing.
   */
  async executeJob(job: BlockExecutionJob, signal: AbortSignal): Promise<void> {
    if (await findBlockExecution(this.store.db, job.organizationId, job.executionId)) return;
    const source = await this.resolve(job.organizationId, job.runId, job.blockId, job.stepId);
    await this.executeAndRecord(job, source, AbortSignal.any([signal, AbortSignal.timeout(BLOCK_EXECUTION_TIMEOUT_MS)]), signal);
  }

  /** The run, the draft's block and the step whose recorded inputs it executes on; 4xx when any is missing or not executable alone. */
  private async resolve(organizationId: string, runId: string, blockId: string, stepId: string | null): Promise<ExecutionSource> {
    const db = this.store.db;
    const run = await findWorkflowRunRow(db, organizationId, runId);
    if (!run) throw createError('workflow_run_not_found', runId);
    const draft = await snapshotDraft(db, organizationId, run.workflow_id);
    const block = draft.blocks.find((candidate) => candidate.id === blockId);
    if (!block) throw createError('block_not_found', `No block \`${blockId}\` in workflow \`${run.workflow_id}\`.`);
    if (NOT_REPLAYABLE.has(block.type)) {
      const message = `a ${block.type} block cannot be executed on its own; execute the blocks inside or below it`;
      throw createError('validation_error', `Block \`${block.id}\`: ${message}.`, { issues: [{ path: 'body.block_id', message }] });
    }
    const step = await this.runs.stepOfBlock(organizationId, run.id, block.id, stepId, 'body.step_id');
    return { run, draft, block, step };
  }

  private async checkEligibility(organizationId: string, { run, draft, block }: ExecutionSource): Promise<void> {
    const recorded = await loadSnapshot(this.store.db, organizationId, run.workflow_id, run.version_id);
    const then = recorded ? upstreamFingerprint(recorded.blocks, recorded.edges, block.id) : null;
    const now = upstreamFingerprint(draft.blocks, draft.edges, block.id);
    if (then !== now) throw createError('upstream_changed', block.id, run.id, { reason: 'upstream_changed', run_upstream_fingerprint: then, draft_upstream_fingerprint: now });
  }

  /** Executes the block and writes its row, whole; nothing is written when `stopped` aborts (a worker handing the job back). */
  private async executeAndRecord(job: BlockExecutionJob, { run, draft, block, step }: ExecutionSource, signal: AbortSignal, stopped?: AbortSignal): Promise<StoredBlockExecution> {
    const organizationId = job.organizationId;
    const inputs = fromJson<Record<string, HandlePayload>>(step.handle_inputs)!;
    const config = job.nConsensus ? { ...(block.config ?? {}), n_consensus: job.nConsensus } : block.config;
    const context: RunContext = { runId: run.id, organizationId, workflowId: run.workflow_id, snapshot: draft, inputs: fromJson<RunContext['inputs']>(run.inputs)!, signal };
    const startedAt = isoNow();
    const started = performance.now();
    let lifecycle: StoredBlockExecution['lifecycle'];
    let outputs: Record<string, HandlePayload> | null = null;
    try {
      const output = await this.engine.executeBlock(context, { ...block, config }, inputs, context.signal);
      outputs = output.outputs;
      lifecycle = { status: 'completed' };
    } catch (error) {
      lifecycle = { status: 'error', message: error instanceof Error ? error.message : String(error) };
    }
    stopped?.throwIfAborted();
    const routing = outputs ? Object.keys(outputs) : null;
    const blockFingerprint = blockConfigFingerprint({ ...block, config });
    const inputsFingerprint = handleInputsFingerprint(inputs as Record<string, HandleInput>);
    const execution: StoredBlockExecution = {
      id: job.executionId,
      workflow_id: run.workflow_id,
      workflow_version_id: draft.versionId,
      run_id: run.id,
      source_run_id: run.id,
      step_id: step.step_id,
      source_step_id: step.step_id,
      block_id: block.id,
      block_type: block.type,
      lifecycle,
      handle_inputs: inputs,
      handle_outputs: outputs,
      // An execution writes nothing into the run, its artifacts included.
      artifact: null,
      routing_decision: routing,
      routing_decisions: routing,
      duration_ms: Math.round(performance.now() - started),
      created_at: startedAt,
      started_at: startedAt,
      completed_at: isoNow(),
      handle_inputs_fingerprint: inputsFingerprint,
      workflow_draft_fingerprint: draft.draftFingerprint,
      block_config_fingerprint: blockFingerprint,
      block_execution_fingerprint: blockFingerprint,
      execution_fingerprint: executionFingerprint({ handle_inputs_fingerprint: inputsFingerprint, block_config_fingerprint: blockFingerprint, workflow_draft_fingerprint: draft.draftFingerprint }),
      block_config: config ?? null,
      available_iterations: null,
    };
    await insertBlockExecution(this.store.db, organizationId, execution);
    return execution;
  }

  async list(organizationId: string, runId: string, blockId: string, page: KeysetRequest) {
    return listBlockExecutions(this.store.db, organizationId, runId, blockId, page);
  }
}
