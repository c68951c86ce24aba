import { LIVE_WORKFLOW_RUN_STATUSES, millisBetween, type HandleOutput, type WorkflowRun, type WorkflowRunStep } from '@verdict/core';
import { badge, formatDuration, formatTime, truncate } from '../format.js';
import { html, type SafeHtml } from '../html.js';
import { prettyJson } from '../json-diff.js';
import { runGraph, stepHref, type RunGraphInput } from './run-graph.js';
import { cancelRunForm, timingFacts, triggerLabel } from './runs.js';

/** A recorded value longer than this, pretty-printed, is cut on the page; the API returns it whole. */
export const SHOWN_JSON_CHARS = 20_000;
const MESSAGE_CHARS = 2_000;

export function isLiveWorkflowRun(run: WorkflowRun): boolean {
  return (LIVE_WORKFLOW_RUN_STATUSES as readonly string[]).includes(run.lifecycle.status);
}

export function workflowRunHref(runId: string): string {
  return `/workflow-runs/${encodeURIComponent(runId)}`;
}

/** A workflow's runs, newest first: when, status, who started it, how long it took. */
export function workflowRunsTable(runs: WorkflowRun[]): SafeHtml {
  if (runs.length === 0) return html`<p class="empty">No workflow runs yet. Start one with <code>verdict run &lt;workflow&gt;</code> or <code>POST /v1/workflows/runs</code>.</p>`;
  const rows = runs.map(
    (run) => html`<tr>
      <td class="nowrap cell-primary"><a href="${workflowRunHref(run.id)}" title="${run.id}">${formatTime(run.timing.created_at)}</a></td>
      <td class="cell-status">${badge(run.lifecycle.status)}</td>
      <td data-label="Trigger">${triggerLabel(run.trigger)}</td>
      <td class="num" data-label="Duration">${formatDuration(run.timing.duration_ms)}</td>
    </tr>`,
  );
  return html`<div class="table-wrap"><table class="stack">
    <thead><tr><th scope="col">Run created</th><th scope="col">Status</th><th scope="col">Trigger</th><th scope="col" class="num">Duration</th></tr></thead>
    <tbody>${rows}</tbody>
  </table></div>`;
}

/** Pretty JSON in a focusable block, cut past `SHOWN_JSON_CHARS` with a note saying where the whole value is. */
export function boundedJson(value: unknown, label: string, wholeAt: string): SafeHtml {
  const text = prettyJson(value);
  if (text.length <= SHOWN_JSON_CHARS) return html`<pre class="json" tabindex="0" aria-label="${label}">${text}</pre>`;
  return html`<pre class="json" tabindex="0" aria-label="${label}">${text.slice(0, SHOWN_JSON_CHARS)}…</pre>
    <p class="flash flash-notice" role="note">Cut here at ${SHOWN_JSON_CHARS.toLocaleString('en')} of ${text.length.toLocaleString('en')} characters; <code>${wholeAt}</code> returns it whole.</p>`;
}

/** Status, error and timing of a run: the part the event stream replaces as the run moves. */
export function workflowRunSummary(run: WorkflowRun): SafeHtml {
  const lifecycle = run.lifecycle;
  const error =
    lifecycle.status === 'error'
      ? html`<p class="flash flash-error">${truncate(lifecycle.message, MESSAGE_CHARS)}${lifecycle.failing_step_id ? html` (step <a href="${stepHref(run.id, lifecycle.failing_step_id)}"><code>${lifecycle.failing_step_id}</code></a>)` : ''}</p>`
      : '';
  const reason = lifecycle.status === 'cancelled' && lifecycle.reason ? html` — ${lifecycle.reason}` : '';
  return html`<p class="run-status"><span data-run-status="${lifecycle.status}">${badge(lifecycle.status)}</span>${reason}</p>
    ${error}
    ${timingFacts(run.timing)}`;
}

function cancelForm(run: WorkflowRun, csrfToken: string): SafeHtml {
  if (!isLiveWorkflowRun(run)) return html``;
  return cancelRunForm(`${workflowRunHref(run.id)}/cancel`, 'Cancel this workflow run? Steps in flight are stopped; finished steps are kept.', csrfToken);
}

function payloads(heading: string, values: Record<string, HandleOutput>, wholeAt: string): SafeHtml {
  const entries = Object.entries(values);
  const body =
    entries.length === 0
      ? html`<p class="empty">None recorded.</p>`
      : entries.map(([handle, payload]) => {
          const value =
            payload.type === 'json'
              ? boundedJson(payload.data, `${heading} ${handle}`, wholeAt)
              : html`<p>File ${payload.document.filename} <span class="muted">(${payload.document.mime_type}, <code>${payload.document.id}</code>)</span></p>`;
          return html`<div class="input"><h4><code>${handle}</code></h4>${value}</div>`;
        });
  return html`<div class="step-payloads"><h3>${heading}</h3>${body}</div>`;
}

function stepLifecycleNote(step: WorkflowRunStep): SafeHtml | string {
  const lifecycle = step.lifecycle;
  if (lifecycle.status === 'skipped') return html`<p class="flash flash-notice">Skipped: ${lifecycle.reason}</p>`;
  if (lifecycle.status === 'cancelled') return html`<p class="flash flash-notice">Cancelled: ${lifecycle.reason}</p>`;
  if (lifecycle.status === 'error') {
    return html`<section class="failure-panel panel" aria-label="Error"><p class="failure-message">${truncate(lifecycle.message, MESSAGE_CHARS)}</p>
      ${lifecycle.stage ? html`<p class="muted small">stage ${lifecycle.stage}${lifecycle.category ? `, ${lifecycle.category}` : ''}</p>` : ''}</section>`;
  }
  return '';
}

/** One step's lifecycle, timing, iteration and the inputs and outputs it recorded; "Save as test" when a test can replay it. */
export function stepDetail(step: WorkflowRunStep | null, canSaveAsTest: boolean): SafeHtml {
  if (!step) return html`<h2 id="step-detail-heading">Step</h2><p class="muted">Select a step above to see the inputs it received and the outputs it produced.</p>`;
  const wholeAt = `GET /v1/workflows/steps/${step.step_id}?run_id=${step.run_id}`;
  const iteration = step.loop_containers.length > 0 ? html`<div><dt>Iteration</dt><dd>${step.loop_containers.map((level) => level.iteration).join(' › ')}</dd></div>` : '';
  const saveHref = `${workflowRunHref(step.run_id)}/save-as-test?step=${encodeURIComponent(step.step_id)}`;
  return html`<div class="section-heading">
      <h2 id="step-detail-heading">Step ${step.block_label || step.block_id} ${badge(step.lifecycle.status)}</h2>
      ${canSaveAsTest ? html`<a class="button-quiet" href="${saveHref}">Save as test</a>` : ''}
    </div>
    <p class="muted small">${step.block_type} · step <code>${step.step_id}</code></p>
    ${stepLifecycleNote(step)}
    <dl class="facts">
      ${iteration}
      <div><dt>Started</dt><dd>${formatTime(step.started_at)}</dd></div>
      <div><dt>Finished</dt><dd>${formatTime(step.completed_at)}</dd></div>
      <div><dt>Duration</dt><dd>${formatDuration(millisBetween(step.started_at, step.completed_at))}</dd></div>
    </dl>
    <div class="side-by-side">
      ${payloads('Inputs', step.handle_inputs, wholeAt)}
      ${payloads('Outputs', step.handle_outputs, wholeAt)}
    </div>`;
}

export interface WorkflowRunPage {
  run: WorkflowRun;
  workflowName: string;
  graph: RunGraphInput;
  /** The step selected (`?step=`), whole; null when none is. */
  detail: SafeHtml;
  /** The steps were cut at this many; null when every step is shown. */
  stepsCutAt: number | null;
  csrfToken: string;
}

export function workflowRunView({ run, workflowName, graph, detail, stepsCutAt, csrfToken }: WorkflowRunPage): SafeHtml {
  const events = `${workflowRunHref(run.id)}/events${graph.selectedStepId ? `?step=${encodeURIComponent(graph.selectedStepId)}` : ''}`;
  return html`<nav class="breadcrumbs" aria-label="Breadcrumbs"><a href="/workflows">Workflows</a> / <a href="/workflows/${run.workflow_id}">${workflowName}</a> / workflow run <code>${run.id}</code></nav>
  <div class="page-heading">
    <div>
      <h1>Workflow run of <a href="/workflows/${run.workflow_id}">${workflowName}</a></h1>
      <p class="muted">Version <code>${run.workflow_version_id}</code>; started from the ${triggerLabel(run.trigger)}.</p>
    </div>
    <div id="run-actions" class="actions">${cancelForm(run, csrfToken)}</div>
  </div>
  <section id="run-summary" class="panel" aria-label="Status" tabindex="-1" ${isLiveWorkflowRun(run) ? html`data-run-events="${events}"` : ''}>${workflowRunSummary(run)}</section>
  <section aria-labelledby="steps-heading">
    <h2 id="steps-heading">Steps</h2>
    <p class="muted">In dependency order: each stage runs after the stages it reads from. Select a step to see its inputs and outputs.</p>
    ${stepsCutAt !== null ? html`<p class="flash flash-notice" role="note">Showing the first ${stepsCutAt} steps; <code>GET /v1/workflows/steps?run_id=${run.id}</code> lists them all.</p>` : ''}
    <div id="run-graph" class="run-graph">${runGraph(graph)}</div>
  </section>
  <section id="step-detail" class="panel" aria-labelledby="step-detail-heading" tabindex="-1">${detail}</section>`;
}
