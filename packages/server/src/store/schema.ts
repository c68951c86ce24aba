/**
 * Table shapes as Kysely sees them. Timestamps are ISO-8601 strings (they sort as time on both
 * SQLite and PostgreSQL); JSON columns hold text. One shape serves both dialects.
 */
import type { Generated } from 'kysely';
import type { UploadReservation } from '../files/index.js';

export interface OrganizationsTable {
  id: string;
  name: string;
  created_at: string;
}

export interface ApiKeysTable {
  id: string;
  organization_id: string;
  key_hash: string;
  key_prefix: string;
  created_at: string;
  /** Set once by `verdict keys revoke`; a revoked key is refused everywhere but its id stays referenced. */
  revoked_at: string | null;
  /** Written at most once a minute per key and process, not on every request. */
  last_used_at: string | null;
}

export interface WorkflowsTable {
  organization_id: string;
  id: string;
  name: string;
  description: string;
  published_version_id: string | null;
  published_at: string | null;
  published_description: string;
  project_id: string;
  created_at: string;
  updated_at: string;
  /** Renewed by triggers on every change to the workflow's blocks or edges (migration 018); null until the first. */
  draft_revision: Generated<string | null>;
}

export interface WorkflowVersionsTable {
  organization_id: string;
  workflow_id: string;
  id: string;
  snapshot: string;
  created_at: string;
}

export interface BlocksTable {
  organization_id: string;
  id: string;
  workflow_id: string;
  type: string;
  label: string;
  position_x: number;
  position_y: number;
  width: number | null;
  height: number | null;
  config: string | null;
  parent_id: string | null;
  /** The block's id in the spec it was applied from, when the apply gave it another id (or kept it). */
  declarative_source_block_id: string | null;
  created_at: string;
  updated_at: string;
}

export interface EdgesTable {
  organization_id: string;
  id: string;
  workflow_id: string;
  source_block: string;
  source_handle: string | null;
  target_block: string;
  target_handle: string | null;
  created_at: string;
  updated_at: string;
}

export interface TestsTable {
  id: string;
  organization_id: string;
  workflow_id: string;
  block_id: string;
  name: string | null;
  source: string;
  /** Of `source`'s handle inputs, written with it (null only before migration 002 backfilled it). */
  handle_inputs_fingerprint: string | null;
  assertion: string;
  /** A SavedSchemaDep as JSON: the schema part the assertion depended on when saved (null before migration 006 backfilled it). */
  assertion_schema_dep: string | null;
  latest_result_id: string | null;
  latest_passing_result_id: string | null;
  latest_failing_result_id: string | null;
  created_at: string;
  updated_at: string;
}

export interface TestRunsTable {
  id: string;
  organization_id: string;
  workflow_id: string;
  version_id: string;
  trigger: string;
  trigger_type: string;
  status: string;
  cancel_reason: string | null;
  error_message: string | null;
  error_details: string | null;
  target_block_id: string | null;
  test_id: string | null;
  total_tests: number;
  n_pending: number;
  n_queued: number;
  n_running: number;
  n_completed: number;
  n_error: number;
  n_cancelled: number;
  n_passed: number;
  n_failed: number;
  n_blocked: number;
  created_at: string;
  started_at: string | null;
  completed_at: string | null;
}

export interface TestResultsTable {
  id: string;
  organization_id: string;
  run_id: string;
  position: number;
  test_id: string;
  workflow_id: string;
  block_id: string;
  block_type: string;
  status: string;
  verdict: string | null;
  attempts: number;
  source: string;
  assertion: string;
  outputs: string | null;
  routing: string | null;
  warnings: string | null;
  error: string | null;
  assertion_result: string | null;
  execution_details: string | null;
  handle_inputs_fingerprint: string;
  block_config_fingerprint: string;
  workflow_draft_fingerprint: string;
  execution_fingerprint: string;
  duration_ms: number | null;
  created_at: string;
  started_at: string | null;
  completed_at: string | null;
  /** When the block began executing (migration 013); the result's queue time runs from created_at to it. */
  execution_started_at: string | null;
}

export interface FilesTable {
  id: string;
  organization_id: string;
  filename: string;
  mime_type: string;
  size_bytes: number;
  sha256: string;
  created_at: string;
}

/** A reserved upload (Retab's upload flow) until it is completed: the row is files/'s UploadReservation. */
export type FileUploadsTable = UploadReservation;

export interface UrlSigningKeysTable {
  id: string;
  secret: string;
  created_at: string;
}

export interface SessionsTable {
  id: string;
  organization_id: string;
  api_key_id: string;
  csrf_token: string;
  created_at: string;
  expires_at: string;
}

export interface WorkflowRunsTable {
  id: string;
  organization_id: string;
  workflow_id: string;
  version_id: string;
  trigger: string;
  trigger_type: string;
  status: string;
  /** `{documents, json_data}` as the run was asked (files as FileRefs). */
  inputs: string;
  metadata: string | null;
  cancel_reason: string | null;
  /** The `command_id` of the cancel that decided, so that its retry answers the same. */
  cancel_command_id: string | null;
  /** `{message, stage, category, details, failing_step_id}` of an errored run. */
  error: string | null;
  /** Times the run was started, resumes after a dead process or worker included (migration 014). */
  attempts: number;
  created_at: string;
  started_at: string | null;
  completed_at: string | null;
}

export interface WorkflowRunStepsTable {
  id: string;
  organization_id: string;
  workflow_id: string;
  run_id: string;
  step_id: string;
  block_id: string;
  block_type: string;
  block_label: string;
  status: string;
  /** The step's whole lifecycle object (its reason or message with it). */
  lifecycle: string;
  loop_containers: string;
  handle_inputs: string;
  handle_outputs: string;
  artifact_operation: string | null;
  artifact_id: string | null;
  model: string | null;
  retry_count: number;
  created_at: string;
  started_at: string | null;
  completed_at: string | null;
}

export interface ExperimentsTable {
  organization_id: string;
  id: string;
  workflow_id: string;
  block_id: string;
  block_type: string;
  name: string;
  n_consensus: number;
  document_count: number;
  documents_fingerprint: string;
  last_run_id: string | null;
  created_at: string;
  updated_at: string;
}

export interface ExperimentDocumentsTable {
  organization_id: string;
  id: string;
  experiment_id: string;
  position: number;
  filename: string;
  /** The document's handle inputs as saved (files normalised), JSON. */
  handle_inputs: string;
  provenance: string | null;
}

export interface ExperimentRunsTable {
  organization_id: string;
  id: string;
  experiment_id: string;
  workflow_id: string;
  workflow_version_id: string;
  block_id: string;
  block_type: string;
  /** The block as the run executes it (SnapshotBlock JSON): later edits of the draft do not reach a live run. */
  block: string;
  n_consensus: number;
  block_config_fingerprint: string;
  block_execution_fingerprint: string;
  documents_fingerprint: string;
  trigger_type: string;
  status: string;
  error_message: string | null;
  cancel_reason: string | null;
  score: number | null;
  total_document_count: number;
  completed_document_count: number;
  error_count: number;
  created_at: string;
  started_at: string | null;
  completed_at: string | null;
}

export interface WorkflowArtifactsTable {
  id: string;
  organization_id: string;
  workflow_id: string;
  run_id: string;
  step_id: string;
  block_id: string;
  operation: string;
  body: string;
  created_at: string;
}

export interface BlockExecutionsTable {
  id: string;
  organization_id: string;
  run_id: string;
  block_id: string;
  /** The StoredBlockExecution as answered. */
  body: string;
  created_at: string;
}

export interface ExperimentResultsTable {
  organization_id: string;
  id: string;
  run_id: string;
  experiment_id: string;
  document_id: string;
  filename: string;
  position: number;
  status: string;
  handle_inputs: string;
  handle_outputs: string | null;
  /** Every vote of the document, in voter order (JSON array): what the metrics are computed from. */
  votes: string | null;
  /** The document's provenance when the run was created (JSON `{run_id, step_id}`), or null. */
  provenance: string | null;
  /** The artifact of the document's block execution (GET /v1/workflows/artifacts/{id}): id, operation, body as JSON. */
  artifact_id: string | null;
  artifact_operation: string | null;
  artifact: string | null;
  page_count: number | null;
  details: string | null;
  error_message: string | null;
  error_details: string | null;
  attempt: number;
  created_at: string;
  started_at: string | null;
  completed_at: string | null;
  duration_ms: number | null;
}

export interface Database {
  organizations: OrganizationsTable;
  api_keys: ApiKeysTable;
  workflows: WorkflowsTable;
  workflow_versions: WorkflowVersionsTable;
  blocks: BlocksTable;
  edges: EdgesTable;
  tests: TestsTable;
  test_runs: TestRunsTable;
  test_results: TestResultsTable;
  files: FilesTable;
  file_uploads: FileUploadsTable;
  url_signing_keys: UrlSigningKeysTable;
  sessions: SessionsTable;
  workflow_runs: WorkflowRunsTable;
  workflow_run_steps: WorkflowRunStepsTable;
  workflow_artifacts: WorkflowArtifactsTable;
  block_executions: BlockExecutionsTable;
  experiments: ExperimentsTable;
  experiment_documents: ExperimentDocumentsTable;
  experiment_runs: ExperimentRunsTable;
  experiment_results: ExperimentResultsTable;
}
