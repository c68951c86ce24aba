import { z } from 'zod';
import { NullableTimestamp, paginationQuery, refineCursors } from '../../../schemas/common.js';
import { HandleOutput, StepArtifactRef } from '../../../schemas/results.js';
import { LoopContainer } from './steps.js';

export const BLOCK_EXECUTION_CONSENSUS_COUNTS = [3, 5, 7] as const;

export const CreateBlockExecutionRequest = z
  .object({
    run_id: z.string().trim().min(1, 'Give the id of the run whose recorded inputs to replay.'),
    block_id: z.string().trim().min(1, 'Give the id of the block to execute.'),
    step_id: z.string().trim().min(1).nullable().optional().meta({ description: 'The step whose inputs to use; required when the block ran in a loop (see available_iterations).' }),
    n_consensus: z
      .number()
      .int()
      .refine((count) => (BLOCK_EXECUTION_CONSENSUS_COUNTS as readonly number[]).includes(count), { message: 'n_consensus overrides the block’s own count with 3, 5 or 7.' })
      .nullable()
      .optional(),
    check_eligibility: z
      .boolean()
      .nullable()
      .optional()
      .transform((check) => check ?? true)
      .meta({ description: 'Default true: refuse with 409 upstream_changed when the blocks above this one changed since the run.' }),
  })
  .meta({ id: 'CreateBlockExecutionRequest' });
export type CreateBlockExecutionRequest = z.infer<typeof CreateBlockExecutionRequest>;

export const BLOCK_EXECUTION_STATUSES = ['pending', 'queued', 'running', 'completed', 'error', 'cancelled', 'skipped'] as const;

export const BlockExecutionLifecycle = z
  .discriminatedUnion('status', [
    z.object({ status: z.literal('pending') }),
    z.object({ status: z.literal('queued') }),
    z.object({ status: z.literal('running') }),
    z.object({ status: z.literal('completed') }),
    z.object({ status: z.literal('error'), message: z.string() }),
    z.object({ status: z.literal('cancelled'), reason: z.string().nullable() }),
    z.object({ status: z.literal('skipped'), reason: z.string() }),
  ])
  .meta({ id: 'BlockExecutionLifecycle' });
export type BlockExecutionLifecycle = z.infer<typeof BlockExecutionLifecycle>;

/** One iteration of a loop-body block in the source run: the step to name in `step_id`. */
export const AvailableIteration = z
  .object({ step_id: z.string(), loop_containers: z.array(LoopContainer) })
  .meta({ id: 'AvailableIteration' });
export type AvailableIteration = z.infer<typeof AvailableIteration>;

/**
 * Both generations (retab-api-delta §5.4): `run_id`/`step_id`/`routing_decision` of 2026-05-29
 * next to `source_run_id`/`source_step_id`/`routing_decisions` of later SDKs, with the same values.
 */
export const StoredBlockExecution = z
  .object({
    id: z.string(),
    workflow_id: z.string(),
    workflow_version_id: z.string().nullable(),
    run_id: z.string(),
    source_run_id: z.string(),
    step_id: z.string().nullable(),
    source_step_id: z.string().nullable(),
    block_id: z.string(),
    block_type: z.string(),
    lifecycle: BlockExecutionLifecycle,
    handle_inputs: z.record(z.string(), HandleOutput).nullable(),
    handle_outputs: z.record(z.string(), HandleOutput).nullable(),
    artifact: StepArtifactRef.nullable(),
    routing_decision: z.array(z.string()).nullable(),
    routing_decisions: z.array(z.string()).nullable(),
    duration_ms: z.number().nullable(),
    created_at: NullableTimestamp,
    started_at: NullableTimestamp,
    completed_at: NullableTimestamp,
    handle_inputs_fingerprint: z.string().nullable(),
    workflow_draft_fingerprint: z.string().nullable(),
    block_config_fingerprint: z.string().nullable(),
    block_execution_fingerprint: z.string().nullable(),
    execution_fingerprint: z.string().nullable(),
    block_config: z.record(z.string(), z.unknown()).nullable(),
    available_iterations: z.array(AvailableIteration).nullable(),
  })
  .meta({ id: 'StoredBlockExecution' });
export type StoredBlockExecution = z.infer<typeof StoredBlockExecution>;

export const ListBlockExecutionsQuery = paginationQuery(20)
  .extend({ run_id: z.string().min(1), block_id: z.string().min(1) })
  .superRefine(refineCursors);
export type ListBlockExecutionsQuery = z.infer<typeof ListBlockExecutionsQuery>;

/**
 * The `details` of the 409 a block execution answers when the blocks above the one to execute
 * changed since the run (Retab: `{reason: "upstream_changed"}`); the server's error catalogue
 * wraps it in the error envelope.
 */
export interface UpstreamChangedDetails {
  reason: 'upstream_changed';
  run_upstream_fingerprint: string;
  draft_upstream_fingerprint: string;
}
