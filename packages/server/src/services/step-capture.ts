import { deriveHandles, type BlockConfig, type BlockType, type HandleInput } from '@verdict/core';
import type { Selectable } from 'kysely';
import { VerdictError, type ValidationIssue } from '../errors/index.js';
import type { FileService } from '../files/index.js';
import { fromJson } from '../store/database.js';
import type { BlocksTable } from '../store/schema.js';
import type { WorkflowRunService } from './workflow-runs/service.js';

type BlockRow = Selectable<BlocksTable>;

/** What is wrong with handle inputs for the block: handles it does not have, or of the other kind. `path` is where the inputs are in the request. */
export function handleInputIssues(block: BlockRow, handleInputs: Record<string, HandleInput>, path: string): ValidationIssue[] {
  const kinds = new Map(deriveHandles(block.type as BlockType, fromJson<BlockConfig>(block.config)).inputs.map((handle) => [handle.id, handle.kind]));
  const issues: ValidationIssue[] = [];
  for (const [handleId, input] of Object.entries(handleInputs)) {
    const kind = kinds.get(handleId);
    if (!kind) issues.push({ path: `${path}.${handleId}`, message: `\`${handleId}\` is not an input handle of block \`${block.id}\`; its input handles are ${[...kinds.keys()].map((id) => `\`${id}\``).join(', ') || 'none'}` });
    else if (kind !== input.type) issues.push({ path: `${path}.${handleId}.type`, message: `\`${handleId}\` takes ${kind} input, not ${input.type}` });
  }
  return issues;
}

/**
 * Handle inputs checked against the block's input handles, their files normalised into the
 * caller's own file store: what a test source or an experiment document saves. `path` is where the
 * inputs are in the request (`body.source.handle_inputs`, `body.documents.0.handle_inputs`).
 */
export async function checkedHandleInputs(
  files: FileService,
  organizationId: string,
  block: BlockRow,
  handleInputs: Record<string, HandleInput>,
  path: string,
): Promise<{ inputs: Record<string, HandleInput>; issues: ValidationIssue[] }> {
  const issues = handleInputIssues(block, handleInputs, path);
  if (issues.length > 0) return { inputs: handleInputs, issues };
  const normalized = await files.normalizeHandleInputs(organizationId, handleInputs);
  // File messages are sentences; the refusal that lists them ends its summary with its own full stop.
  return { inputs: normalized.inputs, issues: normalized.issues.map((issue) => ({ path: `${path}.${issue.path}`, message: issue.message.replace(/\.$/, ''), code: issue.code })) };
}

/** A step of a workflow run to take inputs from: `step_id`, or the block's only step in the run. */
export interface StepReference {
  run_id: string;
  step_id?: string | null;
}

/** Why a reference names no step to capture: one issue at its path, and a loop's iterations to choose from. */
export interface CaptureRefusal {
  issue: ValidationIssue;
  availableIterations?: string[];
}

export type StepCapture =
  | { refusal: CaptureRefusal }
  | { refusal: null; stepId: string; inputs: Record<string, HandleInput>; issues: ValidationIssue[] };

export interface StepCaptureDeps {
  workflowRuns: WorkflowRunService;
  files: FileService;
}

/**
 * The one capture of a step's recorded inputs (retab-workflow-model §7.4), for `run_step` test
 * sources and experiments' `document_captures` alike: a step of `block` in a run of its workflow,
 * that ran far enough to record its inputs, which are then checked and normalised as given inputs
 * are. `at` is where the reference is in the request (`body.source`, `body.document_captures.0`).
 * Another organization's run is answered as no run at all.
 */
export async function captureStep(deps: StepCaptureDeps, organizationId: string, block: BlockRow, reference: StepReference, at: string): Promise<StepCapture> {
  const run = await deps.workflowRuns.get(organizationId, reference.run_id).catch(() => null);
  if (!run || run.workflow_id !== block.workflow_id) {
    const message = run ? `run \`${reference.run_id}\` is a run of workflow \`${run.workflow_id}\`, not of workflow \`${block.workflow_id}\`` : `no workflow run \`${reference.run_id}\` in this organization`;
    return { refusal: { issue: { path: `${at}.run_id`, message } } };
  }
  let step;
  try {
    step = await deps.workflowRuns.stepOfBlock(organizationId, reference.run_id, block.id, reference.step_id ?? null, `${at}.step_id`);
  } catch (error) {
    if (!(error instanceof VerdictError)) throw error;
    if (error.code === 'workflow_run_not_found') return { refusal: { issue: { path: `${at}.run_id`, message: `no workflow run \`${reference.run_id}\` in this organization` } } };
    if (error.code === 'step_not_found') return { refusal: { issue: { path: reference.step_id ? `${at}.step_id` : `${at}.run_id`, message: error.message.replace(/\.$/, '') } } };
    if (error.code === 'validation_error') {
      const details = error.details as { issues: ValidationIssue[]; available_iterations?: string[] };
      return { refusal: { issue: details.issues[0]!, ...(details.available_iterations ? { availableIterations: details.available_iterations } : {}) } };
    }
    throw error;
  }
  if (step.status !== 'completed' && step.status !== 'error') {
    return { refusal: { issue: { path: at, message: `step \`${step.step_id}\` of run \`${reference.run_id}\` was ${step.status}: it recorded no inputs to capture` } } };
  }
  const recorded = fromJson<Record<string, HandleInput>>(step.handle_inputs) ?? {};
  const checked = await checkedHandleInputs(deps.files, organizationId, block, recorded, `${at}.handle_inputs`);
  return { refusal: null, stepId: step.step_id, inputs: checked.inputs, issues: checked.issues };
}
