import { z } from 'zod';
import { LIFECYCLE_STATUSES } from '../lifecycle.js';
import { Lifecycle, NullableTimestamp, Timing } from './common.js';
import { StepArtifactRef } from './results.js';
import { HandleInput, StoredHandleInput } from './tests.js';

/**
 * Retab's experiments surface (retab-api-delta §4), one model per object serving both SDK
 * generations: where 393edb37 and 61d9c44e name a key differently, a response carries both names
 * and a request accepts either.
 */
export const EXPERIMENT_BLOCK_TYPES = ['extract', 'classifier', 'split', 'for_each'] as const;
export type ExperimentBlockType = (typeof EXPERIMENT_BLOCK_TYPES)[number];
/** The block types this server can run an experiment on (for_each has no executor here). */
export const RUNNABLE_EXPERIMENT_BLOCK_TYPES = ['extract', 'classifier', 'split', 'for_each'] as const;
export const ExperimentBlockTypeSchema = z.enum(EXPERIMENT_BLOCK_TYPES);
export const N_CONSENSUS_VALUES = [3, 5, 7] as const;
export const NConsensus = z.union([z.literal(3), z.literal(5), z.literal(7)]).meta({ id: 'NConsensusValue' });
export const EXPERIMENT_STATUSES = ['draft', 'processing', 'completed', 'failed', 'cancelled'] as const;
export type ExperimentStatus = (typeof EXPERIMENT_STATUSES)[number];
export const METRIC_VIEWS = ['summary', 'by_document', 'by_target', 'votes'] as const;
export type MetricView = (typeof METRIC_VIEWS)[number];

/** 61d9c44e's `run_id`; 393edb37 called it `workflow_run_id`: either is accepted. */
export const ExperimentDocumentCaptureRequest = z
  .object({
    run_id: z.string().trim().min(1).optional(),
    workflow_run_id: z.string().trim().min(1).optional(),
    step_id: z.string().nullable().optional(),
  })
  .refine((capture) => capture.run_id !== undefined || capture.workflow_run_id !== undefined, { message: 'Give the workflow run to capture from as `run_id`.' })
  .refine((capture) => capture.run_id === undefined || capture.workflow_run_id === undefined || capture.run_id === capture.workflow_run_id, {
    message: '`run_id` and `workflow_run_id` name the same run under its two names; give one of them.',
  })
  .meta({ id: 'ExperimentDocumentCaptureRequest' });
export type ExperimentDocumentCaptureRequest = z.infer<typeof ExperimentDocumentCaptureRequest>;

export const ExperimentDocumentProvenance = z
  .object({ run_id: z.string().nullable().optional(), workflow_run_id: z.string().nullable().optional(), step_id: z.string().nullable().optional() })
  .meta({ id: 'ExperimentDocumentProvenance' });
export type ExperimentDocumentProvenance = z.infer<typeof ExperimentDocumentProvenance>;

export const MAX_EXPERIMENT_DOCUMENTS = 500;

export const ExplicitExperimentDocumentRequest = z
  .object({ handle_inputs: z.record(z.string(), HandleInput), provenance: ExperimentDocumentProvenance.nullable().optional() })
  .meta({ id: 'ExplicitExperimentDocumentRequest' });
export type ExplicitExperimentDocumentRequest = z.infer<typeof ExplicitExperimentDocumentRequest>;

/** The run a capture names, under either generation's key. */
export function capturedRunId(capture: ExperimentDocumentCaptureRequest): string {
  return (capture.run_id ?? capture.workflow_run_id)!;
}

const documentSet = {
  document_captures: z.array(ExperimentDocumentCaptureRequest).max(MAX_EXPERIMENT_DOCUMENTS).nullable().optional(),
  documents: z.array(ExplicitExperimentDocumentRequest).max(MAX_EXPERIMENT_DOCUMENTS).nullable().optional(),
  n_consensus: NConsensus.nullable().optional(),
  name: z.string().trim().min(1).max(200).nullable().optional(),
};

/** Captures and explicit documents make one document set, bounded as each list is. */
function refineDocumentCount(request: { document_captures?: unknown[] | null; documents?: unknown[] | null }, ctx: z.RefinementCtx): void {
  const captures = request.document_captures?.length ?? 0;
  const documents = request.documents?.length ?? 0;
  if (captures + documents > MAX_EXPERIMENT_DOCUMENTS) {
    ctx.addIssue({
      code: 'custom',
      path: ['document_captures'],
      message: `An experiment has at most ${MAX_EXPERIMENT_DOCUMENTS} documents; ${captures} captures and ${documents} documents make ${captures + documents}. Split them across experiments.`,
    });
  }
}

export const CreateExperimentRequest = z
  .object({ workflow_id: z.string().trim().min(1), block_id: z.string().trim().min(1).nullable().optional(), ...documentSet, source_experiment_id: z.string().nullable().optional() })
  .superRefine((request, ctx) => {
    const given = (key: keyof typeof request) => request[key] !== undefined && request[key] !== null;
    if (given('source_experiment_id')) {
      for (const key of ['block_id', 'document_captures', 'documents', 'n_consensus', 'name'] as const) {
        if (given(key)) ctx.addIssue({ code: 'custom', path: [key], message: 'A duplicate (source_experiment_id) copies everything from its source; leave out every other field.' });
      }
    } else if (!given('block_id')) {
      ctx.addIssue({ code: 'custom', path: ['block_id'], message: 'Give the block to experiment on (block_id), or source_experiment_id to duplicate an experiment.' });
    }
    refineDocumentCount(request, ctx);
  })
  .meta({ id: 'CreateExperimentRequest' });
export type CreateExperimentRequest = z.infer<typeof CreateExperimentRequest>;

export const UpdateExperimentRequest = z.object(documentSet).superRefine(refineDocumentCount).meta({ id: 'UpdateExperimentRequest' });
export type UpdateExperimentRequest = z.infer<typeof UpdateExperimentRequest>;

export const WorkflowExperiment = z
  .object({
    id: z.string(),
    workflow_id: z.string(),
    block_id: z.string(),
    block_type: ExperimentBlockTypeSchema,
    n_consensus: NConsensus,
    document_count: z.number().int(),
    name: z.string(),
    last_run_id: z.string().nullable(),
    created_at: NullableTimestamp,
    updated_at: NullableTimestamp,
    status: z.enum(EXPERIMENT_STATUSES),
    score: z.number().nullable(),
    is_stale: z.boolean(),
    freshness_state: z.enum(['fresh', 'stale', 'unknown']),
    freshness_reasons: z.array(z.string()),
    run_plan_mode: z.enum(['run', 'noop', 'conflict', 'unknown']),
    rerunnable_document_count: z.number().int(),
    schema_drift: z.enum(['none', 'partial', 'drifted', 'unknown']),
    schema_drift_detail: z.string().nullable(),
    plan_token: z.string().meta({ description: 'The plan a run would execute now; give it as `plan_token` when creating a run to refuse a run of a plan that changed since (409).' }),
  })
  .meta({ id: 'WorkflowExperiment' });
export type WorkflowExperiment = z.infer<typeof WorkflowExperiment>;

export const CreateExperimentRunRequest = z
  .object({ experiment_id: z.string().trim().min(1), workflow_id: z.string().nullable().optional(), plan_token: z.string().nullable().optional() })
  .meta({ id: 'CreateExperimentRunRequest' });
export type CreateExperimentRunRequest = z.infer<typeof CreateExperimentRunRequest>;

export const ExperimentRun = z
  .object({
    id: z.string(),
    experiment_id: z.string(),
    workflow: z.object({ workflow_id: z.string(), version_id: z.string() }).meta({ description: '393edb37 only; 61d9c44e reads workflow_id and workflow_version_id.' }),
    workflow_id: z.string(),
    workflow_version_id: z.string(),
    trigger: z.object({ type: z.string().nullable() }).passthrough(),
    block_id: z.string(),
    block_type: ExperimentBlockTypeSchema,
    n_consensus: NConsensus,
    lifecycle: Lifecycle,
    timing: Timing,
    parent_run_id: z.string().nullable(),
    block_version_id: z.string().nullable(),
    metrics_validity_fingerprint: z.string().nullable(),
    metrics_validity_fingerprint_version: z.number().int().nullable(),
    block_execution_fingerprint: z.string(),
    definition_fingerprint: z.string().meta({ description: 'block_execution_fingerprint under its 393edb37 name (the same value).' }),
    documents_fingerprint: z.string(),
    score: z.number().nullable(),
    total_document_count: z.number().int(),
    completed_document_count: z.number().int(),
    document_count: z.number().int(),
    error_count: z.number().int(),
  })
  .meta({ id: 'ExperimentRun' });
export type ExperimentRun = z.infer<typeof ExperimentRun>;

export const CancelExperimentRunResponse = z.object({ id: z.string(), lifecycle: Lifecycle }).meta({ id: 'CancelWorkflowExperimentRunResponse' });
export type CancelExperimentRunResponse = z.infer<typeof CancelExperimentRunResponse>;

export const ExperimentRunStatusFilter = z.enum(LIFECYCLE_STATUSES);

export const ExperimentResult = z
  .object({
    id: z.string(),
    experiment_run_id: z.string(),
    run_id: z.string().meta({ description: 'experiment_run_id under its 393edb37 name (the same value).' }),
    experiment_id: z.string(),
    document_id: z.string(),
    lifecycle: Lifecycle,
    timing: Timing,
    block_type: ExperimentBlockTypeSchema,
    handle_inputs: z.record(z.string(), StoredHandleInput),
    handle_outputs: z.record(z.string(), z.unknown()),
    artifact: StepArtifactRef.nullable(),
    attempt: z.number().int(),
    is_placeholder: z.boolean(),
    votes: z.array(z.unknown()).nullable().meta({ description: "Every voter's answer, in voter order: what the metrics are computed from (null until the document completes)." }),
    provenance: ExperimentDocumentProvenance.nullable().meta({
      description: 'Verdict extension: the workflow run step the document was captured from (`run_id` and its 393edb37 name `workflow_run_id`, `step_id`), or the provenance given with an explicit document; null when none.',
    }),
  })
  .meta({ id: 'ExperimentResult' });
export type ExperimentResult = z.infer<typeof ExperimentResult>;

const scores = { score: z.number().nullable(), prior_score: z.number().nullable() };
export const ConfusionFlow = z.object({ source: z.string(), target: z.string(), score: z.number() }).meta({ id: 'ExperimentConfusionFlowMetric' });
export type ConfusionFlow = z.infer<typeof ConfusionFlow>;
export const ConfusionSummary = z.object({ diag: z.record(z.string(), z.number()), flows: z.array(ConfusionFlow) }).meta({ id: 'ExperimentConfusionSummaryAggregate' });
export type ConfusionSummary = z.infer<typeof ConfusionSummary>;
export const ExtractSummary = z.object({ likelihoods: z.record(z.string(), z.number()) }).meta({ id: 'ExperimentExtractSummaryAggregate' });
export const TargetConfusion = z
  .object({ self: z.number().nullable(), flow_from: z.record(z.string(), z.number()), flow_to: z.record(z.string(), z.number()) })
  .meta({ id: 'ExperimentTargetConfusionMetric' });
export type TargetConfusion = z.infer<typeof TargetConfusion>;
const DocumentRef = z.object({ id: z.string(), filename: z.string() }).meta({ id: 'ExperimentMetricDocumentRef' });

export const SummaryMetrics = z
  .object({
    experiment_id: z.string(),
    run_id: z.string(),
    kind: z.literal('summary'),
    view: z.literal('summary'),
    block_execution_fingerprint: z.string().nullable(),
    definition_fingerprint: z.string().nullable(),
    block_type: ExperimentBlockTypeSchema,
    ...scores,
    documents: z.array(DocumentRef.extend(scores)),
    scored_document_count: z.number().int(),
    total_document_count: z.number().int(),
    aggregate: z.union([ExtractSummary, ConfusionSummary]).nullable(),
    prior_run_id: z.string().nullable(),
  })
  .meta({ id: 'ExperimentSummaryMetricsResponse' });
export type SummaryMetrics = z.infer<typeof SummaryMetrics>;

export const ByDocumentMetrics = z
  .object({
    run_id: z.string(),
    kind: z.literal('by_document'),
    view: z.literal('by_document'),
    document: DocumentRef,
    ...scores,
    confusion: ConfusionSummary.nullable(),
    targets: z.array(z.object({ path: z.string(), ...scores, value: z.unknown() })),
  })
  .meta({ id: 'ExperimentByDocumentMetricsResponse' });
export type ByDocumentMetrics = z.infer<typeof ByDocumentMetrics>;

export const ByTargetMetrics = z
  .object({
    run_id: z.string(),
    kind: z.literal('by_target'),
    view: z.literal('by_target'),
    target: z.string(),
    ...scores,
    confusion: TargetConfusion.nullable(),
    documents: z.array(DocumentRef.extend({ ...scores, value: z.unknown() })),
  })
  .meta({ id: 'ExperimentByTargetMetricsResponse' });
export type ByTargetMetrics = z.infer<typeof ByTargetMetrics>;

export const VoteRow = z
  .object({
    path: z.string(),
    consensus: z.unknown(),
    votes: z.array(z.unknown()),
    score: z.number().nullable(),
    row_presence_score: z.number().nullable(),
    present_voter_count: z.number().int().nullable(),
    total_voter_count: z.number().int().nullable(),
  })
  .meta({ id: 'ExperimentVoteRow' });
export type VoteRow = z.infer<typeof VoteRow>;

export const VotesMetrics = z
  .object({ run_id: z.string(), kind: z.literal('votes'), view: z.literal('votes'), document: DocumentRef, target: z.string(), ...scores, rows: z.array(VoteRow) })
  .meta({ id: 'ExperimentVotesMetricsResponse' });
export type VotesMetrics = z.infer<typeof VotesMetrics>;

export const MetricsMissing = z
  .object({ kind: z.literal('no_metrics'), error: z.literal('no_metrics'), experiment_id: z.string(), message: z.string() })
  .meta({ id: 'ExperimentMetricsMissingError' });

export const MetricsStale = z
  .object({
    kind: z.literal('stale_metrics'),
    error: z.literal('stale_metrics'),
    experiment_id: z.string(),
    stale_reasons: z.array(z.string()),
    last_run: z.object({
      run_id: z.string(),
      block_execution_fingerprint: z.string().nullable(),
      definition_fingerprint: z.string().nullable(),
      score: z.number().nullable(),
      created_at: NullableTimestamp,
    }),
    current_block_execution_fingerprint: z.string().nullable(),
    current_config_fingerprint: z.string().nullable().meta({ description: 'current_block_execution_fingerprint under its 393edb37 name.' }),
    message: z.string(),
  })
  .meta({ id: 'ExperimentMetricsStaleError' });
export type MetricsStale = z.infer<typeof MetricsStale>;

export const ExperimentMetricsResponse = z.union([SummaryMetrics, ByDocumentMetrics, ByTargetMetrics, VotesMetrics, MetricsStale, MetricsMissing]).meta({ id: 'ExperimentMetricsResponse' });
export type ExperimentMetricsResponse = z.infer<typeof ExperimentMetricsResponse>;
