import {
  ARTIFACT_ID_KINDS,
  isoNow,
  newId,
  planRun,
  resumeRun,
  RunScheduler,
  upstreamJsonSchema,
  type ErrorDetails,
  type PlanResult,
  type ProducedArtifactOperation,
  type RecordedStep,
  type RunGraph,
  type RunPlan,
  type ScheduledStep,
  type SchedulerEvent,
  type SchedulerStepStatus,
  type SchedulerUpdate,
} from '@verdict/core';
import type { FileService } from '../../files/index.js';
import type { Store } from '../../store/database.js';
import { fromJson, toJson } from '../../store/database.js';
import { loadSnapshot, type SnapshotBlock, type WorkflowSnapshot } from '../../store/versions.js';
import { listAllLiveWorkflowRuns, listStepsOfRun, type WorkflowStepRow } from '../../store/workflow-runs/reads.js';
import { WorkflowStepRecorder } from '../../store/workflow-runs/step-recorder.js';
import { finishWorkflowRun, startWorkflowRun } from '../../store/workflow-runs/transitions.js';
import { BlockExecutionError, type BlockExecutor } from '../blocks/types.js';
import { executeBlockStep, type BlockStepOutput } from './block-step.js';
import type { HandlePayload } from './payloads.js';
import { RunAdmission } from './run-admission.js';

/** Everything one executing run shares. */
export interface RunContext {
  runId: string;
  organizationId: string;
  workflowId: string;
  snapshot: WorkflowSnapshot;
  inputs: { documents: Record<string, { id: string; filename: string; mime_type: string }>; json_data: Record<string, unknown> };
  signal: AbortSignal;
}

/** What a block the engine runs itself does (start blocks, conditional, merge_dicts): given its inputs, its outputs and artifact. */
export type ControlBlockRunner = (block: SnapshotBlock, inputs: Record<string, HandlePayload>, run: RunContext) => Promise<BlockStepOutput>;

/**
 * Times a run may be started, resumes included: a run whose every attempt ended with its process
 * (a crash, a worker killed) is given up with an error instead of being handed on forever.
 */
export const MAX_RUN_ATTEMPTS = 5;
/** Run plans the engine keeps (each of a stored version and a set of start inputs); beyond it they are all dropped. */
const MAX_CACHED_PLANS = 1000;

export interface WorkflowRunEngineOptions {
  /** Steps of one run that execute at once. */
  concurrencyPerRun: number;
  /** Runs this process executes at once (submitted ones, not a worker's jobs): the rest wait `pending`, in their organization's line. */
  maxRunningRuns: number;
}

/** What a run's plan is made from: its snapshot, and the start blocks its inputs name. */
export function planOfSnapshot(snapshot: WorkflowSnapshot, given: { documents: string[]; json_inputs: string[] }): PlanResult {
  const graph: RunGraph = { blocks: snapshot.blocks, edges: snapshot.edges };
  return planRun(graph, given);
}

type StepLifecycle = Record<string, unknown> & { status: string };

interface StepRecord {
  lifecycle: StepLifecycle;
  inputs: Record<string, HandlePayload>;
  outputs: Record<string, HandlePayload>;
  startedAt: string | null;
  artifact: BlockStepOutput['artifact'];
  model: string | null;
}

/**
 * Where workflow runs execute: the engine of this process (embedded), or the workers of the
 * distributed executor (DistributedExecutor.workflowRuns). The run service calls it after it commits.
 */
export interface WorkflowRunDispatch {
  /** The cancel reaches the run through Redis (the workers execute it): Retab's `redis_available`. */
  readonly viaRedis: boolean;
  /** Resumes the runs a previous process left live (the workers' sweep does it when distributed). */
  start(): Promise<void>;
  /** A run was created: execute it. */
  submit(runId: string, organizationId: string): void;
  /** The run's cancel committed: abort its in-flight steps wherever they execute. */
  stop(runId: string): void;
}

/**
 * Executes workflow runs in this process. The core's RunScheduler decides what runs when (blocks in
 * dependency order, independent branches and loop iterations at once, skips below untaken branches,
 * for_each iterations and their reduction); the engine executes what it asks for, on the block
 * executors of test runs, and records each step as it settles. A cancel aborts the run's signal
 * (every executor honours it) after the store has decided; the store records nothing into a run
 * that is no longer live. A run found live at start (its process stopped) resumes: the steps it
 * recorded are replayed into the scheduler instead of executing again.
 */
export class WorkflowRunEngine implements WorkflowRunDispatch {
  private readonly executors = new Map<string, BlockExecutor>();
  private readonly inFlight = new Map<string, { controller: AbortController; done: Promise<void> }>();
  private readonly steps: WorkflowStepRecorder;
  /**
   * Plans by stored version and start inputs: a version id names one stored snapshot, which never
   * changes, and planning it again for every run was a tenth of the engine's time.
   */
  private readonly plans = new Map<string, PlanResult>();
  private readonly admission: RunAdmission;
  private stopped = false;
  readonly viaRedis = false;

  constructor(
    private readonly store: Store,
    executors: BlockExecutor[],
    private readonly files: FileService,
    private readonly controls: ReadonlyMap<string, ControlBlockRunner>,
    private readonly options: WorkflowRunEngineOptions,
  ) {
    for (const executor of executors) for (const type of executor.blockTypes) this.executors.set(type, executor);
    this.steps = new WorkflowStepRecorder(store.db);
    this.admission = new RunAdmission(options.maxRunningRuns, (runId, organizationId) => this.begin(runId, organizationId));
  }

  async start(): Promise<void> {
    for (const run of await listAllLiveWorkflowRuns(this.store.db)) this.submit(run.id, run.organization_id);
  }

  /** Executes the run when a place is free (RunAdmission); until then it stays `pending`. */
  submit(runId: string, organizationId: string): void {
    if (this.stopped || this.inFlight.has(runId)) return;
    this.admission.submit(runId, organizationId);
  }

  /** Runs waiting for a place in this process. */
  get waitingRuns(): number {
    return this.admission.waiting;
  }

  private begin(runId: string, organizationId: string): void {
    const controller = new AbortController();
    const done = this.execute(runId, controller.signal)
      .catch(() => undefined)
      .finally(() => {
        this.inFlight.delete(runId);
        this.admission.finished(organizationId);
      });
    this.inFlight.set(runId, { controller, done });
  }

  /** The run was cancelled (already committed): out of its line if it waits, else its in-flight steps abort. */
  stop(runId: string): void {
    if (this.admission.withdraw(runId)) return;
    this.inFlight.get(runId)?.controller.abort(new DOMException('The workflow run was cancelled.', 'AbortError'));
  }

  /** Stops executing: in-flight and waiting runs stay live in the store and resume at the next start. */
  async close(): Promise<void> {
    this.stopped = true;
    this.admission.clear();
    const runs = [...this.inFlight.values()];
    for (const run of runs) run.controller.abort(new DOMException('The server is stopping.', 'AbortError'));
    await Promise.all(runs.map((run) => run.done));
  }

  /**
   * Drives one run to its end in this process (a worker of the distributed executor calls it with
   * its job's signal). Returns early, the run still live, when `signal` aborts or when another
   * process recorded a step this one executed (it drives the run now).
   */
  async execute(runId: string, signal: AbortSignal): Promise<void> {
    const db = this.store.db;
    const row = await db.selectFrom('workflow_runs').selectAll().where('id', '=', runId).executeTakeFirst();
    if (!row || (row.status !== 'pending' && row.status !== 'running')) return;
    if (row.attempts >= MAX_RUN_ATTEMPTS) {
      const message = `The run was started ${row.attempts} times and each attempt ended without finishing it (its process or worker stopped); it is not started again.`;
      return this.finishWithError(runId, 'execution', message, null);
    }
    const snapshot = await loadSnapshot(db, row.organization_id, row.workflow_id, row.version_id);
    if (!snapshot) return this.finishWithError(runId, 'registry_lookup', `The workflow version ${row.version_id} of this run is missing from the store.`, null);
    const inputs = fromJson<RunContext['inputs']>(row.inputs)!;
    const planned = this.planOf(row, snapshot, { documents: Object.keys(inputs.documents), json_inputs: Object.keys(inputs.json_data) });
    if (!planned.ok) return this.finishWithError(runId, 'registry_lookup', planned.problems.map((problem) => problem.message).join(' '), null);
    if (!(await startWorkflowRun(db, runId, isoNow()))) return;
    const { scheduler, update } = schedulerOf(planned.plan, await listStepsOfRun(db, runId));
    const superseded = new AbortController();
    const driving = AbortSignal.any([signal, superseded.signal]);
    const run: RunContext = { runId, organizationId: row.organization_id, workflowId: row.workflow_id, snapshot, inputs, signal: driving };
    const outcome = await new RunExecution(this, run, scheduler, this.options.concurrencyPerRun, superseded).drive(update);
    if (driving.aborted) return;
    if (outcome.status === 'completed') await finishWorkflowRun(db, runId, { status: 'completed' }, isoNow());
    else if (outcome.status === 'error') await this.finishWithError(runId, 'execution', outcome.message, outcome.failingStepId);
  }

  private planOf(run: { organization_id: string; workflow_id: string; version_id: string }, snapshot: WorkflowSnapshot, given: { documents: string[]; json_inputs: string[] }): PlanResult {
    const key = JSON.stringify([run.organization_id, run.workflow_id, run.version_id, given.documents, given.json_inputs]);
    let planned = this.plans.get(key);
    if (planned === undefined) {
      planned = planOfSnapshot(snapshot, given);
      if (this.plans.size >= MAX_CACHED_PLANS) this.plans.clear();
      this.plans.set(key, planned);
    }
    return planned;
  }

  private async finishWithError(runId: string, stage: string, message: string, failingStepId: string | null): Promise<void> {
    const error = { message, stage, category: 'permanent', details: null, failing_step_id: failingStepId };
    await finishWorkflowRun(this.store.db, runId, { status: 'error', errorJson: toJson(error) }, isoNow());
  }

  /** Runs one block on its executor, or the engine's own runner for the blocks that only move data. */
  async executeBlock(run: RunContext, block: SnapshotBlock, inputs: Record<string, HandlePayload>, signal: AbortSignal): Promise<BlockStepOutput> {
    const control = this.controls.get(block.type);
    if (control) return control(block, inputs, run);
    const executor = this.executors.get(block.type);
    if (!executor) throw new BlockExecutionError(`Blocks of type \`${block.type}\` are not executed by this process (a function block needs the sandbox of a worker).`, 'block_execution_failed');
    const inputSchema = block.type === 'function' ? upstreamJsonSchema(run.snapshot, block.id) : null;
    return executeBlockStep(executor, block, inputs, { organizationId: run.organizationId, inputSchema, signal, files: this.files });
  }

  /** Writes a settled step (and its artifact) into the run; false when the run is no longer live or the step was recorded already. */
  async record(run: RunContext, step: ScheduledStep, record: StepRecord): Promise<boolean> {
    const now = isoNow();
    const artifactId = record.artifact ? newId(ARTIFACT_ID_KINDS[record.artifact.operation as ProducedArtifactOperation]) : null;
    return this.steps.record({
      step: {
        // Step ids are unique within a run only: the row's own id is the lists' cursor.
        id: newId('workflowRun'),
        organization_id: run.organizationId,
        workflow_id: run.workflowId,
        run_id: run.runId,
        step_id: step.stepId,
        block_id: step.blockId,
        block_type: step.blockType,
        block_label: step.blockLabel,
        status: record.lifecycle.status,
        lifecycle: toJson(record.lifecycle),
        loop_containers: toJson(step.loopContainers),
        handle_inputs: toJson(record.inputs),
        handle_outputs: toJson(record.outputs),
        artifact_operation: record.artifact?.operation ?? null,
        artifact_id: artifactId,
        model: record.model,
        retry_count: 0,
        created_at: record.startedAt ?? now,
        started_at: record.startedAt,
        completed_at: now,
      },
      artifact:
        record.artifact && artifactId
          ? {
              id: artifactId,
              organization_id: run.organizationId,
              workflow_id: run.workflowId,
              run_id: run.runId,
              step_id: step.stepId,
              block_id: step.blockId,
              operation: record.artifact.operation,
              body: toJson(record.artifact.body),
              created_at: now,
            }
          : null,
    });
  }
}

const emptyStep = { outputs: {}, artifact: null, model: null } as const;

/** One run being driven: the scheduler's events handled in order, at most `concurrency` blocks executing. */
class RunExecution {
  private readonly blocks: Map<string, SnapshotBlock>;
  private readonly executing = new Map<string, AbortController>();
  private readonly waiting: { step: ScheduledStep; inputs: Record<string, HandlePayload> }[] = [];
  private readonly loopStarts = new Map<string, { inputs: Record<string, HandlePayload>; startedAt: string }>();
  private readonly tasks = new Set<Promise<void>>();
  /** Updates are applied one at a time: a step's outcome may arrive while another's events are being recorded. */
  private applying: Promise<void> = Promise.resolve();
  private outcome: SchedulerUpdate['outcome'] = { status: 'running' };

  constructor(
    private readonly engine: WorkflowRunEngine,
    private readonly run: RunContext,
    private readonly scheduler: RunScheduler,
    private readonly concurrency: number,
    /** Aborted when a step this execution ran could not be recorded: the run ended, or another process drives it. */
    private readonly superseded: AbortController,
  ) {
    this.blocks = new Map(run.snapshot.blocks.map((block) => [block.id, block]));
  }

  /** Handles `first` (the scheduler's start, or what a resumed run still lacks), then every step's outcome until the run ends. */
  async drive(first: SchedulerUpdate): Promise<SchedulerUpdate['outcome']> {
    const onAbort = () => {
      for (const controller of this.executing.values()) controller.abort(this.run.signal.reason);
    };
    this.run.signal.addEventListener('abort', onAbort, { once: true });
    try {
      await this.apply(() => first);
      while (this.tasks.size > 0) await Promise.race(this.tasks);
      await this.applying;
      return this.outcome;
    } finally {
      this.run.signal.removeEventListener('abort', onAbort);
    }
  }

  private apply(call: () => SchedulerUpdate): Promise<void> {
    this.applying = this.applying.then(async () => {
      if (this.run.signal.aborted) return;
      const update = call();
      this.outcome = update.outcome;
      for (const event of update.events) await this.handle(event);
      this.startWaiting();
    });
    return this.applying;
  }

  private async handle(event: SchedulerEvent): Promise<unknown> {
    const startedAt = isoNow();
    switch (event.kind) {
      case 'created':
        return;
      case 'execute':
        this.waiting.push({ step: event.step, inputs: event.handleInputs });
        return;
      case 'skipped':
        return this.engine.record(this.run, event.step, { ...emptyStep, lifecycle: { status: 'skipped', reason: event.reason }, inputs: {}, startedAt: null });
      case 'loop_started':
        this.loopStarts.set(event.step.stepId, { inputs: event.handleInputs, startedAt });
        return;
      case 'loop_completed': {
        const start = this.loopStarts.get(event.step.stepId);
        return this.engine.record(this.run, event.step, { ...emptyStep, lifecycle: { status: 'completed' }, inputs: start?.inputs ?? {}, outputs: event.handleOutputs, startedAt: start?.startedAt ?? null });
      }
      case 'failed': {
        const start = this.loopStarts.get(event.step.stepId);
        const lifecycle = stepError(event.step, event.message, 'block_execution_failed', {});
        return this.engine.record(this.run, event.step, { ...emptyStep, lifecycle, inputs: start?.inputs ?? {}, startedAt });
      }
      case 'cancelled': {
        // Another step failed: what is still executing stops, and every unfinished step says why.
        this.executing.get(event.step.stepId)?.abort(new DOMException(event.reason, 'AbortError'));
        this.dropWaiting(event.step.stepId);
        return this.engine.record(this.run, event.step, { ...emptyStep, lifecycle: { status: 'cancelled', reason: event.reason }, inputs: {}, startedAt: null });
      }
    }
  }

  private dropWaiting(stepId: string): void {
    const index = this.waiting.findIndex((entry) => entry.step.stepId === stepId);
    if (index >= 0) this.waiting.splice(index, 1);
  }

  private startWaiting(): void {
    while (this.waiting.length > 0 && this.executing.size < this.concurrency && !this.run.signal.aborted) {
      const { step, inputs } = this.waiting.shift()!;
      const controller = new AbortController();
      this.executing.set(step.stepId, controller);
      const task: Promise<void> = this.executeStep(step, inputs, controller.signal).finally(() => {
        this.executing.delete(step.stepId);
        this.tasks.delete(task);
      });
      this.tasks.add(task);
    }
  }

  /** Executes one step, records it, and reports it to the scheduler. */
  private async executeStep(step: ScheduledStep, inputs: Record<string, HandlePayload>, signal: AbortSignal): Promise<void> {
    const block = this.blocks.get(step.blockId)!;
    const startedAt = isoNow();
    let output: BlockStepOutput;
    try {
      output = await this.engine.executeBlock(this.run, block, inputs, signal);
    } catch (error) {
      if (signal.aborted) return;
      const message = error instanceof Error ? error.message : String(error);
      const code = error instanceof BlockExecutionError ? error.code : 'block_execution_failed';
      const context = error instanceof BlockExecutionError ? error.details : {};
      if (!(await this.recordExecuted(step, { ...emptyStep, lifecycle: stepError(step, message, code, context), inputs, startedAt }))) return;
      return this.apply(() => this.scheduler.fail(step.stepId, `Block \`${step.blockId}\` (${step.blockLabel}) failed: ${message}`));
    }
    if (signal.aborted) return;
    if (!(await this.recordExecuted(step, { lifecycle: { status: 'completed' }, inputs, outputs: output.outputs, startedAt, artifact: output.artifact, model: output.model }))) return;
    return this.apply(() => this.scheduler.complete(step.stepId, output.outputs));
  }

  /**
   * A step this execution ran that cannot be recorded was recorded by another process driving the
   * same run (a worker that lost its job while still alive), or the run ended: this execution stops,
   * so that what follows is computed from the recorded step alone.
   */
  private async recordExecuted(step: ScheduledStep, record: StepRecord): Promise<boolean> {
    const recorded = await this.engine.record(this.run, step, record);
    if (!recorded) this.superseded.abort(new DOMException('The step was recorded by another execution of the run, or the run ended.', 'AbortError'));
    return recorded;
  }
}

/** A new run's scheduler, or an interrupted run's rebuilt from the steps it recorded (core resumeRun). */
function schedulerOf(plan: RunPlan, recordedRows: WorkflowStepRow[]): { scheduler: RunScheduler; update: SchedulerUpdate } {
  if (recordedRows.length === 0) {
    const scheduler = new RunScheduler(plan);
    return { scheduler, update: scheduler.start() };
  }
  const recorded: RecordedStep[] = recordedRows.map((row) => ({
    stepId: row.step_id,
    status: row.status as SchedulerStepStatus,
    handleOutputs: fromJson<Record<string, HandlePayload>>(row.handle_outputs)!,
    message: fromJson<{ message?: string }>(row.lifecycle)!.message ?? null,
  }));
  return resumeRun(plan, recorded);
}

function stepError(step: ScheduledStep, message: string, code: string, context: Record<string, unknown>): StepLifecycle {
  const details: ErrorDetails = { message, block_id: step.blockId, block_name: step.blockLabel, error_code: code, context };
  return { status: 'error', message, stage: 'execution', category: 'permanent', details };
}
