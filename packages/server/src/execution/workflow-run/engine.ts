import { ARTIFACT_ID_KINDS, isoNow, newId, upstreamJsonSchema, type ErrorDetails, type ProducedArtifactOperation } from '@verdict/core';
import type { FileService } from '../../files/index.js';
import type { Store } from '../../store/database.js';
import { fromJson, toJson } from '../../store/database.js';
import { loadSnapshot, type SnapshotBlock, type WorkflowSnapshot } from '../../store/versions.js';
import { listLiveWorkflowRunIds, listStepsOfRun, type WorkflowStepRow } from '../../store/workflow-runs/reads.js';
import { finishWorkflowRun, recordWorkflowStep, startWorkflowRun } from '../../store/workflow-runs/transitions.js';
import { BlockExecutionError, type BlockExecutor } from '../blocks/types.js';
import { executeBlockStep, type BlockStepOutput } from './block-step.js';
import { levelOf, readinessOf, type GraphLevel, type SettledStep } from './graph.js';
import type { HandlePayload } from './payloads.js';

export interface LoopContainer {
  container_id: string;
  iteration: number;
  is_parallel: boolean;
  parallel_item_index: number | null;
}

/** Where a step runs: its loop containers (outermost first) and the prefix of its step id. */
export interface StepScope {
  loopContainers: LoopContainer[];
  stepIdPrefix: string;
}

const TOP_LEVEL: StepScope = { loopContainers: [], stepIdPrefix: '' };

/** A block of a run failed: the run errors, naming the step. */
export class StepFailure extends Error {
  constructor(
    readonly stepId: string,
    readonly blockId: string,
    message: string,
    readonly details: ErrorDetails,
  ) {
    super(message);
  }
}

/** Everything one executing run shares. */
export interface RunContext {
  runId: string;
  organizationId: string;
  workflowId: string;
  snapshot: WorkflowSnapshot;
  inputs: { documents: Record<string, { id: string; filename: string; mime_type: string }>; json_data: Record<string, unknown> };
  signal: AbortSignal;
  /** Steps recorded before (a resumed run): they are not executed again. */
  recorded: Map<string, WorkflowStepRow>;
  stepsRecorded: number;
}

/**
 * What a block of a type the engine does not run through a BlockExecutor does (conditional,
 * merge_dicts, for_each, start blocks): given its inputs, its outputs and artifact.
 */
export type ControlBlockRunner = (block: SnapshotBlock, inputs: Record<string, HandlePayload>, run: RunContext, scope: StepScope, engine: WorkflowRunEngine) => Promise<BlockStepOutput>;

export interface WorkflowRunEngineOptions {
  /** Steps one run may record, all iterations counted. */
  maxSteps: number;
  /** Blocks of one level of one run that execute at once. */
  concurrencyPerRun: number;
}

/**
 * Executes workflow runs in this process: blocks in dependency order, independent branches at
 * once, each step recorded as it settles. A cancel aborts the run's signal (every executor honours
 * it) after the store has decided; the store records nothing into a run that is no longer live.
 * A run found live at start (the previous process stopped) resumes: its recorded steps are kept
 * and only the rest execute.
 */
export class WorkflowRunEngine {
  private readonly executors = new Map<string, BlockExecutor>();
  private readonly inFlight = new Map<string, { controller: AbortController; done: Promise<void> }>();
  private stopped = false;

  constructor(
    private readonly store: Store,
    executors: BlockExecutor[],
    private readonly files: FileService,
    private readonly controls: ReadonlyMap<string, ControlBlockRunner>,
    private readonly options: WorkflowRunEngineOptions,
  ) {
    for (const executor of executors) for (const type of executor.blockTypes) this.executors.set(type, executor);
  }

  /** Block types a run of this process can execute: a run with any other block is refused at creation. */
  executableTypes(): Set<string> {
    return new Set([...this.executors.keys(), ...this.controls.keys()]);
  }

  async start(): Promise<void> {
    for (const runId of await listLiveWorkflowRunIds(this.store.db)) this.submit(runId);
  }

  submit(runId: string): void {
    if (this.stopped || this.inFlight.has(runId)) return;
    const controller = new AbortController();
    const done = this.execute(runId, controller.signal)
      .catch(() => undefined)
      .finally(() => this.inFlight.delete(runId));
    this.inFlight.set(runId, { controller, done });
  }

  /** The run was cancelled (already committed): abort its in-flight steps. */
  stop(runId: string): void {
    this.inFlight.get(runId)?.controller.abort(new DOMException('The workflow run was cancelled.', 'AbortError'));
  }

  /** Stops executing: in-flight runs stay live in the store and resume at the next start. */
  async close(): Promise<void> {
    this.stopped = true;
    const runs = [...this.inFlight.values()];
    for (const run of runs) run.controller.abort(new DOMException('The server is stopping.', 'AbortError'));
    await Promise.all(runs.map((run) => run.done));
  }

  private async execute(runId: string, signal: AbortSignal): Promise<void> {
    const db = this.store.db;
    const row = await db.selectFrom('workflow_runs').selectAll().where('id', '=', runId).executeTakeFirst();
    if (!row || (row.status !== 'pending' && row.status !== 'running')) return;
    const snapshot = await loadSnapshot(db, row.organization_id, row.workflow_id, row.version_id);
    if (!snapshot) {
      await this.fail(runId, 'registry_lookup', `The workflow version ${row.version_id} of this run is missing from the store.`, null, {});
      return;
    }
    if (!(await startWorkflowRun(db, runId, isoNow()))) return;
    const recorded = new Map((await listStepsOfRun(db, runId)).map((step) => [step.step_id, step]));
    const run: RunContext = {
      runId,
      organizationId: row.organization_id,
      workflowId: row.workflow_id,
      snapshot,
      inputs: fromJson<RunContext['inputs']>(row.inputs)!,
      signal,
      recorded,
      stepsRecorded: recorded.size,
    };
    try {
      await this.runLevel(run, levelOf(snapshot, null), TOP_LEVEL, new Map());
      if (signal.aborted) return;
      await finishWorkflowRun(db, runId, { status: 'completed' }, isoNow());
    } catch (error) {
      if (signal.aborted) return;
      if (error instanceof StepFailure) await this.fail(runId, 'execution', error.message, error.stepId, error.details);
      else await this.fail(runId, 'execution', `The run failed: ${(error as Error).message}`, null, {});
    }
  }

  private async fail(runId: string, stage: string, message: string, failingStepId: string | null, details: ErrorDetails): Promise<void> {
    const error = { message, stage, category: 'permanent', details, failing_step_id: failingStepId };
    await finishWorkflowRun(this.store.db, runId, { status: 'error', errorJson: toJson(error) }, isoNow());
  }

  /**
   * Executes the blocks of one level (the top level, or one iteration of a loop body) until each
   * has settled. `entry` holds payloads given to the level from outside (a loop's item), by block.
   * Returns each block's settled step. The first failure stops scheduling; steps in flight finish
   * (and are recorded) before the failure is thrown.
   */
  async runLevel(run: RunContext, level: GraphLevel, scope: StepScope, entry: ReadonlyMap<string, Record<string, HandlePayload>>): Promise<Map<string, SettledStep>> {
    const settled = new Map<string, SettledStep>();
    const waiting = new Set(level.blocks.map((block) => block.id));
    const running = new Map<string, Promise<void>>();
    let failure: StepFailure | null = null;
    const blocks = new Map(level.blocks.map((block) => [block.id, block]));
    for (;;) {
      run.signal.throwIfAborted();
      if (!failure) {
        for (const blockId of [...waiting]) {
          if (running.size >= this.options.concurrencyPerRun) break;
          const block = blocks.get(blockId)!;
          const readiness = readinessOf(block, level, settled);
          if (readiness.kind === 'waiting') continue;
          waiting.delete(blockId);
          if (readiness.kind === 'skip') {
            settled.set(blockId, { status: 'skipped', outputs: {} });
            await this.recordSkipped(run, block, scope, readiness.reason);
            continue;
          }
          const inputs = { ...readiness.inputs, ...(entry.get(blockId) ?? {}) };
          const step = this.runStep(run, block, inputs, scope).then(
            (outputs) => {
              settled.set(blockId, { status: 'completed', outputs });
            },
            (error: unknown) => {
              settled.set(blockId, { status: 'error', outputs: {} });
              if (error instanceof StepFailure) failure ??= error;
              else throw error;
            },
          );
          running.set(blockId, step.finally(() => running.delete(blockId)));
        }
      }
      if (running.size === 0) break;
      await Promise.race(running.values());
    }
    if (failure) throw failure;
    run.signal.throwIfAborted();
    if (waiting.size > 0) {
      // Blocks whose inputs never settle (a cycle the graph rules should have refused).
      const [blockId] = waiting;
      throw new StepFailure(scope.stepIdPrefix + blockId, blockId, `Block \`${blockId}\` never became ready: its inputs form a cycle.`, { block_id: blockId });
    }
    return settled;
  }

  /** Executes one block (or reuses its step recorded before a restart) and records its step. */
  private async runStep(run: RunContext, block: SnapshotBlock, inputs: Record<string, HandlePayload>, scope: StepScope): Promise<Record<string, HandlePayload>> {
    const stepId = scope.stepIdPrefix + block.id;
    const earlier = run.recorded.get(stepId);
    if (earlier) {
      if (earlier.status === 'completed') return fromJson<Record<string, HandlePayload>>(earlier.handle_outputs)!;
      const lifecycle = fromJson<{ message?: string; details?: ErrorDetails }>(earlier.lifecycle)!;
      throw new StepFailure(stepId, block.id, lifecycle.message ?? `Step \`${stepId}\` failed.`, lifecycle.details ?? {});
    }
    this.countStep(run, stepId, block.id);
    const startedAt = isoNow();
    let output: BlockStepOutput;
    try {
      output = await this.executeBlock(run, block, inputs, scope);
    } catch (error) {
      run.signal.throwIfAborted();
      if (error instanceof StepFailure) throw error;
      const message = error instanceof Error ? error.message : String(error);
      const code = error instanceof BlockExecutionError ? error.code : 'block_execution_failed';
      const context = error instanceof BlockExecutionError ? error.details : {};
      const details: ErrorDetails = { message, block_id: block.id, block_name: block.label, error_code: code, context };
      const lifecycle = { status: 'error', message, stage: 'execution', category: 'permanent', details };
      await this.record(run, block, scope, { lifecycle, inputs, outputs: {}, startedAt, artifact: null, model: null });
      throw new StepFailure(stepId, block.id, `Block \`${block.id}\` (${block.label}) failed: ${message}`, details);
    }
    run.signal.throwIfAborted();
    await this.record(run, block, scope, { lifecycle: { status: 'completed' }, inputs, outputs: output.outputs, startedAt, artifact: output.artifact, model: output.model });
    return output.outputs;
  }

  private countStep(run: RunContext, stepId: string, blockId: string): void {
    run.stepsRecorded += 1;
    if (run.stepsRecorded > this.options.maxSteps) {
      throw new StepFailure(stepId, blockId, `The run reached its limit of ${this.options.maxSteps} steps.`, { block_id: blockId, error_code: 'too_many_steps' });
    }
  }

  private async executeBlock(run: RunContext, block: SnapshotBlock, inputs: Record<string, HandlePayload>, scope: StepScope): Promise<BlockStepOutput> {
    const control = this.controls.get(block.type);
    if (control) return control(block, inputs, run, scope, this);
    const executor = this.executors.get(block.type);
    if (!executor) throw new BlockExecutionError(`Blocks of type \`${block.type}\` are not executed by this server.`, 'block_execution_failed');
    const inputSchema = block.type === 'function' ? upstreamJsonSchema(run.snapshot, block.id) : null;
    return executeBlockStep(executor, block, inputs, { organizationId: run.organizationId, inputSchema, signal: run.signal, files: this.files });
  }

  private async recordSkipped(run: RunContext, block: SnapshotBlock, scope: StepScope, reason: string): Promise<void> {
    const stepId = scope.stepIdPrefix + block.id;
    if (run.recorded.has(stepId)) return;
    this.countStep(run, stepId, block.id);
    await this.record(run, block, scope, { lifecycle: { status: 'skipped', reason }, inputs: {}, outputs: {}, startedAt: null, artifact: null, model: null });
  }

  private async record(
    run: RunContext,
    block: SnapshotBlock,
    scope: StepScope,
    step: {
      lifecycle: Record<string, unknown> & { status: string };
      inputs: Record<string, HandlePayload>;
      outputs: Record<string, HandlePayload>;
      startedAt: string | null;
      artifact: BlockStepOutput['artifact'];
      model: string | null;
    },
  ): Promise<void> {
    const now = isoNow();
    const stepId = scope.stepIdPrefix + block.id;
    const artifactId = step.artifact ? newId(ARTIFACT_ID_KINDS[step.artifact.operation as ProducedArtifactOperation]) : null;
    const recorded = await recordWorkflowStep(
      this.store.db,
      {
        // Step ids are unique within a run only: the row's own id is the lists' cursor.
        id: newId('workflowRun'),
        organization_id: run.organizationId,
        workflow_id: run.workflowId,
        run_id: run.runId,
        step_id: stepId,
        block_id: block.id,
        block_type: block.type,
        block_label: block.label,
        status: step.lifecycle.status,
        lifecycle: toJson(step.lifecycle),
        loop_containers: toJson(scope.loopContainers),
        handle_inputs: toJson(step.inputs),
        handle_outputs: toJson(step.outputs),
        artifact_operation: step.artifact?.operation ?? null,
        artifact_id: artifactId,
        model: step.model,
        retry_count: 0,
        created_at: step.startedAt ?? now,
        started_at: step.startedAt,
        completed_at: now,
      },
      step.artifact && artifactId
        ? {
            id: artifactId,
            organization_id: run.organizationId,
            workflow_id: run.workflowId,
            run_id: run.runId,
            step_id: stepId,
            block_id: block.id,
            operation: step.artifact.operation,
            body: toJson(step.artifact.body),
            created_at: now,
          }
        : null,
    );
    // The run is no longer live (cancelled): nothing more of it executes.
    if (!recorded) run.signal.throwIfAborted();
  }
}
