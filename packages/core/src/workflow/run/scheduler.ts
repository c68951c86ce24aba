import type { HandleOutput } from '../../schemas/results.js';
import { compareText } from '../sort.js';
import { loopContainersFor, planIterations, reduceIterations, stepIdFor, type IterationLevel } from './for-each.js';
import type { PlannedBlock, RunnableBlockType, RunPlan } from './plan.js';
import { RUN_LIMITS } from './schemas/limits.js';
import type { LoopContainer } from './schemas/steps.js';

/** What travels on a handle: `{type: "json", data}` or `{type: "file", document}` (Retab's PublicHandlePayload). */
export type HandlePayload = HandleOutput;
export type HandlePayloads = Record<string, HandlePayload>;

export type SchedulerStepStatus = 'pending' | 'running' | 'completed' | 'error' | 'skipped' | 'cancelled';
const FINAL: ReadonlySet<SchedulerStepStatus> = new Set(['completed', 'error', 'skipped', 'cancelled']);

/** A step as the scheduler knows it: enough to write its row. */
export interface ScheduledStep {
  stepId: string;
  blockId: string;
  blockType: RunnableBlockType;
  blockLabel: string;
  loopContainers: LoopContainer[];
}

/**
 * What the engine must do after a call, in order:
 * - `created`: write a pending step (top-level steps at start, a loop's body when it starts);
 * - `execute`: run the block on `handleInputs`, then call `complete` or `fail` (the step is running);
 * - `skipped`: write the step skipped, with the reason (a branch not taken, or something above it);
 * - `loop_started`: the for_each step is running over `iterations` items (its body steps follow as `created`);
 * - `loop_completed`: the for_each step completed with its reduced output;
 * - `failed`: a step the scheduler itself failed (a for_each that cannot iterate);
 * - `cancelled`: a step that will not finish because the run failed or was cancelled (abort it if running).
 */
export type SchedulerEvent =
  | { kind: 'created'; step: ScheduledStep }
  | { kind: 'execute'; step: ScheduledStep; handleInputs: HandlePayloads }
  | { kind: 'skipped'; step: ScheduledStep; reason: string }
  | { kind: 'loop_started'; step: ScheduledStep; handleInputs: HandlePayloads; iterations: number }
  | { kind: 'loop_completed'; step: ScheduledStep; handleOutputs: HandlePayloads }
  | { kind: 'failed'; step: ScheduledStep; message: string }
  | { kind: 'cancelled'; step: ScheduledStep; reason: string };

export type WorkflowRunOutcome =
  | { status: 'running' }
  | { status: 'completed' }
  | { status: 'error'; failingStepId: string; message: string }
  | { status: 'cancelled'; reason: string | null };

export interface SchedulerUpdate {
  events: SchedulerEvent[];
  outcome: WorkflowRunOutcome;
}

interface StepState extends ScheduledStep {
  enclosing: IterationLevel[];
  status: SchedulerStepStatus;
  outputs: HandlePayloads;
  /** Loops: the items being iterated, and body steps not final yet. */
  items: unknown[] | null;
  openBodySteps: number;
}

type Delivery = { delivered: true; payload: HandlePayload } | { delivered: false; reason: string } | null;

/**
 * The run's state machine (docs in workflow/README.md, "Workflow runs"). Deterministic: the same
 * calls give the same events. No I/O: the engine writes what the events say and reports each
 * executed step back. Linear in the number of steps overall: each change looks only at the steps
 * that read the step that changed.
 */
export class RunScheduler {
  private readonly steps = new Map<string, StepState>();
  private readonly stepsOfBlock = new Map<string, string[]>();
  private readonly order: Map<string, number>;
  private events: SchedulerEvent[] = [];
  private ended: WorkflowRunOutcome | null = null;
  private openSteps = 0;

  constructor(private readonly plan: RunPlan) {
    const bodies = [...plan.blocks.values()].flatMap((block) => block.forEach?.body ?? []);
    this.order = new Map([...plan.topLevel, ...bodies].map((id, index) => [id, index]));
  }

  /** Creates the top-level steps and starts every block that waits for nothing. */
  start(): SchedulerUpdate {
    const created = this.plan.topLevel.map((blockId) => this.create(blockId, []));
    this.evaluate(created);
    return this.flush();
  }

  /** A step the engine executed finished with these outputs: only the handles it routed to (a classifier's category, a conditional's branch). */
  complete(stepId: string, handleOutputs: HandlePayloads): SchedulerUpdate {
    const step = this.steps.get(stepId);
    if (!step || step.status !== 'running' || this.ended) return this.flush();
    this.finish(step, 'completed', handleOutputs);
    return this.flush();
  }

  /** A step the engine executed failed: the run errors, naming it, and every other unfinished step is cancelled. */
  fail(stepId: string, message: string): SchedulerUpdate {
    const step = this.steps.get(stepId);
    if (!step || step.status !== 'running' || this.ended) return this.flush();
    this.failStep(step, message);
    return this.flush();
  }

  /** The run is cancelled: every unfinished step is cancelled with the reason. */
  cancel(reason: string | null): SchedulerUpdate {
    if (this.ended) return this.flush();
    this.ended = { status: 'cancelled', reason };
    this.cancelOpenSteps(reason ?? 'The run was cancelled.');
    return this.flush();
  }

  /** A step's status now, or null for a step the run has not created. */
  statusOf(stepId: string): SchedulerStepStatus | null {
    return this.steps.get(stepId)?.status ?? null;
  }

  outcome(): WorkflowRunOutcome {
    return this.ended ?? (this.openSteps === 0 ? { status: 'completed' } : { status: 'running' });
  }

  private flush(): SchedulerUpdate {
    const events = this.events;
    this.events = [];
    return { events, outcome: this.outcome() };
  }

  private create(blockId: string, enclosing: IterationLevel[]): StepState {
    const block = this.plan.blocks.get(blockId)!;
    const step: StepState = {
      stepId: stepIdFor(blockId, enclosing),
      blockId,
      blockType: block.type,
      blockLabel: block.label,
      loopContainers: loopContainersFor(enclosing),
      enclosing,
      status: 'pending',
      outputs: {},
      items: null,
      openBodySteps: 0,
    };
    if (this.steps.size >= RUN_LIMITS.maxSteps) throw new Error(`A run records at most ${RUN_LIMITS.maxSteps} steps.`);
    this.steps.set(step.stepId, step);
    const ofBlock = this.stepsOfBlock.get(blockId);
    if (ofBlock) ofBlock.push(step.stepId);
    else this.stepsOfBlock.set(blockId, [step.stepId]);
    this.openSteps += 1;
    this.events.push({ kind: 'created', step: view(step) });
    return step;
  }

  /** Starts or skips each pending step whose inputs are all settled, in plan order. */
  private evaluate(candidates: StepState[]): void {
    const sorted = [...new Set(candidates)].sort((a, b) => this.order.get(a.blockId)! - this.order.get(b.blockId)! || compareText(a.stepId, b.stepId));
    for (const step of sorted) {
      if (step.status !== 'pending' || this.ended) continue;
      const block = this.plan.blocks.get(step.blockId)!;
      const deliveries = block.inputs.map((input) => [input.targetHandle, this.delivery(step, input)] as const);
      if (deliveries.some(([, delivery]) => delivery === null)) continue;
      const received = Object.fromEntries(deliveries.flatMap(([handle, delivery]) => (delivery!.delivered ? [[handle, delivery!.payload]] : [])));
      const missing = deliveries.flatMap(([handle, delivery]) => (delivery!.delivered ? [] : [`${handle}: ${delivery!.reason}`]));
      // merge_dicts is the join after branches: it runs when any input arrived. Every other block needs them all.
      const runs = block.type === 'merge_dicts' ? missing.length < deliveries.length || deliveries.length === 0 : missing.length === 0;
      if (!runs) this.skip(step, `Its inputs did not all arrive (${missing.join('; ')}).`);
      else if (block.type === 'for_each') this.startLoop(step, block, received);
      else {
        step.status = 'running';
        this.events.push({ kind: 'execute', step: view(step), handleInputs: received });
      }
    }
  }

  /** What reached one input of `step`: a payload, a reason it never will, or null while its source is unsettled. */
  private delivery(step: StepState, input: PlannedBlock['inputs'][number]): Delivery {
    if (input.kind === 'item') {
      const level = step.enclosing[step.enclosing.length - 1]!;
      const loop = this.steps.get(level.loopStepId)!;
      return { delivered: true, payload: { type: 'json', data: loop.items![level.iteration] } };
    }
    const sourceDepth = this.plan.blocks.get(input.sourceBlockId)!.loops.length;
    const source = this.steps.get(stepIdFor(input.sourceBlockId, step.enclosing.slice(0, sourceDepth)))!;
    switch (source.status) {
      case 'completed': {
        const payload = source.outputs[input.sourceHandle];
        return payload ? { delivered: true, payload } : { delivered: false, reason: `"${source.stepId}" did not route to ${input.sourceHandle}` };
      }
      case 'skipped':
        return { delivered: false, reason: `"${source.stepId}" was skipped` };
      default:
        return null;
    }
  }

  private skip(step: StepState, reason: string): void {
    this.events.push({ kind: 'skipped', step: view(step), reason });
    this.finish(step, 'skipped', {});
  }

  private startLoop(loop: StepState, block: PlannedBlock, received: HandlePayloads): void {
    const forEach = block.forEach!;
    const input = Object.values(received)[0];
    const planned = planIterations(forEach, input?.type === 'json' ? input.data : null);
    const bodySteps = planned.ok ? planned.items.length * forEach.body.length : 0;
    loop.status = 'running';
    if (planned.ok && this.steps.size + bodySteps > RUN_LIMITS.maxSteps) {
      this.failLoop(loop, `The for_each would record ${bodySteps} steps (${planned.items.length} items × ${forEach.body.length} blocks); a run records at most ${RUN_LIMITS.maxSteps}.`);
      return;
    }
    if (!planned.ok) {
      this.failLoop(loop, planned.message);
      return;
    }
    loop.items = planned.items;
    loop.openBodySteps = bodySteps;
    this.events.push({ kind: 'loop_started', step: view(loop), handleInputs: received, iterations: planned.items.length });
    const created: StepState[] = [];
    for (const iteration of planned.items.keys()) {
      const enclosing = [...loop.enclosing, { loopBlockId: loop.blockId, loopStepId: loop.stepId, iteration }];
      for (const blockId of forEach.body) created.push(this.create(blockId, enclosing));
    }
    if (bodySteps === 0) this.completeLoop(loop);
    else this.evaluate(created);
  }

  private completeLoop(loop: StepState): void {
    const forEach = this.plan.blocks.get(loop.blockId)!.forEach!;
    const results: unknown[] = [];
    if (forEach.resultBlockId !== null) {
      for (const iteration of loop.items!.keys()) {
        const end = this.steps.get(stepIdFor(forEach.resultBlockId, [...loop.enclosing, { loopBlockId: loop.blockId, loopStepId: loop.stepId, iteration }]))!;
        const handle = forEach.resultHandles.find((id) => end.outputs[id] !== undefined);
        const payload = handle === undefined ? undefined : end.outputs[handle];
        if (payload?.type === 'json') results.push(payload.data);
      }
    }
    const outputs: HandlePayloads = { 'output-json-0': { type: 'json', data: reduceIterations(forEach, results) } };
    this.events.push({ kind: 'loop_completed', step: view(loop), handleOutputs: outputs });
    this.finish(loop, 'completed', outputs);
  }

  /** Records a final status, then settles what it unblocks: readers of the step, and its loop once the whole body is final. */
  private finish(step: StepState, status: SchedulerStepStatus, outputs: HandlePayloads): void {
    step.status = status;
    step.outputs = outputs;
    this.openSteps -= 1;
    if (this.ended) return;
    const level = step.enclosing[step.enclosing.length - 1];
    if (level) {
      const loop = this.steps.get(level.loopStepId)!;
      loop.openBodySteps -= 1;
      if (loop.openBodySteps === 0 && loop.status === 'running') this.completeLoop(loop);
    }
    this.evaluate(this.readersOf(step));
  }

  /** Pending steps that read `step`: its readers' steps in the same iteration, or in every iteration of loops inside its scope. */
  private readersOf(step: StepState): StepState[] {
    const prefix = step.enclosing;
    const readers: StepState[] = [];
    for (const readerId of this.plan.blocks.get(step.blockId)!.readers) {
      for (const stepId of this.stepsOfBlock.get(readerId) ?? []) {
        const reader = this.steps.get(stepId)!;
        if (reader.status === 'pending' && prefix.every((level, index) => reader.enclosing[index]?.loopStepId === level.loopStepId && reader.enclosing[index]?.iteration === level.iteration)) {
          readers.push(reader);
        }
      }
    }
    return readers;
  }

  /** A loop fails in the scheduler (it cannot iterate), so the event that reports it comes from here. */
  private failLoop(loop: StepState, message: string): void {
    this.events.push({ kind: 'failed', step: view(loop), message });
    this.failStep(loop, message);
  }

  private failStep(step: StepState, message: string): void {
    step.status = 'error';
    this.openSteps -= 1;
    this.ended = { status: 'error', failingStepId: step.stepId, message };
    this.cancelOpenSteps(`The run stopped: step "${step.stepId}" failed.`);
  }

  private cancelOpenSteps(reason: string): void {
    const open = [...this.steps.values()].filter((step) => !FINAL.has(step.status));
    open.sort((a, b) => this.order.get(a.blockId)! - this.order.get(b.blockId)! || compareText(a.stepId, b.stepId));
    for (const step of open) {
      step.status = 'cancelled';
      this.openSteps -= 1;
      this.events.push({ kind: 'cancelled', step: view(step), reason });
    }
  }
}

function view(step: StepState): ScheduledStep {
  return { stepId: step.stepId, blockId: step.blockId, blockType: step.blockType, blockLabel: step.blockLabel, loopContainers: step.loopContainers };
}
