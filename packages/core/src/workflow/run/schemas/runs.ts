import { z } from 'zod';
import { ErrorDetails, NullableTimestamp, dateFilter, paginationQuery, refineCursors } from '../../../schemas/common.js';
import { FileRef, MIMEData } from '../../../schemas/files.js';
import { TRIGGER_TYPES, Trigger } from '../../../schemas/runs.js';
import { RUN_LIMITS } from './limits.js';

/** retab-api-delta §5.1: where a run failed, and whether retrying could help. */
export const RUN_ERROR_STAGES = ['input_collection', 'registry_lookup', 'document_fetch', 'execution', 'output_storage', 'routing', 'history_payload'] as const;
export const RUN_ERROR_CATEGORIES = ['transient', 'permanent', 'quota'] as const;
export type RunErrorStage = (typeof RUN_ERROR_STAGES)[number];
export type RunErrorCategory = (typeof RUN_ERROR_CATEGORIES)[number];

/** The statuses a workflow run takes in Verdict; Retab's `awaiting_review` needs review gates, which Verdict does not run. */
export const WORKFLOW_RUN_STATUSES = ['pending', 'running', 'completed', 'error', 'cancelled'] as const;
export type WorkflowRunStatus = (typeof WORKFLOW_RUN_STATUSES)[number];
export const LIVE_WORKFLOW_RUN_STATUSES = ['pending', 'running'] as const satisfies readonly WorkflowRunStatus[];
/** Every status Retab's list filters accept; the ones Verdict never records match no run. */
export const WORKFLOW_RUN_FILTER_STATUSES = ['pending', 'queued', 'running', 'completed', 'error', 'failed', 'awaiting_review', 'cancelled'] as const;

/** What an error lifecycle carries on a run and on a step. */
export const lifecycleErrorFields = {
  message: z.string(),
  stage: z.enum(RUN_ERROR_STAGES).nullable(),
  category: z.enum(RUN_ERROR_CATEGORIES).nullable(),
  details: ErrorDetails.nullable(),
};

export const WorkflowRunLifecycle = z
  .discriminatedUnion('status', [
    z.object({ status: z.literal('pending') }),
    z.object({ status: z.literal('running') }),
    z.object({ status: z.literal('completed') }),
    z.object({ status: z.literal('error'), ...lifecycleErrorFields, failing_step_id: z.string().nullable() }),
    z.object({ status: z.literal('cancelled'), reason: z.string().nullable() }),
  ])
  .meta({ id: 'WorkflowRunLifecycle' });
export type WorkflowRunLifecycle = z.infer<typeof WorkflowRunLifecycle>;

/** Both generations' timing: 2026-05-29 read duration and review waiting; later SDKs only the three timestamps. */
export const WorkflowRunTiming = z
  .object({
    created_at: NullableTimestamp,
    started_at: NullableTimestamp,
    completed_at: NullableTimestamp,
    duration_ms: z.number().int().nullable(),
    review_waiting_started_at: NullableTimestamp,
    accumulated_review_waiting_ms: z.number().int(),
  })
  .meta({ id: 'RunTiming' });
export type WorkflowRunTiming = z.infer<typeof WorkflowRunTiming>;

export const WorkflowRunInputs = z
  .object({
    documents: z.record(z.string(), FileRef).meta({ description: 'start_document block id → the stored document it was given.' }),
    json_data: z.record(z.string(), z.unknown()).meta({ description: 'start_json block id → the JSON it was given.' }),
  })
  .meta({ id: 'RunInputs' });
export type WorkflowRunInputs = z.infer<typeof WorkflowRunInputs>;

const RunMetadata = z
  .record(z.string().max(RUN_LIMITS.maxMetadataKeyChars), z.string().max(RUN_LIMITS.maxMetadataValueChars))
  .refine((metadata) => Object.keys(metadata).length <= RUN_LIMITS.maxMetadataPairs, { message: `A run carries at most ${RUN_LIMITS.maxMetadataPairs} metadata pairs.` });

/**
 * One answer for both SDK generations (docs/decisions.md §1): `workflow {workflow_id, version_id}`
 * for 2026-05-29 and the flat `workflow_id`, `workflow_version_id` for later SDKs; the trigger as
 * its full variant, of which later SDKs read `type` only.
 */
export const WorkflowRun = z
  .object({
    id: z.string(),
    workflow: z.object({ workflow_id: z.string(), version_id: z.string() }),
    workflow_id: z.string(),
    workflow_version_id: z.string(),
    trigger: Trigger,
    lifecycle: WorkflowRunLifecycle,
    timing: WorkflowRunTiming,
    inputs: WorkflowRunInputs,
    metadata: z.record(z.string(), z.string()).nullable(),
  })
  .meta({ id: 'WorkflowRun' });
export type WorkflowRun = z.infer<typeof WorkflowRun>;

/**
 * A document for a start_document block. 2026-05-29 SDKs send a FileRef of the files API (or
 * MIMEData); later SDKs resolve a FileRef to MIMEData themselves, whose `url` may be a data URL.
 * FileRef is tried first so that a reference that also carries a `url` is read as the stored file.
 */
export const RunDocumentInput = z.union([FileRef, MIMEData]).meta({ id: 'RunDocumentInput' });
export type RunDocumentInput = z.infer<typeof RunDocumentInput>;

/** `production`, `draft` or a pinned `ver_…` id. */
export const RunVersionSelector = z
  .string()
  .trim()
  .refine((value) => value === 'production' || value === 'draft' || /^ver_[A-Za-z0-9_-]{1,200}$/.test(value), {
    message: "version is 'production', 'draft' or a version id such as 'ver_0123456789abcdef'.",
  });
export type RunVersionSelector = z.infer<typeof RunVersionSelector>;

export const CreateWorkflowRunRequest = z
  .object({
    workflow_id: z.string().trim().min(1, 'Give the id of the workflow to run.'),
    documents: z
      .record(z.string(), RunDocumentInput)
      .nullable()
      .optional()
      .transform((documents) => documents ?? {})
      .meta({ description: 'start_document block id → its document: a FileRef of the files API, or MIMEData (`url` a data URL).' }),
    json_inputs: z
      .record(z.string(), z.unknown())
      .nullable()
      .optional()
      .transform((inputs) => inputs ?? {})
      .meta({ description: 'start_json block id → its JSON input.' }),
    version: RunVersionSelector.nullable()
      .optional()
      .transform((version) => version ?? 'production'),
    metadata: RunMetadata.nullable().optional(),
  })
  .superRefine((request, ctx) => {
    for (const [field, entries] of [['documents', request.documents], ['json_inputs', request.json_inputs]] as const) {
      if (Object.keys(entries).length > RUN_LIMITS.maxBlocks) {
        ctx.addIssue({ code: 'custom', path: [field], message: `A workflow has at most ${RUN_LIMITS.maxBlocks} blocks; ${field} names more.` });
      }
    }
  })
  .meta({ id: 'CreateWorkflowRunRequest' });
export type CreateWorkflowRunRequest = z.infer<typeof CreateWorkflowRunRequest>;

export const CancelWorkflowRunRequest = z
  .object({
    command_id: z.string().trim().min(1).max(200).nullable().optional().meta({ description: 'Idempotency key: a repeated cancel with the same key answers as the first did.' }),
  })
  .meta({ id: 'CancelWorkflowRequest' });
export type CancelWorkflowRunRequest = z.infer<typeof CancelWorkflowRunRequest>;

export const CANCELLATION_STATUSES = ['cancelled', 'cancellation_requested', 'cancellation_failed'] as const;
export const CancelWorkflowRunResponse = z
  .object({
    run: WorkflowRun,
    redis_available: z.boolean(),
    cancellation_status: z.enum(CANCELLATION_STATUSES),
  })
  .meta({ id: 'CancelWorkflowResponse' });
export type CancelWorkflowRunResponse = z.infer<typeof CancelWorkflowRunResponse>;

export const WORKFLOW_RUN_SORT_KEYS = ['created_at', 'started_at', 'completed_at'] as const;

/** `metadata` filter: a JSON object of string pairs, all of which a run must carry. */
const MetadataFilter = z
  .string()
  .max(RUN_LIMITS.maxMetadataPairs * (RUN_LIMITS.maxMetadataKeyChars + RUN_LIMITS.maxMetadataValueChars))
  .transform((text, ctx) => {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    const checked = RunMetadata.safeParse(parsed);
    if (!checked.success) {
      ctx.addIssue({ code: 'custom', message: 'metadata is a JSON object of string values, e.g. {"customer":"acme"}.' });
      return z.NEVER;
    }
    return checked.data;
  });

const durationFilter = z.coerce.number().int().min(0).optional();

export const ListWorkflowRunsQuery = paginationQuery(20)
  .extend({
    workflow_id: z.string().optional(),
    status: z.enum(WORKFLOW_RUN_FILTER_STATUSES).optional(),
    exclude_status: z.enum(WORKFLOW_RUN_FILTER_STATUSES).optional(),
    trigger_type: z.enum([...TRIGGER_TYPES, 'custom']).optional(),
    from_date: dateFilter('start'),
    to_date: dateFilter('end'),
    min_duration_ms: durationFilter,
    max_duration_ms: durationFilter,
    search: z.string().max(200).optional(),
    metadata: MetadataFilter.optional(),
    sort_by: z
      .string()
      .transform((value) => value.replace(/^timing\./, ''))
      .pipe(z.enum(WORKFLOW_RUN_SORT_KEYS, { message: `sort_by must be one of ${WORKFLOW_RUN_SORT_KEYS.join(', ')} (optionally prefixed with "timing.")` }))
      .default('created_at'),
  })
  .superRefine(refineCursors);
export type ListWorkflowRunsQuery = z.infer<typeof ListWorkflowRunsQuery>;

export const EXPORT_SOURCES = ['outputs', 'inputs'] as const;

/** `POST /v1/workflows/runs/export`: one block's inputs or outputs across runs, as CSV. */
export const WorkflowRunExportRequest = z
  .object({
    workflow_id: z.string().trim().min(1),
    block_id: z.string().trim().min(1),
    export_source: z.enum(EXPORT_SOURCES).default('outputs'),
    selected_run_ids: z.array(z.string()).max(1_000).nullable().optional(),
    selected_doc_types: z.array(z.string()).max(100).nullable().optional(),
    status: z.enum(WORKFLOW_RUN_FILTER_STATUSES).nullable().optional(),
    exclude_status: z.enum(WORKFLOW_RUN_FILTER_STATUSES).nullable().optional(),
    from_date: dateFilter('start').nullable(),
    to_date: dateFilter('end').nullable(),
    trigger_type: z.enum(TRIGGER_TYPES).nullable().optional(),
    preferred_columns: z.array(z.string().max(200)).max(200).default([]),
    delimiter: z.string().min(1).max(4).default(';'),
    line_delimiter: z.string().min(1).max(4).default('\n'),
    quote: z.string().length(1).default('"'),
  })
  .meta({ id: 'WorkflowExportPayloadRequest' });
export type WorkflowRunExportRequest = z.infer<typeof WorkflowRunExportRequest>;

export const WorkflowRunExportResponse = z
  .object({ csv_data: z.string(), rows: z.number().int(), columns: z.number().int() })
  .meta({ id: 'WorkflowExportPayloadResponse' });
export type WorkflowRunExportResponse = z.infer<typeof WorkflowRunExportResponse>;
