import type { BlockType } from '../../schemas/workflows.js';
import type { GraphEdge } from '../edges.js';
import { evaluateConditional } from './conditional.js';
import { mergeDicts } from './merge-dicts.js';
import { planRun, type RunGraph, type RunGraphBlock, type RunInputNames, type RunPlan } from './plan.js';
import { RunScheduler, type HandlePayloads, type WorkflowRunOutcome, type ScheduledStep, type SchedulerUpdate } from './scheduler.js';

export function block(id: string, type: BlockType, config: Record<string, unknown> | null = null, parentId: string | null = null): RunGraphBlock {
  return { id, type, label: '', config, parent_id: parentId };
}

export function edge(source: string, target: string, sourceHandle?: string, targetHandle?: string): GraphEdge {
  return { source_block: source, target_block: target, source_handle: sourceHandle ?? null, target_handle: targetHandle ?? null };
}

export const fn = (id: string, parentId: string | null = null) => block(id, 'function', { code: 'export default (x) => x', output_schema: {} }, parentId);

export function mustPlan(graph: RunGraph, given: Partial<RunInputNames> = {}): RunPlan {
  const result = planRun(graph, { documents: given.documents ?? [], json_inputs: given.json_inputs ?? graph.blocks.filter((b) => b.type === 'start_json').map((b) => b.id) });
  if (!result.ok) throw new Error(result.problems.map((p) => p.message).join('\n'));
  return result.plan;
}

export interface StepRecord {
  step: ScheduledStep;
  status: string;
  reason?: string;
  inputs?: HandlePayloads;
  outputs?: HandlePayloads;
}

/** What a test engine does for one block: outputs, or an Error to fail the step. */
export type FakeBlock = (step: ScheduledStep, inputs: HandlePayloads) => HandlePayloads | Error;

const json = (data: unknown) => ({ type: 'json' as const, data });

/** Blocks behave as a real engine would for the pure types; functions pass their input through unless overridden. */
export function defaultBehaviour(plan: RunPlan, jsonInputs: Record<string, unknown>, overrides: Record<string, FakeBlock> = {}): FakeBlock {
  return (step, inputs) => {
    const override = overrides[step.blockId];
    if (override) return override(step, inputs);
    const block = plan.blocks.get(step.blockId)!;
    const first = Object.values(inputs)[0];
    switch (block.type) {
      case 'start_json':
        return { 'output-json-0': json(jsonInputs[step.blockId]) };
      case 'conditional': {
        const outcome = evaluateConditional(block.conditional!, first?.type === 'json' ? first.data : null);
        if (!outcome.ok) return new Error(outcome.message);
        return Object.fromEntries(outcome.decision.selectedHandles.map((handle) => [handle, first!]));
      }
      case 'merge_dicts':
        return { 'output-json-0': json(mergeDicts(block.config, Object.fromEntries(Object.entries(inputs).map(([handle, payload]) => [handle, payload.type === 'json' ? payload.data : payload])))) };
      default:
        return { 'output-json-0': first ?? json(null) };
    }
  };
}

/**
 * Drives a scheduler to the end like an engine would: executes ready steps one at a time in the
 * order they were handed out (`pick` may choose another order) and records every step's fate.
 */
export function drive(plan: RunPlan, behaviour: FakeBlock, pick: (ready: string[]) => number = () => 0): { steps: Map<string, StepRecord>; outcome: WorkflowRunOutcome; updates: SchedulerUpdate[] } {
  const scheduler = new RunScheduler(plan);
  const steps = new Map<string, StepRecord>();
  const updates: SchedulerUpdate[] = [];
  const ready: string[] = [];
  const apply = (update: SchedulerUpdate) => {
    updates.push(update);
    for (const event of update.events) {
      const record = steps.get(event.step.stepId) ?? { step: event.step, status: 'pending' };
      steps.set(event.step.stepId, record);
      switch (event.kind) {
        case 'created':
          break;
        case 'execute':
          record.status = 'running';
          record.inputs = event.handleInputs;
          ready.push(event.step.stepId);
          break;
        case 'skipped':
        case 'cancelled':
          record.status = event.kind;
          record.reason = event.reason;
          break;
        case 'loop_started':
          record.status = 'running';
          record.inputs = event.handleInputs;
          break;
        case 'loop_completed':
          record.status = 'completed';
          record.outputs = event.handleOutputs;
          break;
        case 'failed':
          record.status = 'error';
          record.reason = event.message;
          break;
      }
    }
  };
  apply(scheduler.start());
  let guard = 0;
  while (ready.length > 0) {
    if (++guard > 100_000) throw new Error('the scheduler did not settle');
    const [stepId] = ready.splice(pick(ready), 1);
    const record = steps.get(stepId!)!;
    if (record.status !== 'running') continue;
    const result = behaviour(record.step, record.inputs ?? {});
    if (result instanceof Error) {
      record.status = 'error';
      record.reason = result.message;
      apply(scheduler.fail(stepId!, result.message));
    } else {
      record.status = 'completed';
      record.outputs = result;
      apply(scheduler.complete(stepId!, result));
    }
  }
  return { steps, outcome: scheduler.outcome(), updates };
}

export function statuses(steps: Map<string, StepRecord>): Record<string, string> {
  return Object.fromEntries([...steps].map(([stepId, record]) => [stepId, record.status]));
}
