import { type RunPlan, type WorkflowRun, type WorkflowRunStep } from '@verdict/core';
import { planOfSnapshot } from '../../execution/workflow-run/index.js';
import { fromJson } from '../../store/database.js';
import { loadSnapshot } from '../../store/versions.js';
import { listStepSummaryRows } from '../../store/workflow-runs/step-summaries.js';
import type { Services } from '../index.js';

/** A step as a run's graph shows it: its lifecycle and place, without the inputs and outputs it recorded. */
export type StepSummary = Pick<WorkflowRunStep, 'step_id' | 'block_id' | 'block_type' | 'block_label' | 'lifecycle' | 'loop_containers' | 'created_at' | 'started_at' | 'completed_at'>;

/**
 * The plan the run executed: its workflow version's blocks in dependency order, each with the
 * blocks it reads from and its loop body. Null when the version is gone or no longer plans (the
 * page then lists the steps as they were recorded).
 */
export async function planOfWorkflowRun(services: Services, organizationId: string, run: WorkflowRun): Promise<RunPlan | null> {
  const snapshot = await loadSnapshot(services.store.db, organizationId, run.workflow_id, run.workflow_version_id);
  if (!snapshot) return null;
  const planned = planOfSnapshot(snapshot, { documents: Object.keys(run.inputs.documents), json_inputs: Object.keys(run.inputs.json_data) });
  return planned.ok ? planned.plan : null;
}

/** The first `limit` steps a run recorded, in the order it recorded them. */
export async function stepSummariesOfRun(services: Services, organizationId: string, runId: string, limit: number): Promise<StepSummary[]> {
  const rows = await listStepSummaryRows(services.store.db, organizationId, runId, limit);
  return rows.map((row) => ({
    step_id: row.step_id,
    block_id: row.block_id,
    block_type: row.block_type as StepSummary['block_type'],
    block_label: row.block_label,
    lifecycle: fromJson<StepSummary['lifecycle']>(row.lifecycle)!,
    loop_containers: fromJson<StepSummary['loop_containers']>(row.loop_containers)!,
    created_at: row.created_at,
    started_at: row.started_at,
    completed_at: row.completed_at,
  }));
}
