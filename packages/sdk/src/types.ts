/**
 * Wire types. Objects the server returns are the z.infer types of the server's own zod schemas
 * (@verdict/core); request bodies are their z.input types, so defaults may be omitted. All of it
 * is imported for types only: the SDK has no runtime dependency.
 */
import type * as core from '@verdict/core';
import type { z } from 'zod';

export type {
  AssertionResult,
  AssertionSpec,
  ChangeKind,
  ComparisonSummary,
  RunChange,
  RunComparison,
  RunOutcome,
  Stability,
  LifecycleStatus,
  ListMetadata,
  Trigger,
  Verdict as TestVerdict,
  FileLink,
  FileObject,
  MIMEData,
  Workflow,
  WorkflowBlock,
  WorkflowBlockVersion,
  WorkflowBlockVersionDiff,
  WorkflowEdge,
  WorkflowEdgeVersion,
  WorkflowEdgeVersionDiff,
  WorkflowGraphVersion,
  WorkflowGraphVersionDiff,
  WorkflowTest,
  WorkflowTestResult,
  WorkflowTestRun,
} from '@verdict/core';

export type CreateWorkflowParams = z.input<typeof core.CreateWorkflowRequest>;
export type UpdateWorkflowParams = z.input<typeof core.UpdateWorkflowRequest>;
export type PublishWorkflowParams = z.input<typeof core.PublishWorkflowRequest>;
export type CreateBlockParams = z.input<typeof core.CreateWorkflowBlockRequest>;
export type UpdateBlockParams = z.input<typeof core.UpdateWorkflowBlockRequest>;
export type CreateEdgeParams = z.input<typeof core.CreateWorkflowEdgeRequest>;
export type SpecParams = z.input<typeof core.DeclarativeWorkflowRequest>;
/** The path segment of Retab's tests API: `evals` since 2026-06-19, `tests` before; Verdict serves both. */
export type TestsSegment = 'tests' | 'evals';

export type CreateTestParams = z.input<typeof core.CreateWorkflowTestRequest>;
export type UpdateTestParams = z.input<typeof core.UpdateWorkflowTestRequest>;
export type CreateRunParams = z.input<typeof core.CreateWorkflowTestRunRequest>;
export type CancelRunParams = z.input<typeof core.CancelWorkflowTestRunRequest>;

export interface PaginationParams {
  /** 1–100. */
  limit?: number;
  order?: 'asc' | 'desc';
  before?: string;
  after?: string;
}

export interface ListWorkflowsParams extends PaginationParams {
  sort_by?: 'updated_at' | 'created_at';
  /** Only the workflows of this project. */
  project_id?: string;
}

export interface ListFilesParams extends PaginationParams {
  filename?: string;
  mime_type?: string;
}

export interface ListWorkflowVersionsParams extends PaginationParams {
  workflow_id: string;
}

export interface ListBlockVersionsParams extends ListWorkflowVersionsParams {
  block_id?: string;
  workflow_version_id?: string;
}

export interface ListEdgeVersionsParams extends ListWorkflowVersionsParams {
  edge_id?: string;
  workflow_version_id?: string;
}

export interface ListBlocksParams extends Omit<PaginationParams, 'order'> {
  workflow_id: string;
}

export interface ListEdgesParams extends Omit<PaginationParams, 'order'> {
  workflow_id: string;
  source_block?: string;
  target_block?: string;
}

/** Needed only when a block id is shared by several workflows of the organization. */
export interface BlockLocator {
  workflow_id?: string;
}

export interface ListTestsParams extends PaginationParams {
  workflow_id: string;
  target_block_id?: string;
}

export interface ListRunsParams extends PaginationParams {
  workflow_id?: string;
  /** Runs that included this test. */
  test_id?: string;
  /** `test_id` under its name since 2026-06-19. */
  eval_id?: string;
  target_block_id?: string;
  status?: core.LifecycleStatus;
  exclude_status?: core.LifecycleStatus;
  trigger_type?: core.Trigger['type'];
  /** Inclusive, on `timing.created_at`: a `YYYY-MM-DD` date, an ISO datetime or a Date. */
  from_date?: string | Date;
  to_date?: string | Date;
  sort_by?: core.RunSortKey | `timing.${core.RunSortKey}`;
}

export interface ListResultsParams extends PaginationParams {
  run_id: string;
}

/** A test's results across runs, newest first by default (a Verdict extension). */
export interface TestHistoryParams extends PaginationParams {
  test_id: string;
}

export interface CompareRunsParams {
  /** The run to compare with; by default the latest earlier finished run of the workflow that shares a test. */
  base?: string;
  /** Only the changes of this kind (the summary still covers all). */
  change?: core.ChangeKind;
  /** 1–1000 changes per page (default 100). */
  limit?: number;
  after?: string;
}

/** Declarative spec answers (`/v1/workflows/spec/…`), as published in Retab's OpenAPI document. */
export interface SpecDiagnostics {
  is_valid?: boolean;
  issues: core.DiagnosticIssue[];
  [key: string]: unknown;
}

export interface SpecValidation {
  workflow_id: string;
  block_count: number;
  edge_count: number;
  is_valid: boolean;
  diagnostics: SpecDiagnostics;
}

export interface PlanSummary {
  add: number;
  change: number;
  destroy: number;
  replace: number;
  noop: number;
  total: number;
  has_changes: boolean;
}

export interface PlanFieldChange {
  path: Array<string | number>;
  path_display: string;
  action: 'create' | 'update' | 'delete';
  before: unknown;
  after: unknown;
  unified_diff?: string | null;
}

export interface PlanResourceChange {
  address: string;
  target: 'workflow' | 'block' | 'edge';
  target_id: string;
  name: string;
  type: string;
  actions: Array<'create' | 'update' | 'delete'>;
  summary: string;
  change: { before: unknown; after: unknown; field_changes: PlanFieldChange[] };
  path?: string | null;
}

export interface SpecPlan {
  workflow_id: string;
  action: 'create' | 'update' | 'noop';
  block_count: number;
  edge_count: number;
  diagnostics: SpecDiagnostics;
  format_version: string;
  summary: PlanSummary;
  resource_changes: PlanResourceChange[];
  rendered_plan: string;
}

export interface SpecApplyResult extends SpecPlan {
  created: boolean;
}

export interface SpecExport {
  workflow_id: string;
  yaml_definition: string;
}

export type {
  AvailableIteration,
  CancelWorkflowRunResponse,
  LoopContainer,
  StoredBlockExecution,
  WorkflowArtifactListItem,
  WorkflowArtifactRecord,
  WorkflowRun,
  WorkflowRunExportResponse,
  WorkflowRunStep,
} from '@verdict/core';

export type CreateWorkflowRunParams = z.input<typeof core.CreateWorkflowRunRequest>;
export type CancelWorkflowRunParams = z.input<typeof core.CancelWorkflowRunRequest>;
export type ExportWorkflowRunsParams = z.input<typeof core.WorkflowRunExportRequest>;
export type CreateBlockExecutionParams = z.input<typeof core.CreateBlockExecutionRequest>;

type WorkflowRunFilterStatus = (typeof core.WORKFLOW_RUN_FILTER_STATUSES)[number];

export interface ListWorkflowRunsParams extends PaginationParams {
  workflow_id?: string;
  status?: WorkflowRunFilterStatus;
  exclude_status?: WorkflowRunFilterStatus;
  trigger_type?: core.Trigger['type'] | 'custom';
  /** Inclusive, on `timing.created_at`: a `YYYY-MM-DD` date, an ISO datetime or a Date. */
  from_date?: string | Date;
  to_date?: string | Date;
  min_duration_ms?: number;
  max_duration_ms?: number;
  search?: string;
  /** Runs carrying every one of these pairs (sent as the JSON object Retab's API takes). */
  metadata?: Record<string, string>;
  sort_by?: (typeof core.WORKFLOW_RUN_SORT_KEYS)[number] | `timing.${(typeof core.WORKFLOW_RUN_SORT_KEYS)[number]}`;
}

export interface ListWorkflowStepsParams extends PaginationParams {
  run_id?: string;
  workflow_id?: string;
  block_id?: string;
  step_id?: string;
  block_type?: core.BlockType | core.BlockType[];
  status?: core.StepStatus | core.StepStatus[];
}

export interface ListWorkflowArtifactsParams extends Omit<PaginationParams, 'order'> {
  /** Give run_id (every artifact of a run) or step_id (the artifact of one step). */
  run_id?: string;
  step_id?: string;
  block_id?: string;
  operation?: core.ArtifactOperation;
}

export interface ListBlockExecutionsParams extends PaginationParams {
  run_id: string;
  block_id: string;
}

export type {
  CancelExperimentRunResponse,
  ExperimentMetricsResponse,
  ExperimentResult,
  ExperimentRun,
  MetricView,
  WorkflowExperiment,
} from '@verdict/core';
export type CreateExperimentParams = z.input<typeof core.CreateExperimentRequest>;
export type UpdateExperimentParams = z.input<typeof core.UpdateExperimentRequest>;
export type CreateExperimentRunParams = z.input<typeof core.CreateExperimentRunRequest>;

export interface ListExperimentsParams extends PaginationParams {
  workflow_id: string;
  block_id?: string;
}

export interface ListExperimentRunsParams extends PaginationParams {
  workflow_id?: string;
  experiment_id?: string;
  block_id?: string;
  status?: core.LifecycleStatus;
  exclude_status?: core.LifecycleStatus;
  from_date?: string;
  to_date?: string;
  sort_by?: 'created_at' | 'started_at' | 'completed_at';
}

export interface ExperimentMetricsParams {
  run_id: string;
  view?: core.MetricView;
  document_id?: string;
  target_path?: string;
  include_prior?: boolean;
  prior_run_id?: string;
}
