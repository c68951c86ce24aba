import { z } from 'zod';
import { ErrorDetails, refineCursors, Timestamp } from '../../../schemas/common.js';
import { ID_PREFIXES, type IdKind } from '../../../ids.js';
import { FileRef } from '../../../schemas/files.js';

/** Retab's eleven `StepArtifactRef.operation` values; Verdict produces the five of ARTIFACT_OPERATIONS_PRODUCED. */
export const ARTIFACT_OPERATIONS = [
  'extraction', 'split', 'classification', 'parse', 'edit', 'partition', 'conditional_evaluation',
  'review_trigger_evaluation', 'while_loop_termination', 'api_call_invocation', 'function_invocation',
] as const;
export type ArtifactOperation = (typeof ARTIFACT_OPERATIONS)[number];
export const ARTIFACT_OPERATIONS_PRODUCED = ['function_invocation', 'extraction', 'classification', 'split', 'conditional_evaluation'] as const satisfies readonly ArtifactOperation[];
export type ProducedArtifactOperation = (typeof ARTIFACT_OPERATIONS_PRODUCED)[number];

/**
 * The id kind (ids.ts) of each artifact operation, so that `GET /v1/workflows/artifacts/{id}` knows the kind
 * from the id as Retab's does (`extr_`, `clss_`, `ceval_`).
 */
export const ARTIFACT_ID_KINDS = {
  function_invocation: 'functionInvocation',
  extraction: 'extraction',
  classification: 'classification',
  split: 'split',
  conditional_evaluation: 'conditionalEvaluation',
} as const satisfies Record<ProducedArtifactOperation, IdKind>;

export function artifactOperationOfId(artifactId: string): ProducedArtifactOperation | null {
  for (const operation of ARTIFACT_OPERATIONS_PRODUCED) if (artifactId.startsWith(ID_PREFIXES[ARTIFACT_ID_KINDS[operation]])) return operation;
  return null;
}

/** The run a workflow-side artifact belongs to under both names: `workflow_run_id` until 2026-05-29, `run_id` after. */
const runReference = { run_id: z.string(), workflow_run_id: z.string(), step_id: z.string() };

/** Model-backed artifacts' status: Verdict records them when the block finished, so `completed` or `failed`. */
export const PRIMITIVE_STATUSES = ['pending', 'queued', 'in_progress', 'completed', 'failed', 'cancelled'] as const;
export const PrimitiveError = z
  .object({ code: z.string(), message: z.string(), details: z.record(z.string(), z.unknown()).nullable() })
  .meta({ id: 'PrimitiveError' });
/**
 * Retab's `RetabUsage`, with the tokens behind it: Verdict bills no credits (`credits` is 0), and
 * the token counts are what the model server reported, summed over consensus votes and repair turns.
 */
export const Usage = z
  .object({
    credits: z.number().meta({ description: 'Retab credits; Verdict bills none, so 0.' }),
    prompt_tokens: z.number().int().optional().meta({ description: 'Verdict extension: prompt tokens the model server reported, summed over the votes and repair turns of the call.' }),
    completion_tokens: z.number().int().optional().meta({ description: 'Verdict extension: completion tokens, summed the same way.' }),
    total_tokens: z.number().int().optional().meta({ description: 'Verdict extension: total tokens, summed the same way.' }),
  })
  .meta({ id: 'RetabUsage' });
export type Usage = z.infer<typeof Usage>;

/** One array item a wildcard path visited: `indices` from the outermost `.*` in. */
export const ConditionEvaluationPerItem = z
  .object({ index: z.number().int(), indices: z.array(z.number().int()), actual: z.unknown(), matched: z.boolean() })
  .meta({ id: 'ConditionEvaluationPerItem' });
export type ConditionEvaluationPerItem = z.infer<typeof ConditionEvaluationPerItem>;

/** Per-item breakdowns under both names: `per_item` until 2026-05-29, `items` after. */
const perItem = { items: z.array(ConditionEvaluationPerItem).nullable(), per_item: z.array(ConditionEvaluationPerItem).nullable() };

/** What every evaluated (sub-)condition records; a branch's result has it at the top and again under `details`. */
const evaluatedFields = {
  path: z.string(),
  operator: z.string(),
  expected: z.unknown(),
  actual: z.unknown(),
  matched: z.boolean(),
  ...perItem,
};

export const ConditionEvaluationSubCondition = z
  .object({
    sub_condition_id: z.string(),
    ...evaluatedFields,
  })
  .meta({ id: 'ConditionEvaluationSubCondition' });
export type ConditionEvaluationSubCondition = z.infer<typeof ConditionEvaluationSubCondition>;

export const LOGICAL_OPERATORS = ['and', 'or'] as const;
export type LogicalOperator = (typeof LOGICAL_OPERATORS)[number];

export const ConditionEvaluationDetails = z
  .object({
    ...evaluatedFields,
    sub_conditions: z.array(ConditionEvaluationSubCondition).nullable(),
    logical_operator: z.enum(LOGICAL_OPERATORS).nullable(),
  })
  .meta({ id: 'ConditionEvaluationDetails' });

/** One branch's condition as evaluated: its sub-conditions, combined by its logical operator. */
export const ConditionEvaluationResult = z
  .object({
    condition_id: z.string(),
    ...evaluatedFields,
    branch_name: z.string(),
    logical_operator: z.enum(LOGICAL_OPERATORS).nullable(),
    sub_evaluations: z.array(ConditionEvaluationSubCondition).nullable(),
    details: ConditionEvaluationDetails,
  })
  .meta({ id: 'ConditionEvaluationResult' });
export type ConditionEvaluationResult = z.infer<typeof ConditionEvaluationResult>;

export const ConditionalEvaluation = z
  .object({
    operation: z.literal('conditional_evaluation'),
    id: z.string(),
    ...runReference,
    evaluations: z.array(ConditionEvaluationResult),
    selected_handles: z.array(z.string()),
    matched_branch_id: z.string().nullable(),
    matched_condition_ids: z.array(z.string()),
    created_at: Timestamp,
  })
  .meta({ id: 'ConditionalEvaluation' });
export type ConditionalEvaluation = z.infer<typeof ConditionalEvaluation>;

export const FunctionInvocation = z
  .object({
    operation: z.literal('function_invocation'),
    id: z.string(),
    ...runReference,
    inputs: z.record(z.string(), z.unknown()),
    output: z.unknown(),
    duration_ms: z.number().int().nullable(),
    error: ErrorDetails.nullable(),
    created_at: Timestamp,
  })
  .meta({ id: 'FunctionInvocation' });
export type FunctionInvocation = z.infer<typeof FunctionInvocation>;

/** What every model-backed artifact carries besides its own fields. */
const modelArtifact = {
  id: z.string(),
  file: FileRef,
  model: z.string(),
  n_consensus: z.number().int(),
  instructions: z.string().nullable(),
  status: z.enum(PRIMITIVE_STATUSES),
  error: PrimitiveError.nullable(),
  consensus: z.record(z.string(), z.unknown()).nullable(),
  usage: Usage.nullable(),
  created_at: Timestamp,
  run_id: z.string().meta({ description: 'Verdict extension: the run whose step produced it.' }),
  step_id: z.string().meta({ description: 'Verdict extension: the step that produced it.' }),
};

export const ExtractionArtifact = z
  .object({
    operation: z.literal('extraction'),
    ...modelArtifact,
    json_schema: z.record(z.string(), z.unknown()),
    output: z.record(z.string(), z.unknown()),
    metadata: z.record(z.string(), z.string()).nullable(),
    image_resolution_dpi: z.number().int().nullable(),
  })
  .meta({ id: 'ExtractionWorkflowArtifact' });
export type ExtractionArtifact = z.infer<typeof ExtractionArtifact>;

export const ClassificationCategory = z
  .object({ name: z.string(), description: z.string(), handle_key: z.string().nullable() })
  .meta({ id: 'Category' });

/** `output` is required (non-null) by 2026-05-29 SDKs: Verdict records a classification once it is decided. */
export const ClassificationArtifact = z
  .object({
    operation: z.literal('classification'),
    ...modelArtifact,
    categories: z.array(ClassificationCategory),
    output: z.object({ reasoning: z.string(), category: z.string() }),
  })
  .meta({ id: 'ClassificationWorkflowArtifact' });
export type ClassificationArtifact = z.infer<typeof ClassificationArtifact>;

export const SplitArtifact = z
  .object({
    operation: z.literal('split'),
    ...modelArtifact,
    subdocuments: z.array(z.object({ name: z.string(), description: z.string(), allow_multiple_instances: z.boolean() })),
    output: z.array(z.object({ name: z.string(), pages: z.array(z.number().int()) })),
  })
  .meta({ id: 'SplitWorkflowArtifact' });
export type SplitArtifact = z.infer<typeof SplitArtifact>;

/** `GET /v1/workflows/artifacts/{id}`: the artifact whole, told apart by `operation`. */
export const WorkflowArtifactRecord = z
  .discriminatedUnion('operation', [FunctionInvocation, ConditionalEvaluation, ExtractionArtifact, ClassificationArtifact, SplitArtifact])
  .meta({ id: 'WorkflowArtifactRecord' });
export type WorkflowArtifactRecord = z.infer<typeof WorkflowArtifactRecord>;

/**
 * A list item: Retab's `WorkflowArtifact {operation, id, additional_properties}` with the
 * operation's own fields both inline and under `additional_properties`, so either reader finds them.
 */
export const WorkflowArtifactListItem = z
  .object({ operation: z.enum(ARTIFACT_OPERATIONS), id: z.string(), additional_properties: z.record(z.string(), z.unknown()).nullable() })
  .loose()
  .meta({ id: 'WorkflowArtifact' });
export type WorkflowArtifactListItem = z.infer<typeof WorkflowArtifactListItem>;

/** The list form of an artifact (see WorkflowArtifactListItem). */
export function artifactListItem(record: WorkflowArtifactRecord): WorkflowArtifactListItem {
  const { operation, id, ...rest } = record;
  return { ...record, operation, id, additional_properties: rest };
}

export const ListWorkflowArtifactsQuery = z
  .object({
    run_id: z.string().optional(),
    step_id: z.string().optional(),
    block_id: z.string().optional(),
    operation: z.enum(ARTIFACT_OPERATIONS).optional(),
    limit: z.coerce.number().int().min(1).max(100).default(100),
    before: z.string().min(1).optional(),
    after: z.string().min(1).optional(),
  })
  .superRefine((query, ctx) => {
    if (query.run_id === undefined && query.step_id === undefined) {
      ctx.addIssue({ code: 'custom', path: ['run_id'], message: 'Give run_id (every artifact of a run) or step_id (the artifact of one step).' });
    }
  })
  .superRefine(refineCursors);
export type ListWorkflowArtifactsQuery = z.infer<typeof ListWorkflowArtifactsQuery>;
