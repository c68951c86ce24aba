import { millisBetween, type PlannedBlock, type RunPlan } from '@verdict/core';
import { badge, formatDuration, truncate } from '../format.js';
import { html, type SafeHtml } from '../html.js';
import type { StepSummary } from '../../services/workflow-runs/run-page.js';

/** The loop iterations a step ran inside, outermost first (the run's `loop_containers`, without the flags). */
type IterationPath = readonly { container_id: string; iteration: number }[];

const MESSAGE_CHARS = 240;

/**
 * The status a block's step is shown with. The run records a step once it settles, so a block
 * without one is `pending` (waiting or running) while the run is live, and `not run` after it.
 */
export function shownStepStatus(step: Pick<StepSummary, 'lifecycle'> | null, runFinished: boolean): string {
  return step?.lifecycle.status ?? (runFinished ? 'not run' : 'pending');
}

function pathKey(path: IterationPath): string {
  return path.map((level) => `${level.container_id}#${level.iteration}`).join('/');
}

/** A run's steps by where they ran: block and iteration path; and the iterations each loop ran in each place. */
class StepIndex {
  private readonly steps = new Map<string, StepSummary>();
  private readonly iterations = new Map<string, Set<number>>();

  constructor(steps: readonly StepSummary[]) {
    for (const step of steps) {
      this.steps.set(`${pathKey(step.loop_containers)}|${step.block_id}`, step);
      step.loop_containers.forEach((level, depth) => {
        const key = `${pathKey(step.loop_containers.slice(0, depth))}|${level.container_id}`;
        const seen = this.iterations.get(key);
        if (seen) seen.add(level.iteration);
        else this.iterations.set(key, new Set([level.iteration]));
      });
    }
  }

  stepAt(path: IterationPath, blockId: string): StepSummary | null {
    return this.steps.get(`${pathKey(path)}|${blockId}`) ?? null;
  }

  iterationsOf(path: IterationPath, loopId: string): number[] {
    return [...(this.iterations.get(`${pathKey(path)}|${loopId}`) ?? [])].sort((a, b) => a - b);
  }
}

export interface GraphContext {
  runId: string;
  plan: RunPlan;
  index: StepIndex;
  selectedStepId: string | null;
  runFinished: boolean;
}

/** The blocks a block waits for: those it reads, and those any block of its loop body reads. */
function sourcesOf(plan: RunPlan, block: PlannedBlock): string[] {
  const own = block.inputs.filter((input) => input.kind === 'value').map((input) => input.sourceBlockId);
  const body = block.forEach?.body ?? [];
  return [...own, ...body.flatMap((id) => sourcesOf(plan, plan.blocks.get(id)!))];
}

/** Blocks of one scope (already in dependency order) grouped in layers: a block's layer is one past the deepest of its sources in the scope. */
function layersOf(plan: RunPlan, blockIds: readonly string[]): string[][] {
  const inScope = new Set(blockIds);
  const layerOf = new Map<string, number>();
  const layers: string[][] = [];
  for (const id of blockIds) {
    const sources = sourcesOf(plan, plan.blocks.get(id)!).filter((source) => inScope.has(source) && source !== id);
    const layer = Math.max(-1, ...sources.map((source) => layerOf.get(source) ?? 0)) + 1;
    layerOf.set(id, layer);
    (layers[layer] ??= []).push(id);
  }
  return layers.filter((layer) => layer !== undefined);
}

export function stepHref(runId: string, stepId: string): string {
  return `/workflow-runs/${encodeURIComponent(runId)}?step=${encodeURIComponent(stepId)}#step-detail`;
}

/** Why a step ended as it did, when it says: the skip or cancel reason, or the error. */
function stepNote(step: StepSummary): SafeHtml | string {
  const lifecycle = step.lifecycle;
  if (lifecycle.status === 'skipped') return html`<p class="step-note">Skipped: ${truncate(lifecycle.reason, MESSAGE_CHARS)}</p>`;
  if (lifecycle.status === 'cancelled') return html`<p class="step-note">Cancelled: ${truncate(lifecycle.reason, MESSAGE_CHARS)}</p>`;
  if (lifecycle.status === 'error') return html`<p class="step-note step-error">${truncate(lifecycle.message, MESSAGE_CHARS)}</p>`;
  return '';
}

interface CardContext {
  runId: string;
  selectedStepId: string | null;
  runFinished: boolean;
}

function stepCard({ runId, selectedStepId, runFinished }: CardContext, label: string, type: string, blockId: string, step: StepSummary | null, after: string[]): SafeHtml {
  const status = shownStepStatus(step, runFinished);
  const selected = step !== null && step.step_id === selectedStepId;
  const title = step ? html`<a href="${stepHref(runId, step.step_id)}" ${selected ? html`aria-current="true"` : ''}>${label}</a>` : label;
  const duration = step?.started_at && step.completed_at ? html` · ${formatDuration(millisBetween(step.started_at, step.completed_at))}` : '';
  return html`<div class="step-card step-${status.replace(/[^a-z]/g, '-')}${selected ? ' step-selected' : ''}" data-step-status="${status}">
    <div class="step-title">${title} ${badge(status)}</div>
    <div class="muted small">${type} · <code>${blockId}</code>${duration}</div>
    ${after.length > 0 ? html`<div class="muted small">after ${after.join(', ')}</div>` : ''}
    ${step ? stepNote(step) : ''}
  </div>`;
}

function loopIterations(context: GraphContext, loop: PlannedBlock, path: IterationPath): SafeHtml | string {
  const iterations = context.index.iterationsOf(path, loop.id);
  if (iterations.length === 0 || !loop.forEach) return '';
  const items = iterations.map((iteration) => {
    const inner = [...path, { container_id: loop.id, iteration }];
    return html`<li class="loop-iteration"><div class="iteration-label">Iteration ${iteration}</div>${scopeGraph(context, loop.forEach!.body, inner)}</li>`;
  });
  return html`<ol class="loop-iterations" aria-label="${`Iterations of ${loop.label || loop.id}`}">${items}</ol>`;
}

function scopeGraph(context: GraphContext, blockIds: readonly string[], path: IterationPath): SafeHtml {
  const { plan } = context;
  const labelOf = (id: string) => plan.blocks.get(id)?.label || id;
  const layers = layersOf(plan, blockIds).map((layer, position) => {
    const steps = layer.map((id) => {
      const block = plan.blocks.get(id)!;
      const after = [...new Set(sourcesOf(plan, block).filter((source) => blockIds.includes(source) && source !== id))].map(labelOf);
      const card = stepCard(context, labelOf(id), block.type, id, context.index.stepAt(path, id), after);
      return html`<li class="graph-step">${card}${loopIterations(context, block, path)}</li>`;
    });
    return html`<li class="graph-layer"><div class="layer-label">Stage ${position + 1}</div><ul class="graph-steps">${steps}</ul></li>`;
  });
  return html`<ol class="graph-layers">${layers}</ol>`;
}

/** Steps as recorded, when the run's plan cannot be rebuilt: no order but the recording's. */
function recordedSteps(context: CardContext, steps: readonly StepSummary[]): SafeHtml {
  const items = steps.map((step) => {
    const iteration = step.loop_containers.length > 0 ? html` <span class="muted small">iteration ${step.loop_containers.map((level) => level.iteration).join('.')}</span>` : '';
    return html`<li class="graph-step">${stepCard(context, step.block_label || step.block_id, step.block_type, step.block_id, step, [])}${iteration}</li>`;
  });
  return html`<ol class="graph-steps">${items}</ol>`;
}

export interface RunGraphInput {
  runId: string;
  plan: RunPlan | null;
  steps: readonly StepSummary[];
  selectedStepId: string | null;
  /** The run is over: steps it left going did not finish. */
  runFinished: boolean;
}

/**
 * The run's blocks in dependency order, as a list of stages (a block's stage comes after those
 * of every block it reads), each block with its step's status; a for_each lists its iterations
 * under it, each with the loop body's steps.
 */
export function runGraph({ runId, plan, steps, selectedStepId, runFinished }: RunGraphInput): SafeHtml {
  const context = { runId, selectedStepId, runFinished };
  if (!plan) return recordedSteps(context, steps);
  return scopeGraph({ ...context, plan, index: new StepIndex(steps) }, plan.topLevel, []);
}
