import { z } from 'zod';
import { NullableTimestamp, paginationQuery, refineCursors } from '../../../schemas/common.js';
import { HandleOutput, StepArtifactRef } from '../../../schemas/results.js';
import { BLOCK_TYPES } from '../../../schemas/workflows.js';
import { lifecycleErrorFields } from './runs.js';

export const STEP_STATUSES = ['pending', 'queued', 'running', 'completed', 'error', 'skipped', 'cancelled'] as const;
export type StepStatus = (typeof STEP_STATUSES)[number];
/** A step in one of these statuses changes no more. */
export const FINAL_STEP_STATUSES = ['completed', 'error', 'skipped', 'cancelled'] as const satisfies readonly StepStatus[];

export const WorkflowRunStepLifecycle = z
  .discriminatedUnion('status', [
    z.object({ status: z.literal('pending') }),
    z.object({ status: z.literal('queued') }),
    z.object({ status: z.literal('running') }),
    z.object({ status: z.literal('completed') }),
    z.object({ status: z.literal('error'), ...lifecycleErrorFields }),
    z.object({ status: z.literal('skipped'), reason: z.string() }),
    z.object({ status: z.literal('cancelled'), reason: z.string() }),
  ])
  .meta({ id: 'WorkflowRunStepLifecycle' });
export type WorkflowRunStepLifecycle = z.infer<typeof WorkflowRunStepLifecycle>;

/** One container a step ran inside, outermost first (Retab's `ContainerContextData`). */
export const LoopContainer = z
  .object({
    container_id: z.string(),
    iteration: z.number().int().min(0),
    is_parallel: z.boolean(),
    parallel_item_index: z.number().int().nullable(),
  })
  .meta({ id: 'ContainerContextData' });
export type LoopContainer = z.infer<typeof LoopContainer>;

/** Retab's `PublicHandlePayload`: `{type: "json", data}` or `{type: "file", document: FileRef}`. */
export const PublicHandlePayload = HandleOutput;
export type PublicHandlePayload = HandleOutput;

export const WorkflowRunStep = z
  .object({
    run_id: z.string(),
    block_id: z.string(),
    step_id: z.string().meta({ description: 'The block id for a top-level block; inside a for_each, unique per iteration (see loop_containers). Opaque.' }),
    block_type: z.enum(BLOCK_TYPES),
    block_label: z.string(),
    lifecycle: WorkflowRunStepLifecycle,
    created_at: NullableTimestamp,
    started_at: NullableTimestamp,
    completed_at: NullableTimestamp,
    model: z.string().nullable(),
    loop_containers: z.array(LoopContainer),
    handle_inputs: z.record(z.string(), PublicHandlePayload),
    handle_outputs: z.record(z.string(), PublicHandlePayload),
    artifact: StepArtifactRef.nullable(),
    retry_count: z.number().int(),
  })
  .meta({ id: 'WorkflowRunStep' });
export type WorkflowRunStep = z.infer<typeof WorkflowRunStep>;

/** A repeated query parameter (`status=a&status=b`) arrives as an array, a single one as a string. */
function repeatedParameter<T extends z.ZodType>(item: T, maxItems: number) {
  return z
    .preprocess((value) => (value === undefined || Array.isArray(value) ? value : [value]), z.array(item).max(maxItems))
    .optional();
}

export const ListWorkflowStepsQuery = paginationQuery(20)
  .extend({
    run_id: z.string().optional(),
    workflow_id: z.string().optional(),
    block_id: z.string().optional(),
    step_id: z.string().optional(),
    block_type: repeatedParameter(z.enum(BLOCK_TYPES), BLOCK_TYPES.length),
    status: repeatedParameter(z.enum([...STEP_STATUSES, 'awaiting_review']), STEP_STATUSES.length + 1),
  })
  .superRefine(refineCursors);
export type ListWorkflowStepsQuery = z.infer<typeof ListWorkflowStepsQuery>;

/** `GET /v1/workflows/steps/{step_id}?run_id=`: step ids are unique within a run only. */
export const GetWorkflowStepQuery = z.object({ run_id: z.string().min(1).optional() });
