import { z } from 'zod';
import { AssertionResult } from '../assertions/spec.js';
import { ErrorDetails, Lifecycle, Timing, VerdictSchema } from './common.js';
import { StoredWorkflowTestSource, WorkflowTestBlockTarget } from './tests.js';

export const VerdictSummary = z
  .object({
    result: z.boolean(),
    passed: z.boolean(),
    assertions_passed: z.number().int(),
    assertions_failed: z.number().int(),
    blocked_assertions: z.number().int(),
    failed_assertion_ids: z.array(z.string()),
  })
  .meta({ id: 'VerdictSummary' });
export type VerdictSummary = z.infer<typeof VerdictSummary>;

export const WorkflowTestResult = z
  .object({
    id: z.string(),
    run_id: z.string(),
    workflow_test_run_id: z.string(),
    test_id: z.string(),
    workflow_id: z.string(),
    lifecycle: Lifecycle,
    timing: Timing,
    verdict: VerdictSchema.nullable(),
    target: WorkflowTestBlockTarget,
    block_id: z.string(),
    block_type: z.string(),
    execution_fingerprint: z.string(),
    handle_inputs_fingerprint: z.string(),
    workflow_draft_fingerprint: z.string(),
    block_config_fingerprint: z.string(),
    source: StoredWorkflowTestSource,
    outputs: z.record(z.string(), z.unknown()).nullable(),
    routing_decision: z.array(z.string()).nullable(),
    routing_decisions: z.array(z.string()).nullable(),
    warnings: z.array(z.string()),
    error: ErrorDetails.nullable(),
    skipped: z.boolean(),
    assertion_result: AssertionResult.nullable(),
    verdict_summary: VerdictSummary.nullable(),
    duration_ms: z.number().int().nullable().meta({ description: 'Verdict extension: block execution time.' }),
    execution_details: z
      .record(z.string(), z.unknown())
      .nullable()
      .meta({ description: 'Verdict extension: what the block reported besides its outputs (model, reasoning, likelihoods, cache hits).' }),
    outputs_truncated: z
      .boolean()
      .optional()
      .meta({ description: 'Verdict extension: true when a list replaced a long output by a preview (see truncated_fields); GET /v1/workflows/tests/results/{id} returns it whole.' }),
    truncated_fields: z
      .array(z.string())
      .optional()
      .meta({
        description:
          'Verdict extension: the fields (e.g. `outputs.output-json-0`, `assertion_result.actual_value`) a list replaced by a preview string, or by null where the field is an object, because their JSON passed 64 KiB.',
      }),
  })
  .meta({ id: 'WorkflowTestResult' });
export type WorkflowTestResult = z.infer<typeof WorkflowTestResult>;
