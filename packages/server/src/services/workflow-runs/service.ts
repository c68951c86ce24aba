import { artifactListItem, isoNow, newId, type Trigger, type WorkflowRunExportRequest } from '@verdict/core';
import { createError, type ValidationIssue } from '../../errors/index.js';
import type { WorkflowRunDispatch } from '../../execution/workflow-run/engine.js';
import { planOfSnapshot } from '../../execution/workflow-run/index.js';
import type { FileService } from '../../files/index.js';
import type { Store } from '../../store/database.js';
import { toJson } from '../../store/database.js';
import type { KeysetRequest } from '../../store/keyset.js';
import { loadSnapshot, snapshotDraft, type WorkflowSnapshot } from '../../store/versions.js';
import {
  findWorkflowArtifactRow,
  findStepsOfBlockInRuns,
  selectWorkflowRunsForExport,
  findWorkflowRunRow,
  findWorkflowStepRow,
  listWorkflowArtifacts,
  listWorkflowRuns,
  listWorkflowSteps,
  workflowArtifactFromRow,
  workflowRunFromRow,
  workflowStepFromRow,
  type WorkflowArtifactFilters,
  type WorkflowRunFilters,
  type WorkflowStepFilters,
  type WorkflowStepRow,
} from '../../store/workflow-runs/reads.js';
import { cancelWorkflowRun, deleteWorkflowRun, insertWorkflowRun } from '../../store/workflow-runs/transitions.js';
import { requireWorkflowRow } from '../../store/workflows.js';
import { findExperimentArtifactRow } from '../../store/experiments.js';
import { toCsv, type ExportRow } from './csv-export.js';

/** Runs one export reads at most: the CSV of a block over more runs is asked for in pages of runs (selected_run_ids). */
const MAX_EXPORTED_RUNS = 5_000;
const EXPORT_COLUMNS = ['run_id', 'step_id', 'created_at', 'status'];

type FileRefInput = { id: string; filename: string; mime_type: string };
type DocumentInput = FileRefInput | { filename: string; url: string };

export interface CreateWorkflowRunInput {
  workflow_id: string;
  documents: Record<string, DocumentInput>;
  json_inputs: Record<string, unknown>;
  version: string;
  metadata?: Record<string, string> | null;
}

export class WorkflowRunService {
  constructor(
    private readonly store: Store,
    private readonly dispatch: WorkflowRunDispatch,
    private readonly files: FileService,
  ) {}

  /** Resumes the runs a previous process left live. */
  async start(): Promise<void> {
    await this.dispatch.start();
  }

  /**
   * Snapshots the workflow version asked for, checks that every block can run and every start
   * block has its input (files are stored in the caller's file store), and writes the run
   * `pending`; it executes after the answer (202).
   */
  async create(organizationId: string, trigger: Trigger, request: CreateWorkflowRunInput) {
    const db = this.store.db;
    const workflow = await requireWorkflowRow(db, organizationId, request.workflow_id);
    const snapshot = await this.snapshotFor(organizationId, request.workflow_id, request.version, workflow.published_version_id);
    const documents = await this.checkPlan(organizationId, snapshot, request);
    const now = isoNow();
    const row = {
      id: newId('workflowRun'),
      organization_id: organizationId,
      workflow_id: request.workflow_id,
      version_id: snapshot.versionId,
      trigger: toJson(trigger),
      trigger_type: trigger.type,
      status: 'pending',
      inputs: toJson({ documents, json_data: request.json_inputs }),
      metadata: request.metadata ? toJson(request.metadata) : null,
      cancel_reason: null,
      cancel_command_id: null,
      error: null,
      attempts: 0,
      created_at: now,
      started_at: null,
      completed_at: null,
    };
    await insertWorkflowRun(db, row);
    this.dispatch.submit(row.id, organizationId);
    return workflowRunFromRow(row);
  }

  /** `draft` snapshots the draft now; `production` is the published version (the draft when none was published); else a stored `ver_…`. */
  private async snapshotFor(organizationId: string, workflowId: string, version: string, publishedVersionId: string | null): Promise<WorkflowSnapshot> {
    const pinned = version === 'production' ? publishedVersionId : version === 'draft' ? null : version;
    if (pinned === null) return snapshotDraft(this.store.db, organizationId, workflowId);
    const snapshot = await loadSnapshot(this.store.db, organizationId, workflowId, pinned);
    if (!snapshot) throw createError('version_not_found', `No version \`${pinned}\` of workflow \`${workflowId}\`.`);
    return snapshot;
  }

  /**
   * The run plan's problems (core planRun), each naming its block: a start block without its input
   * is 400 `missing_run_inputs`; anything else that keeps the workflow from running (a type this
   * server does not execute, a broken config or edge, an input for a block that is not a start
   * block) is 422. Documents are then stored as files of the caller.
   */
  private async checkPlan(organizationId: string, snapshot: WorkflowSnapshot, request: CreateWorkflowRunInput): Promise<Record<string, FileRefInput>> {
    const planned = planOfSnapshot(snapshot, { documents: Object.keys(request.documents), json_inputs: Object.keys(request.json_inputs) });
    if (!planned.ok) {
      const missing = planned.problems.filter((problem) => problem.code === 'missing_start_input');
      const others = planned.problems.filter((problem) => problem.code !== 'missing_start_input');
      if (others.length > 0) {
        const issues: ValidationIssue[] = others.map((problem) => ({
          path: problem.field ? `body.${problem.field}` : problem.block_id ? `workflow.blocks.${problem.block_id}` : 'workflow',
          message: problem.message,
          code: problem.code,
        }));
        throw createError('validation_error', `This workflow cannot run: ${others.map((problem) => problem.message).join(' ')}`, { issues });
      }
      throw createError('missing_run_inputs', missing.map((problem) => problem.message).join(' '), missing.map((problem) => problem.block_id!));
    }
    const given = Object.fromEntries(Object.entries(request.documents).map(([blockId, document]) => [blockId, { type: 'file' as const, document }]));
    const normalized = await this.files.normalizeHandleInputs(organizationId, given);
    if (normalized.issues.length > 0) {
      const fileIssues = normalized.issues.map((issue) => ({ path: `body.documents.${issue.path}`, message: issue.message.replace(/\.$/, ''), code: issue.code }));
      throw createError('validation_error', `Invalid documents: ${fileIssues.map((issue) => issue.message).join('; ')}.`, { issues: fileIssues });
    }
    const documents: Record<string, FileRefInput> = {};
    for (const [blockId, input] of Object.entries(normalized.inputs)) {
      if (input.type !== 'file') continue;
      const document = input.document as { original_id: string; filename: string; mime_type: string };
      documents[blockId] = { id: document.original_id, filename: document.filename, mime_type: document.mime_type };
    }
    return documents;
  }

  async get(organizationId: string, runId: string) {
    const row = await findWorkflowRunRow(this.store.db, organizationId, runId);
    if (!row) throw createError('workflow_run_not_found', runId);
    return workflowRunFromRow(row);
  }

  async list(organizationId: string, filters: WorkflowRunFilters, page: KeysetRequest) {
    const rows = await listWorkflowRuns(this.store.db, organizationId, filters, page);
    return { data: rows.data.map(workflowRunFromRow), list_metadata: rows.list_metadata };
  }

  /** docs/decisions.md §4, as for test runs: one conditional update decides; the run's work in flight is stopped after it commits. */
  async cancel(organizationId: string, runId: string, commandId: string | null) {
    const { decision, status } = await cancelWorkflowRun(this.store.db, organizationId, runId, { reason: null, commandId }, isoNow());
    if (decision === 'not_found') throw createError('workflow_run_not_found', runId);
    if (decision === 'not_cancellable') throw createError('workflow_run_not_cancellable', runId, status!);
    if (decision === 'cancelled') this.dispatch.stop(runId);
    return { run: await this.get(organizationId, runId), redis_available: this.dispatch.viaRedis, cancellation_status: 'cancelled' as const };
  }

  /** A live run is cancelled first, so that nothing of it is written after it is gone. */
  async delete(organizationId: string, runId: string): Promise<void> {
    const row = await findWorkflowRunRow(this.store.db, organizationId, runId);
    if (!row) throw createError('workflow_run_not_found', runId);
    if (row.status === 'pending' || row.status === 'running') await this.cancel(organizationId, runId, null).catch(() => undefined);
    await deleteWorkflowRun(this.store.db, organizationId, runId);
  }

  async listSteps(organizationId: string, filters: WorkflowStepFilters, page: KeysetRequest) {
    const rows = await listWorkflowSteps(this.store.db, organizationId, filters, page);
    return { data: rows.data.map(workflowStepFromRow), list_metadata: rows.list_metadata };
  }

  /** Without `run_id` a step id names a step only when no other run of the organization has one of that id. */
  async getStep(organizationId: string, stepId: string, runId: string | undefined) {
    if (runId !== undefined) {
      const row = await findWorkflowStepRow(this.store.db, organizationId, runId, stepId);
      if (!row) throw createError('step_not_found', `No step \`${stepId}\` in workflow run \`${runId}\`.`, { run_id: runId, step_id: stepId });
      return workflowStepFromRow(row);
    }
    const rows = await listWorkflowSteps(this.store.db, organizationId, { step_id: stepId }, { limit: 2, order: 'desc' });
    if (rows.data.length === 0) throw createError('step_not_found', `No step \`${stepId}\` in this organization.`, { step_id: stepId });
    if (rows.data.length > 1) {
      const message = `Several workflow runs have a step \`${stepId}\`; pass run_id to say which.`;
      throw createError('validation_error', message, { issues: [{ path: 'query.run_id', message }] });
    }
    return workflowStepFromRow(rows.data[0]!);
  }

  /**
   * The step of `blockId` in a run that a test or an execution takes its inputs from: `stepId`
   * when given; otherwise the block's only step. A block that ran in a loop has one step per
   * iteration: without `stepId` that is refused, listing them.
   */
  async stepOfBlock(organizationId: string, runId: string, blockId: string, stepId: string | null, path: string): Promise<WorkflowStepRow> {
    const db = this.store.db;
    if (!(await findWorkflowRunRow(db, organizationId, runId))) throw createError('workflow_run_not_found', runId);
    if (stepId) {
      const step = await findWorkflowStepRow(db, organizationId, runId, stepId);
      if (!step) throw createError('step_not_found', `No step \`${stepId}\` in workflow run \`${runId}\`.`, { run_id: runId, step_id: stepId });
      if (step.block_id !== blockId) {
        const message = `Step \`${stepId}\` of workflow run \`${runId}\` is a step of block \`${step.block_id}\`, not of block \`${blockId}\`; give a step of block \`${blockId}\`.`;
        throw createError('step_not_found', message, { run_id: runId, step_id: stepId, block_id: step.block_id });
      }
      return step;
    }
    const steps = await findStepsOfBlockInRuns(db, organizationId, [runId], blockId);
    if (steps.length === 0) throw createError('step_not_found', `Block \`${blockId}\` has no step in workflow run \`${runId}\`.`, { run_id: runId, block_id: blockId });
    if (steps.length > 1) {
      const iterations = steps.map((step) => step.step_id);
      const message = `block \`${blockId}\` ran ${steps.length} times in run \`${runId}\` (in a loop); give step_id, one of ${iterations.map((id) => `\`${id}\``).join(', ')}`;
      throw createError('validation_error', `Invalid source: ${message}.`, { issues: [{ path, message }], available_iterations: iterations });
    }
    return steps[0]!;
  }

  async listArtifacts(organizationId: string, filters: WorkflowArtifactFilters, page: KeysetRequest) {
    const rows = await listWorkflowArtifacts(this.store.db, organizationId, filters, page);
    return { data: rows.data.map((row) => artifactListItem(workflowArtifactFromRow(row))), list_metadata: rows.list_metadata };
  }

  async getArtifact(organizationId: string, artifactId: string) {
    // An experiment result's artifact is kept on the result, apart from workflow runs (docs/experiments.md §8).
    const row = (await findWorkflowArtifactRow(this.store.db, organizationId, artifactId)) ?? (await findExperimentArtifactRow(this.store.db, organizationId, artifactId));
    if (!row) throw createError('artifact_not_found', artifactId);
    return workflowArtifactFromRow(row);
  }

  /**
   * One block's outputs (or inputs) across the workflow's completed runs, one CSV row per step
   * (a block in a loop has a row per iteration), oldest run first.
   */
  async exportCsv(organizationId: string, request: WorkflowRunExportRequest) {
    const db = this.store.db;
    await requireWorkflowRow(db, organizationId, request.workflow_id);
    const runs = await selectWorkflowRunsForExport(
      db,
      organizationId,
      {
        workflow_id: request.workflow_id,
        status: request.status ?? 'completed',
        exclude_status: request.exclude_status ?? undefined,
        trigger_type: request.trigger_type ?? undefined,
        fromInstant: request.from_date ?? undefined,
        toInstant: request.to_date ?? undefined,
        runIds: request.selected_run_ids ?? undefined,
      },
      MAX_EXPORTED_RUNS,
    );
    const steps = await findStepsOfBlockInRuns(db, organizationId, runs.map((run) => run.id), request.block_id);
    const runStatus = new Map(runs.map((run) => [run.id, run.status]));
    const rows: ExportRow[] = steps
      .filter((step) => step.status === 'completed')
      .map((step) => {
        const payloads = JSON.parse(request.export_source === 'inputs' ? step.handle_inputs : step.handle_outputs) as Record<string, { type: string; data?: unknown; document?: unknown }>;
        const entries = Object.entries(payloads).map(([handleId, payload]) => [handleId, payload.type === 'json' ? payload.data : payload.document] as const);
        const data = entries.length === 1 ? entries[0]![1] : Object.fromEntries(entries);
        return { fixed: { run_id: step.run_id, step_id: step.step_id, created_at: step.created_at, status: runStatus.get(step.run_id) ?? '' }, data };
      });
    return toCsv(rows, EXPORT_COLUMNS, request.preferred_columns, { delimiter: request.delimiter, lineDelimiter: request.line_delimiter, quote: request.quote });
  }
}
