import {
  blockConfigFingerprint,
  blockExecutionFingerprint,
  capturedRunId,
  documentsFingerprint,
  fingerprint,
  handleInputsForWire,
  isLive,
  isoNow,
  millisBetween,
  newId,
  RUNNABLE_EXPERIMENT_BLOCK_TYPES,
  staleReasons,
  typedHandleOutputs,
  type BlockConfig,
  type BlockType,
  type CancelExperimentRunResponse,
  type CreateExperimentRequest,
  type CreateExperimentRunRequest,
  type ErrorDetails,
  type ExperimentBlockType,
  type ExperimentDocumentCaptureRequest,
  type ExperimentDocumentProvenance,
  type ExperimentDefinition,
  type ExperimentResult,
  type ExperimentRun,
  type ExperimentStatus,
  type ExplicitExperimentDocumentRequest,
  type HandleInput,
  type LifecycleStatus,
  type Page,
  type UpdateExperimentRequest,
  type WorkflowExperiment,
} from '@verdict/core';
import type { Selectable } from 'kysely';
import { createError, type ValidationIssue } from '../errors/index.js';
import type { ExperimentRunDispatch } from '../execution/experiment-executor.js';
import type { FileService } from '../files/index.js';
import { fromJson, toJson, type Store } from '../store/database.js';
import { cancelExperimentRun, insertExperimentRun } from '../store/experiment-transitions.js';
import {
  deleteExperimentRows,
  findExperimentResultRow,
  findExperimentRow,
  listExperimentDocuments,
  listExperimentResultRows,
  listExperimentRows,
  listExperimentRunRows,
  requireExperimentRow,
  requireExperimentRunRow,
  saveExperiment,
  type ExperimentDocumentRow,
  type ExperimentResultRow,
  type ExperimentRow,
  type ExperimentRunFilters,
  type ExperimentRunRow,
} from '../store/experiments.js';
import { findBlockRow, listLoopBodyRows } from '../store/graph.js';
import { loopBodyOf } from '../execution/experiment-loop.js';
import type { KeysetRequest } from '../store/keyset.js';
import { lifecycleOf } from '../store/runs.js';
import type { BlocksTable } from '../store/schema.js';
import { snapshotDraft, type SnapshotBlock, type WorkflowSnapshot } from '../store/versions.js';
import { requireWorkflowRow } from '../store/workflows.js';
import { captureStep, checkedHandleInputs, handleInputIssues } from './step-capture.js';
import type { WorkflowRunService } from './workflow-runs/service.js';

const DEFAULT_N_CONSENSUS = 3;
type BlockRow = Selectable<BlocksTable>;

function refuse(issues: ValidationIssue[], details: Record<string, unknown> = {}): never {
  throw createError('validation_error', `Invalid experiment: \`${issues[0]!.path}\`: ${issues[0]!.message}.`, { issues, ...details });
}

/** Provenance as responses show it: the run under both generations' names. */
function provenanceForWire(saved: string | null): ExperimentDocumentProvenance | null {
  const provenance = fromJson<ExperimentDocumentProvenance>(saved);
  if (!provenance) return null;
  const runId = provenance.run_id ?? provenance.workflow_run_id ?? null;
  return { run_id: runId, workflow_run_id: runId, step_id: provenance.step_id ?? null };
}

const PUBLIC_STATUS: Record<LifecycleStatus, ExperimentStatus> = {
  pending: 'processing',
  queued: 'processing',
  running: 'processing',
  completed: 'completed',
  error: 'failed',
  cancelled: 'cancelled',
};

/** The filename a document is shown under: its first file's, else its position. */
function documentFilename(inputs: Record<string, HandleInput>, position: number): string {
  for (const input of Object.values(inputs)) if (input.type === 'file' && 'filename' in input.document) return input.document.filename;
  return `document-${position + 1}`;
}

/** The experiment's block as the draft holds it, and for a for_each the blocks of its loop body (what its votes come from). */
type ExperimentBlock = BlockRow & { loopBody: BlockRow[] };

async function findExperimentBlock(db: Store['db'], organizationId: string, blockId: string, workflowId: string): Promise<ExperimentBlock | undefined> {
  const block = await findBlockRow(db, organizationId, blockId, workflowId);
  if (!block) return undefined;
  const loopBody = block.type === 'for_each' ? await listLoopBodyRows(db, organizationId, workflowId, blockId) : [];
  return { ...block, loopBody };
}

function ownFingerprint(block: BlockRow): string {
  return blockConfigFingerprint({ type: block.type as BlockType, config: fromJson<BlockConfig>(block.config), parent_id: block.parent_id });
}

/** A block's config fingerprint; a for_each's covers its loop body too, so that editing the body's schema makes its runs stale. */
function experimentBlockFingerprint(block: ExperimentBlock): string {
  if (block.type !== 'for_each') return ownFingerprint(block);
  return fingerprint([ownFingerprint(block), ...block.loopBody.map((body) => [body.id, ownFingerprint(body)])]);
}

/** What a run of the experiment would be made from now (the block as the draft holds it). */
function currentDefinition(experiment: ExperimentRow, block: ExperimentBlock | undefined): ExperimentDefinition {
  return {
    blockConfigFingerprint: block ? experimentBlockFingerprint(block) : null,
    nConsensus: experiment.n_consensus,
    documentsFingerprint: experiment.documents_fingerprint,
  };
}

function runDefinition(run: ExperimentRunRow): ExperimentDefinition {
  return { blockConfigFingerprint: run.block_config_fingerprint, nConsensus: run.n_consensus, documentsFingerprint: run.documents_fingerprint };
}

/** The token of the plan a run would execute now: run creation with another token is refused (409 experiment_plan_changed). */
function planToken(definition: ExperimentDefinition): string {
  return fingerprint(definition);
}

export function experimentRunFromRow(row: ExperimentRunRow): ExperimentRun {
  return {
    id: row.id,
    experiment_id: row.experiment_id,
    workflow: { workflow_id: row.workflow_id, version_id: row.workflow_version_id },
    workflow_id: row.workflow_id,
    workflow_version_id: row.workflow_version_id,
    trigger: { type: row.trigger_type },
    block_id: row.block_id,
    block_type: row.block_type as ExperimentBlockType,
    n_consensus: row.n_consensus as 3 | 5 | 7,
    lifecycle: lifecycleOf(row.status, { reason: row.cancel_reason, message: row.error_message }),
    timing: { created_at: row.created_at, started_at: row.started_at, completed_at: row.completed_at, duration_ms: millisBetween(row.started_at, row.completed_at) },
    parent_run_id: null,
    block_version_id: null,
    metrics_validity_fingerprint: row.block_execution_fingerprint,
    metrics_validity_fingerprint_version: 1,
    block_execution_fingerprint: row.block_execution_fingerprint,
    definition_fingerprint: row.block_execution_fingerprint,
    documents_fingerprint: row.documents_fingerprint,
    score: row.score,
    total_document_count: row.total_document_count,
    completed_document_count: row.completed_document_count,
    document_count: row.total_document_count,
    error_count: row.error_count,
  };
}

function experimentResultFromRow(row: ExperimentResultRow, blockType: ExperimentBlockType): ExperimentResult {
  return {
    id: row.id,
    experiment_run_id: row.run_id,
    run_id: row.run_id,
    experiment_id: row.experiment_id,
    document_id: row.document_id,
    lifecycle: lifecycleOf(row.status, { reason: row.error_message, message: row.error_message, details: fromJson<ErrorDetails>(row.error_details) }),
    timing: { created_at: row.created_at, started_at: row.started_at, completed_at: row.completed_at, duration_ms: row.duration_ms },
    block_type: blockType,
    handle_inputs: handleInputsForWire(fromJson<Record<string, HandleInput>>(row.handle_inputs) ?? {}),
    handle_outputs: typedHandleOutputs(fromJson<Record<string, unknown>>(row.handle_outputs)) ?? {},
    artifact: row.artifact_id && row.artifact_operation ? { operation: row.artifact_operation, id: row.artifact_id } : null,
    attempt: row.attempt,
    is_placeholder: false,
    votes: fromJson<unknown[]>(row.votes),
    provenance: provenanceForWire(row.provenance),
  };
}

export interface ExperimentServiceDeps {
  store: Store;
  files: FileService;
  executor: ExperimentRunDispatch;
  workflowRuns: WorkflowRunService;
}

/** Experiments (docs/experiments.md): their documents, runs, results; the metrics live in services/experiment-metrics.ts. */
export class ExperimentService {
  constructor(private readonly deps: ExperimentServiceDeps) {}

  private get db() {
    return this.deps.store.db;
  }

  async create(organizationId: string, request: CreateExperimentRequest): Promise<WorkflowExperiment> {
    await requireWorkflowRow(this.db, organizationId, request.workflow_id);
    if (request.source_experiment_id) return this.duplicate(organizationId, request.workflow_id, request.source_experiment_id);
    const block = await findBlockRow(this.db, organizationId, request.block_id!, request.workflow_id);
    if (!block) refuse([{ path: 'body.block_id', message: `workflow \`${request.workflow_id}\` has no block \`${request.block_id}\`` }]);
    if (!(['extract', 'classifier', 'split', 'for_each'] as string[]).includes(block.type)) {
      refuse([{ path: 'body.block_id', message: `an experiment evaluates an extract, classifier, split or for_each block; \`${block.id}\` is a ${block.type} block` }]);
    }
    const now = isoNow();
    const experimentId = newId('experiment');
    const documents = await this.documentRows(organizationId, experimentId, block, request);
    await saveExperiment(
      this.db,
      {
        organization_id: organizationId,
        id: experimentId,
        workflow_id: request.workflow_id,
        block_id: block.id,
        block_type: block.type,
        name: request.name ?? `Experiment on ${block.label || block.id}`,
        n_consensus: request.n_consensus ?? DEFAULT_N_CONSENSUS,
        document_count: documents.rows.length,
        documents_fingerprint: documents.fingerprint,
        last_run_id: null,
        created_at: now,
        updated_at: now,
      },
      documents.rows,
    );
    return this.get(organizationId, experimentId);
  }

  /** A copy of the source's block, name (with " (Copy)"), n_consensus and documents; none of its runs. */
  private async duplicate(organizationId: string, workflowId: string, sourceId: string): Promise<WorkflowExperiment> {
    const source = await requireExperimentRow(this.db, organizationId, sourceId);
    if (source.workflow_id !== workflowId) throw createError('experiment_not_found', sourceId);
    const now = isoNow();
    const experimentId = newId('experiment');
    const documents = (await listExperimentDocuments(this.db, organizationId, sourceId)).map((document) => ({ ...document, id: newId('experimentDocument'), experiment_id: experimentId }));
    await saveExperiment(
      this.db,
      { ...source, id: experimentId, name: `${source.name} (Copy)`, last_run_id: null, created_at: now, updated_at: now },
      documents,
    );
    return this.get(organizationId, experimentId);
  }

  /**
   * The document set a request gives: its captures (each the inputs a workflow run step recorded,
   * captured as run_step test sources are) then its explicit documents, every one checked against
   * the block's input handles with files normalised. Any problem refuses the whole set.
   */
  private async documentRows(
    organizationId: string,
    experimentId: string,
    block: BlockRow,
    request: { documents?: ExplicitExperimentDocumentRequest[] | null; document_captures?: ExperimentDocumentCaptureRequest[] | null },
  ) {
    const issues: ValidationIssue[] = [];
    let availableIterations: string[] | undefined;
    const saved: Array<{ handleInputs: Record<string, HandleInput>; provenance: ExperimentDocumentProvenance | null }> = [];
    for (const [position, capture] of (request.document_captures ?? []).entries()) {
      const runId = capturedRunId(capture);
      const captured = await captureStep(this.deps, organizationId, block, { run_id: runId, step_id: capture.step_id }, `body.document_captures.${position}`);
      if (captured.refusal) {
        issues.push(captured.refusal.issue);
        availableIterations ??= captured.refusal.availableIterations;
        continue;
      }
      issues.push(...captured.issues);
      saved.push({ handleInputs: captured.inputs, provenance: { run_id: runId, step_id: captured.stepId } });
    }
    for (const [position, document] of (request.documents ?? []).entries()) {
      const path = `body.documents.${position}.handle_inputs`;
      // Normalising stores the files given inline: once the set is refused, the rest are only checked.
      const checked = issues.length > 0 ? { inputs: document.handle_inputs, issues: handleInputIssues(block, document.handle_inputs, path) } : await checkedHandleInputs(this.deps.files, organizationId, block, document.handle_inputs, path);
      issues.push(...checked.issues);
      saved.push({ handleInputs: checked.inputs, provenance: document.provenance ?? null });
    }
    if (issues.length > 0) refuse(issues, availableIterations ? { available_iterations: availableIterations } : {});
    const rows = saved.map((document, position) => ({
      organization_id: organizationId,
      id: newId('experimentDocument'),
      experiment_id: experimentId,
      position,
      filename: documentFilename(document.handleInputs, position),
      handle_inputs: toJson(document.handleInputs),
      provenance: document.provenance ? toJson(document.provenance) : null,
    }));
    return { rows, fingerprint: documentsFingerprint(saved.map((document) => ({ handle_inputs: document.handleInputs }))) };
  }

  async get(organizationId: string, experimentId: string): Promise<WorkflowExperiment> {
    return this.render(organizationId, await requireExperimentRow(this.db, organizationId, experimentId));
  }

  async list(organizationId: string, filters: { workflowId: string; blockId?: string }, page: KeysetRequest): Promise<Page<WorkflowExperiment>> {
    await requireWorkflowRow(this.db, organizationId, filters.workflowId);
    const rows = await listExperimentRows(this.db, organizationId, filters, page);
    return { data: await Promise.all(rows.data.map((row) => this.render(organizationId, row))), list_metadata: rows.list_metadata };
  }

  /** Only the given fields change; documents (or captures) given replace the whole set. */
  async update(organizationId: string, experimentId: string, request: UpdateExperimentRequest): Promise<WorkflowExperiment> {
    const experiment = await requireExperimentRow(this.db, organizationId, experimentId);
    const replacesDocuments = request.documents != null || request.document_captures != null;
    let documents = null;
    if (replacesDocuments) {
      const block = await findBlockRow(this.db, organizationId, experiment.block_id, experiment.workflow_id);
      if (!block) throw createError('experiment_not_runnable', `The block \`${experiment.block_id}\` of experiment \`${experimentId}\` was deleted; its documents cannot be checked against it.`);
      documents = await this.documentRows(organizationId, experimentId, block, request);
    }
    await saveExperiment(
      this.db,
      {
        ...experiment,
        name: request.name ?? experiment.name,
        n_consensus: request.n_consensus ?? experiment.n_consensus,
        document_count: documents ? documents.rows.length : experiment.document_count,
        documents_fingerprint: documents ? documents.fingerprint : experiment.documents_fingerprint,
        updated_at: isoNow(),
      },
      documents ? documents.rows : null,
    );
    return this.get(organizationId, experimentId);
  }

  async delete(organizationId: string, experimentId: string): Promise<void> {
    await requireExperimentRow(this.db, organizationId, experimentId);
    const live = await listExperimentRunRows(this.db, organizationId, { experimentId, sortBy: 'created_at' }, { limit: 100, order: 'desc' });
    for (const run of live.data.filter((row) => isLive(row.status as LifecycleStatus))) await this.cancelRun(organizationId, run.id).catch(() => undefined);
    await deleteExperimentRows(this.db, organizationId, experimentId);
  }

  private async render(organizationId: string, row: ExperimentRow): Promise<WorkflowExperiment> {
    const [block, lastRun] = await Promise.all([
      findExperimentBlock(this.db, organizationId, row.block_id, row.workflow_id),
      row.last_run_id ? requireExperimentRunRow(this.db, organizationId, row.last_run_id) : Promise.resolve(null),
    ]);
    const current = currentDefinition(row, block);
    const reasons = lastRun ? staleReasons(runDefinition(lastRun), current) : [];
    const runnable = block !== undefined && (RUNNABLE_EXPERIMENT_BLOCK_TYPES as readonly string[]).includes(block.type) && row.document_count > 0;
    const live = lastRun !== null && isLive(lastRun.status as LifecycleStatus);
    return {
      id: row.id,
      workflow_id: row.workflow_id,
      block_id: row.block_id,
      block_type: row.block_type as ExperimentBlockType,
      n_consensus: row.n_consensus as 3 | 5 | 7,
      document_count: row.document_count,
      name: row.name,
      last_run_id: row.last_run_id,
      created_at: row.created_at,
      updated_at: row.updated_at,
      status: lastRun ? PUBLIC_STATUS[lastRun.status as LifecycleStatus] : 'draft',
      score: lastRun?.score ?? null,
      is_stale: reasons.length > 0,
      freshness_state: lastRun === null ? 'unknown' : reasons.length > 0 ? 'stale' : 'fresh',
      freshness_reasons: reasons,
      run_plan_mode: !runnable ? 'noop' : live ? 'conflict' : 'run',
      rerunnable_document_count: runnable ? row.document_count : 0,
      schema_drift: lastRun === null ? 'unknown' : reasons.includes('block_config_changed') || reasons.includes('block_deleted') ? 'drifted' : 'none',
      schema_drift_detail: reasons.length > 0 ? `Changed since run ${lastRun!.id}: ${reasons.join(', ')}.` : null,
      plan_token: planToken(current),
    };
  }

  async createRun(organizationId: string, request: CreateExperimentRunRequest): Promise<ExperimentRun> {
    const experiment = await requireExperimentRow(this.db, organizationId, request.experiment_id);
    if (request.workflow_id && request.workflow_id !== experiment.workflow_id) throw createError('experiment_not_found', request.experiment_id);
    const block = await findExperimentBlock(this.db, organizationId, experiment.block_id, experiment.workflow_id);
    if (!block) throw createError('experiment_not_runnable', `The block \`${experiment.block_id}\` of experiment \`${experiment.id}\` was deleted from its workflow; create an experiment on another block.`);
    if (!(RUNNABLE_EXPERIMENT_BLOCK_TYPES as readonly string[]).includes(block.type)) {
      throw createError('experiment_not_runnable', `Experiments on ${block.type} blocks cannot run on this server; extract, classifier, split and for_each blocks can.`);
    }
    const documents = await listExperimentDocuments(this.db, organizationId, experiment.id);
    if (documents.length === 0) throw createError('experiment_not_runnable', `Experiment \`${experiment.id}\` has no documents; add some with PATCH /v1/workflows/experiments/${experiment.id}.`);
    const definition = currentDefinition(experiment, block);
    if (request.plan_token && request.plan_token !== planToken(definition)) throw createError('experiment_plan_changed', experiment.id, planToken(definition));

    const snapshot = await snapshotDraft(this.db, organizationId, experiment.workflow_id);
    const snapshotBlock = runnableBlockOf(snapshot, block.id);
    const runId = newId('experimentRun');
    const now = isoNow();
    const run = {
      organization_id: organizationId,
      id: runId,
      experiment_id: experiment.id,
      workflow_id: experiment.workflow_id,
      workflow_version_id: snapshot.versionId,
      block_id: block.id,
      block_type: block.type,
      block: toJson(snapshotBlock),
      n_consensus: experiment.n_consensus,
      block_config_fingerprint: definition.blockConfigFingerprint!,
      block_execution_fingerprint: blockExecutionFingerprint(definition.blockConfigFingerprint!, experiment.n_consensus),
      documents_fingerprint: experiment.documents_fingerprint,
      trigger_type: 'api',
      status: 'pending',
      error_message: null,
      cancel_reason: null,
      score: null,
      total_document_count: documents.length,
      completed_document_count: 0,
      error_count: 0,
      created_at: now,
      started_at: null,
      completed_at: null,
    };
    await insertExperimentRun(this.db, run, documents.map((document) => resultRow(run, document)));
    this.deps.executor.submitRun(organizationId, runId);
    return experimentRunFromRow(run);
  }

  async getRun(organizationId: string, runId: string): Promise<ExperimentRun> {
    return experimentRunFromRow(await requireExperimentRunRow(this.db, organizationId, runId));
  }

  async listRuns(organizationId: string, filters: ExperimentRunFilters, page: KeysetRequest): Promise<Page<ExperimentRun>> {
    const rows = await listExperimentRunRows(this.db, organizationId, filters, page);
    return { data: rows.data.map(experimentRunFromRow), list_metadata: rows.list_metadata };
  }

  /** One guarded update decides (as for test runs, docs/decisions.md §4); the executor is told to stop after it commits. */
  async cancelRun(organizationId: string, runId: string): Promise<CancelExperimentRunResponse> {
    const { outcome, status } = await cancelExperimentRun(this.db, organizationId, runId, 'Cancelled through the API.', isoNow());
    if (outcome === 'not_found') throw createError('experiment_run_not_found', runId);
    if (outcome === 'not_cancellable') throw createError('run_not_cancellable', runId, status!);
    this.deps.executor.stopRun(runId);
    const run = await this.getRun(organizationId, runId);
    return { id: run.id, lifecycle: run.lifecycle };
  }

  async listResults(organizationId: string, runId: string, page: KeysetRequest): Promise<Page<ExperimentResult>> {
    const run = await requireExperimentRunRow(this.db, organizationId, runId);
    const rows = await listExperimentResultRows(this.db, organizationId, runId, page);
    return { data: rows.data.map((row) => experimentResultFromRow(row, run.block_type as ExperimentBlockType)), list_metadata: rows.list_metadata };
  }

  async getResult(organizationId: string, resultId: string): Promise<ExperimentResult> {
    const row = await findExperimentResultRow(this.db, organizationId, resultId);
    if (!row) throw createError('experiment_result_not_found', resultId);
    const run = await requireExperimentRunRow(this.db, organizationId, row.run_id);
    return experimentResultFromRow(row, run.block_type as ExperimentBlockType);
  }

  /** The experiment, the definition it has now and whether `run` is its latest run: what the metrics' staleness needs. */
  async definitionFor(organizationId: string, run: ExperimentRunRow) {
    const experiment = await findExperimentRow(this.db, organizationId, run.experiment_id);
    if (!experiment) throw createError('experiment_not_found', run.experiment_id);
    const block = await findExperimentBlock(this.db, organizationId, experiment.block_id, experiment.workflow_id);
    const current = currentDefinition(experiment, block);
    return { experiment, current, isLatest: experiment.last_run_id === run.id, reasons: staleReasons(runDefinition(run), current) };
  }
}

/**
 * The block as the run executes it: for a for_each, with its loop body (the one model-backed block
 * it feeds each item to), which the snapshot holds now and the run keeps, as it keeps the block.
 */
function runnableBlockOf(snapshot: WorkflowSnapshot, blockId: string): SnapshotBlock {
  const block = snapshot.blocks.find((candidate) => candidate.id === blockId)!;
  if (block.type !== 'for_each') return block;
  const body = loopBodyOf(snapshot, block);
  if (typeof body === 'string') throw createError('experiment_not_runnable', body);
  return { ...block, loop_body: body } as SnapshotBlock;
}

function resultRow(run: { organization_id: string; id: string; experiment_id: string; created_at: string }, document: ExperimentDocumentRow) {
  return {
    organization_id: run.organization_id,
    id: newId('experimentResult'),
    run_id: run.id,
    experiment_id: run.experiment_id,
    document_id: document.id,
    filename: document.filename,
    position: document.position,
    status: 'pending',
    handle_inputs: document.handle_inputs,
    handle_outputs: null,
    votes: null,
    provenance: document.provenance,
    artifact_id: null,
    artifact_operation: null,
    artifact: null,
    page_count: null,
    details: null,
    error_message: null,
    error_details: null,
    attempt: 0,
    created_at: run.created_at,
    started_at: null,
    completed_at: null,
    duration_ms: null,
  };
}
