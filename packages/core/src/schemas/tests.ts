import { z } from 'zod';
import { Stability } from '../history.js';
import { AssertionSpec, AssertionSpecInput } from '../assertions/spec.js';
import { LifecycleStatusSchema, Timestamp, VerdictSchema } from './common.js';
import { fileForWire, FileDocumentInput, PageSubset, StoredFileDocument } from './files.js';

export const WorkflowTestBlockTarget = z
  .object({ type: z.literal('block').default('block'), block_id: z.string().trim().min(1, 'Give the id of the block under test.') })
  .meta({ id: 'WorkflowTestBlockTarget' });
export type WorkflowTestBlockTarget = z.infer<typeof WorkflowTestBlockTarget>;

export const JsonHandleInput = z.strictObject({ type: z.literal('json'), data: z.unknown().default(null) }).meta({ id: 'JsonHandleInput' });
/**
 * Accepts the three file shapes of the reference notes; the server normalises them to
 * MaterializedDocument. `type` may be left out (Retab's models default it to `file`).
 */
export const FileHandleInput = z
  .strictObject({ type: z.literal('file').default('file'), document: FileDocumentInput, pages: PageSubset.optional() })
  .meta({ id: 'FileHandleInput' });
export const HandleInput = z.discriminatedUnion('type', [JsonHandleInput, FileHandleInput]);
export type HandleInput = z.infer<typeof HandleInput>;

/** A file handle input in a response: the stored file in the shape both SDK generations parse (fileForWire). */
export const StoredFileHandleInput = z
  .object({ type: z.literal('file'), document: StoredFileDocument, pages: PageSubset.optional() })
  .meta({ id: 'StoredFileHandleInput' });
export const StoredHandleInput = z.discriminatedUnion('type', [JsonHandleInput, StoredFileHandleInput]);
export type StoredHandleInput = z.infer<typeof StoredHandleInput>;

export const ManualWorkflowTestSource = z
  .strictObject({ type: z.literal('manual'), handle_inputs: z.record(z.string(), HandleInput).default({}) })
  .meta({ id: 'ManualWorkflowTestSource' });
export const RunStepWorkflowTestSource = z
  .strictObject({ type: z.literal('run_step'), run_id: z.string().trim().min(1), step_id: z.string().nullable().optional() })
  .meta({ id: 'RunStepWorkflowTestSource' });
export const WorkflowTestSource = z.discriminatedUnion('type', [ManualWorkflowTestSource, RunStepWorkflowTestSource]);
export type WorkflowTestSource = z.infer<typeof WorkflowTestSource>;

/**
 * A run_step source as a test keeps it: the step's handle inputs captured when the test was created
 * (retab-workflow-model §7.4), beside the `{run_id, step_id}` it came from, kept for provenance.
 */
export type CapturedRunStepSource = z.infer<typeof RunStepWorkflowTestSource> & { handle_inputs?: Record<string, HandleInput> };

/** The inputs a test replays: a manual source's, or those a run_step source captured. */
export function replayedHandleInputs(source: WorkflowTestSource): Record<string, HandleInput> {
  return source.type === 'manual' ? source.handle_inputs : ((source as CapturedRunStepSource).handle_inputs ?? {});
}

/** A test's source in a response: file inputs as fileForWire renders them. */
export const StoredManualWorkflowTestSource = z
  .object({ type: z.literal('manual'), handle_inputs: z.record(z.string(), StoredHandleInput) })
  .meta({ id: 'StoredManualWorkflowTestSource' });
export const StoredWorkflowTestSource = z.discriminatedUnion('type', [StoredManualWorkflowTestSource, RunStepWorkflowTestSource]).meta({ id: 'StoredWorkflowTestSource' });
export type StoredWorkflowTestSource = z.infer<typeof StoredWorkflowTestSource>;

function storedFileForWire(document: FileDocumentInput): StoredFileDocument {
  if (!('original_id' in document) || document.gcs_uri === undefined) throw new Error('A stored file input must have been normalised to a MaterializedDocument when it was saved.');
  return fileForWire({ ...document, gcs_uri: document.gcs_uri });
}

/** Saved handle inputs as responses show them: each file through fileForWire, JSON as it is. */
export function handleInputsForWire(inputs: Record<string, HandleInput>): Record<string, StoredHandleInput> {
  return Object.fromEntries(
    Object.entries(inputs).map(([handleId, input]) => [
      handleId,
      input.type === 'file' ? { type: 'file' as const, document: storedFileForWire(input.document), ...(input.pages ? { pages: input.pages } : {}) } : input,
    ]),
  );
}

/** A saved test source as responses show it. */
export function sourceForWire(source: WorkflowTestSource): StoredWorkflowTestSource {
  if (source.type === 'manual') return { type: 'manual', handle_inputs: handleInputsForWire(source.handle_inputs) };
  // A captured source answers as the reference it was created with; the inputs it keeps are its own.
  const { handle_inputs: _captured, ...reference } = source as CapturedRunStepSource;
  return reference;
}

export const LatestBlockTestRunSummary = z
  .object({
    run_record_id: z.string(),
    run_id: z.string().meta({ description: 'Verdict extension: the parent test run.' }),
    status: LifecycleStatusSchema,
    outcome: VerdictSchema.nullable(),
    started_at: Timestamp.meta({ description: 'When the test started; for a test cancelled before it started, when it was cancelled.' }),
    completed_at: Timestamp.nullable(),
    duration_ms: z.number().int().nullable(),
    workflow_draft_fingerprint: z.string(),
    block_config_fingerprint: z.string(),
    block_execution_fingerprint: z.string().meta({ description: 'block_config_fingerprint under its name from 2026-06-23 (the same value).' }),
    validity_fingerprint: z.string().nullable(),
    handle_inputs_fingerprint: z.string(),
    assertions_passed: z.number().int(),
    assertions_failed: z.number().int(),
    blocked_assertions: z.number().int(),
  })
  .meta({ id: 'LatestBlockTestRunSummary' });
export type LatestBlockTestRunSummary = z.infer<typeof LatestBlockTestRunSummary>;

export const AssertionSchemaDep = z
  .object({
    output_handle_id: z.string().nullable(),
    schema_path: z.string(),
    subtree_hash: z.string(),
    depends_on_root: z.boolean(),
  })
  .meta({ id: 'AssertionSchemaDep' });
export type AssertionSchemaDep = z.infer<typeof AssertionSchemaDep>;

export const FRESHNESS_STATUSES = ['fresh', 'stale', 'unknown'] as const;
/** `metrics_engine_changed` belongs to experiments: Retab's enum carries it, tests never give it. */
export const FRESHNESS_REASONS = ['validity_changed', 'inputs_changed', 'engine_changed', 'metrics_engine_changed', 'no_baseline'] as const;
export type FreshnessReason = (typeof FRESHNESS_REASONS)[number];

export const ArtifactFreshness = z
  .object({
    status: z.enum(FRESHNESS_STATUSES),
    reasons: z.array(z.enum(FRESHNESS_REASONS)),
    validity_fingerprint: z.string().nullable(),
    input_fingerprint: z.string().nullable(),
    baseline_run_id: z.string().nullable(),
  })
  .meta({ id: 'ArtifactFreshness' });
export type ArtifactFreshness = z.infer<typeof ArtifactFreshness>;

export const ArtifactDrift = z
  .object({
    status: z.enum(['none', 'drifted', 'broken', 'unknown']),
    affected_targets: z.array(z.string()),
    detail: z.string().nullable(),
  })
  .meta({ id: 'ArtifactDrift' });
export type ArtifactDrift = z.infer<typeof ArtifactDrift>;

export const AssertionDriftStatus = z.enum(['valid', 'drifted', 'broken']);
export type AssertionDriftStatus = z.infer<typeof AssertionDriftStatus>;
export const SchemaDrift = z.enum(['none', 'partial', 'drifted', 'unknown']);
export type SchemaDrift = z.infer<typeof SchemaDrift>;

export const TestValidationIssue = z.object({ code: z.string(), message: z.string() }).meta({ id: 'TestValidationIssue' });
export type TestValidationIssue = z.infer<typeof TestValidationIssue>;

export const WorkflowTest = z
  .object({
    id: z.string(),
    workflow_id: z.string(),
    target: WorkflowTestBlockTarget,
    source: StoredWorkflowTestSource,
    name: z.string().nullable(),
    assertion: AssertionSpec.nullable(),
    assertion_schema_dep: AssertionSchemaDep.nullable(),
    assertion_drift_status: AssertionDriftStatus.nullable(),
    schema_drift: SchemaDrift,
    schema_drift_detail: z.string().nullable(),
    freshness: ArtifactFreshness,
    drift: ArtifactDrift,
    validation_status: z.enum(['valid', 'warning', 'invalid']).meta({ description: 'Verdict gives valid or invalid; warning is Retab’s third value.' }),
    validation_issues: z.array(TestValidationIssue),
    latest_run_summary: LatestBlockTestRunSummary.nullable(),
    latest_passing_run_summary: LatestBlockTestRunSummary.nullable(),
    latest_failing_run_summary: LatestBlockTestRunSummary.nullable(),
    stability: Stability,
    created_at: Timestamp,
    updated_at: Timestamp,
  })
  .meta({ id: 'WorkflowTest' });
export type WorkflowTest = z.infer<typeof WorkflowTest>;

export const CreateWorkflowTestRequest = z
  .object({
    workflow_id: z.string().trim().min(1),
    target: WorkflowTestBlockTarget,
    source: WorkflowTestSource,
    assertion: AssertionSpecInput,
    name: z.string().trim().min(1, 'A test name cannot be blank.').max(300).nullable().optional(),
  })
  .meta({ id: 'CreateWorkflowTestRequest' });
export type CreateWorkflowTestRequest = z.infer<typeof CreateWorkflowTestRequest>;

export const UpdateWorkflowTestRequest = z
  .object({
    name: z.string().trim().min(1, 'A test name cannot be blank.').max(300).nullable().optional(),
    assertion: AssertionSpecInput.optional(),
    source: WorkflowTestSource.optional(),
  })
  .meta({ id: 'UpdateWorkflowTestRequest' });
export type UpdateWorkflowTestRequest = z.infer<typeof UpdateWorkflowTestRequest>;
