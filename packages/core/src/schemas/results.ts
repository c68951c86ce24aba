import { z } from 'zod';
import { AssertionResult } from '../assertions/spec.js';
import { ErrorDetails, Lifecycle, Timing, VerdictSchema } from './common.js';
import { FileRef, PageSubset } from './files.js';
import { StoredHandleInput, StoredWorkflowTestSource, WorkflowTestBlockTarget } from './tests.js';

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

/** What a block produced on one output handle, typed as the SDKs from 2026-06-16 read `handle_outputs`. */
export const HandleOutput = z
  .discriminatedUnion('type', [z.object({ type: z.literal('json'), data: z.unknown() }), z.object({ type: z.literal('file'), document: FileRef, pages: PageSubset.optional() })])
  .meta({ id: 'HandleOutput' });
export type HandleOutput = z.infer<typeof HandleOutput>;

/** Retab's `StepArtifactRef`: the stored artifact a step produced. */
export const StepArtifactRef = z.object({ operation: z.string(), id: z.string() }).meta({ id: 'StepArtifactRef' });

export const WorkflowTestResult = z
  .object({
    id: z.string(),
    run_id: z.string(),
    workflow_test_run_id: z.string(),
    workflow_eval_run_id: z.string(),
    test_id: z.string(),
    eval_id: z.string(),
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
    block_execution_fingerprint: z.string(),
    artifact: StepArtifactRef.nullable().meta({ description: 'Always null: a test executes one block and stores no step artifact.' }),
    source: StoredWorkflowTestSource,
    handle_inputs: z.record(z.string(), StoredHandleInput).meta({ description: 'The inputs fed to the block: those of the test source the run copied.' }),
    outputs: z.record(z.string(), z.unknown()).nullable(),
    handle_outputs: z.record(z.string(), HandleOutput).nullable().meta({ description: '`outputs` with each handle typed: `{type: "json", data}` or `{type: "file", document}`.' }),
    routing_decision: z.array(z.string()).nullable(),
    routing_decisions: z.array(z.string()).nullable(),
    warnings: z.array(z.string()),
    error: ErrorDetails.nullable(),
    skipped: z.boolean(),
    assertion_result: AssertionResult.nullable(),
    verdict_summary: VerdictSummary.nullable(),
    duration_ms: z
      .number()
      .int()
      .nullable()
      .meta({ description: "Verdict extension: the block's execution time, measured where it ran, without the wait for a sandbox thread or process; null when it did not run." }),
    queued_ms: z
      .number()
      .int()
      .nullable()
      .optional()
      .meta({ description: 'Verdict extension: how long the test waited before its block began executing, from the run\'s start (the result\'s creation); null when it did not run.' }),
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

/** Output handles that carry files are named so (`output-file-0`, `output-file-invoice`); a JSON handle's value is never read as a file. */
const FILE_OUTPUT_HANDLE = /^output-file-/;

function isFilePayload(value: unknown): value is { id: string; filename: string; mime_type: string; pages?: unknown } {
  if (typeof value !== 'object' || value === null) return false;
  const payload = value as Record<string, unknown>;
  return payload.type === 'file' && typeof payload.id === 'string' && typeof payload.filename === 'string' && typeof payload.mime_type === 'string';
}

/** A routed file's page subset (split's subdocument pages), kept when it is one. */
function pagesOf(payload: Record<string, unknown>): { pages?: number[] } {
  const parsed = PageSubset.safeParse(payload.pages);
  return parsed.success ? { pages: parsed.data } : {};
}

/** A result's raw `outputs` (handle id → payload) in the typed envelope of `handle_outputs`. */
export function typedHandleOutputs(outputs: Record<string, unknown> | null): Record<string, HandleOutput> | null {
  if (outputs === null) return null;
  return Object.fromEntries(
    Object.entries(outputs).map(([handleId, value]): [string, HandleOutput] =>
      FILE_OUTPUT_HANDLE.test(handleId) && isFilePayload(value)
        ? [handleId, { type: 'file', document: { id: value.id, filename: value.filename, mime_type: value.mime_type }, ...pagesOf(value) }]
        : [handleId, { type: 'json', data: value }],
    ),
  );
}
