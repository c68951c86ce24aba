import type { RunPlan, WorkflowRun, WorkflowRunStep } from '@verdict/core';
import { VerdictError } from '../errors/index.js';
import type { Services } from '../services/index.js';
import { planOfWorkflowRun, stepSummariesOfRun, type StepSummary } from '../services/workflow-runs/run-page.js';
import type { SafeHtml } from './html.js';
import { canSaveAsTest } from './views/save-as-test.js';
import type { RunEvent } from './run-stream.js';
import { runGraph, type RunGraphInput } from './views/run-graph.js';
import { isLiveWorkflowRun, stepDetail, workflowRunSummary } from './views/workflow-runs.js';

/** Steps a run page shows (a for_each may record thousands); the API lists them all. */
export const STEPS_SHOWN = 500;

function isNotFound(error: unknown): boolean {
  return error instanceof VerdictError && error.statusCode === 404;
}

async function findStep(services: Services, organizationId: string, runId: string, stepId: string | null): Promise<WorkflowRunStep | null> {
  if (!stepId) return null;
  try {
    return await services.workflowRuns.getStep(organizationId, stepId, runId);
  } catch (error) {
    if (isNotFound(error)) return null;
    throw error;
  }
}

function detailOf(step: WorkflowRunStep | null): SafeHtml {
  return stepDetail(step, step !== null && canSaveAsTest(step));
}

async function shownSteps(services: Services, organizationId: string, runId: string): Promise<{ steps: StepSummary[]; stepsCutAt: number | null }> {
  const steps = await stepSummariesOfRun(services, organizationId, runId, STEPS_SHOWN + 1);
  return steps.length > STEPS_SHOWN ? { steps: steps.slice(0, STEPS_SHOWN), stepsCutAt: STEPS_SHOWN } : { steps, stepsCutAt: null };
}

/** What a workflow run's page shows below its summary: the graph of its steps and the selected step. */
export async function workflowRunPageParts(services: Services, organizationId: string, run: WorkflowRun, selectedStepId: string | null) {
  const [plan, shown, step] = await Promise.all([
    planOfWorkflowRun(services, organizationId, run),
    shownSteps(services, organizationId, run.id),
    findStep(services, organizationId, run.id, selectedStepId),
  ]);
  const graph: RunGraphInput = { runId: run.id, plan, steps: shown.steps, selectedStepId: step?.step_id ?? null, runFinished: !isLiveWorkflowRun(run) };
  return { graph, detail: detailOf(step), stepsCutAt: shown.stepsCutAt };
}

/**
 * What a workflow run page's event stream says at each tick: the summary when the run's status
 * moved, and the parts of the page (the step graph, the selected step) whose markup changed;
 * `end` once the run is terminal.
 */
export class WorkflowRunEventFeed {
  private plan: Promise<RunPlan | null> | null = null;
  private lastSummary = '';
  private readonly sentParts = new Map<string, string>();
  private selectedState = '';

  constructor(
    private readonly services: Services,
    private readonly organizationId: string,
    private readonly runId: string,
    private readonly selectedStepId: string | null,
  ) {}

  async poll(): Promise<{ events: RunEvent[]; done: boolean }> {
    const { services, organizationId, runId } = this;
    const run = await services.workflowRuns.get(organizationId, runId).catch((error: unknown) => {
      if (isNotFound(error)) return null;
      throw error;
    });
    if (!run) return { events: [{ event: 'end', data: { status: 'deleted' } }], done: true };
    const events: RunEvent[] = [];
    const terminal = !isLiveWorkflowRun(run);
    const summary = workflowRunSummary(run).text;
    if (summary !== this.lastSummary) {
      this.lastSummary = summary;
      events.push({ event: 'summary', data: { status: run.lifecycle.status, terminal, html: summary } });
    }
    this.plan ??= planOfWorkflowRun(services, organizationId, run);
    const { steps } = await shownSteps(services, organizationId, runId);
    const parts: Record<string, string> = {};
    this.changed(parts, 'run-graph', runGraph({ runId, plan: await this.plan, steps, selectedStepId: this.selectedStepId, runFinished: terminal }).text);
    const selected = steps.find((step) => step.step_id === this.selectedStepId);
    const selectedState = selected ? JSON.stringify([selected.lifecycle, selected.completed_at]) : '';
    if (selected && selectedState !== this.selectedState) {
      this.selectedState = selectedState;
      this.changed(parts, 'step-detail', detailOf(await findStep(services, organizationId, runId, selected.step_id)).text);
    }
    if (Object.keys(parts).length > 0) events.push({ event: 'parts', data: { html: parts } });
    if (terminal) events.push({ event: 'end', data: { status: run.lifecycle.status } });
    return { events, done: terminal };
  }

  private changed(parts: Record<string, string>, id: string, markup: string): void {
    if (this.sentParts.get(id) === markup) return;
    this.sentParts.set(id, markup);
    parts[id] = markup;
  }
}
