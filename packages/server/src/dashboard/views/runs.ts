import { isTerminal, progressOf, type Trigger, type WorkflowTestRun } from '@verdict/core';
import { badge, formatDuration, formatTime, outcomeLabel, truncate } from '../format.js';
import { html, type SafeHtml } from '../html.js';
import type { ResultListItem } from '../../services/test-results.js';
import { filterQuery, isFiltered, SEARCH_MAX_CHARS, type ResultFilter, type ResultView } from '../result-filter.js';

/** `12 / 14`, and `· 2 cancelled` when a cancel stopped some: cancelled tests did not run. */
function ranCell(run: WorkflowTestRun): SafeHtml {
  const { ran, cancelled } = progressOf(run.counts);
  return cancelled ? html`${ran} / ${run.total_tests} <span class="muted">· ${cancelled} cancelled</span>` : html`${ran} / ${run.total_tests}`;
}

/** Who started a run: `dashboard` for manual triggers, `API`, or the trigger type. */
export function triggerLabel(trigger: Trigger): string {
  switch (trigger.type) {
    case 'manual':
      return 'dashboard';
    case 'api':
      return 'API';
    default:
      return trigger.type;
  }
}

function describeScope(run: WorkflowTestRun): SafeHtml {
  if (run.test_id) return html`one test (<code>${run.test_id}</code>)`;
  if (run.target) return html`the tests of block <code>${run.target.block_id}</code>`;
  return html`all tests of the workflow`;
}

function runsTableOf(runs: WorkflowTestRun[], workflowCell: ((run: WorkflowTestRun) => SafeHtml) | null): SafeHtml {
  if (runs.length === 0) return html`<p class="empty">No runs yet.</p>`;
  const rows = runs.map((run) => {
    const outcome = run.counts.outcome;
    return html`<tr>
      <td class="nowrap cell-primary"><a href="/runs/${run.id}" title="${run.id}">${formatTime(run.timing.created_at)}</a></td>
      ${workflowCell ? html`<td data-label="Workflow">${workflowCell(run)}</td>` : ''}
      <td class="cell-status">${badge(run.lifecycle.status)}</td>
      <td data-label="Trigger">${triggerLabel(run.trigger)}</td>
      <td class="num" data-label="Ran">${ranCell(run)}</td>
      <td class="num" data-label="Passed">${outcome.passed}</td>
      <td class="num" data-label="Failed">${outcome.failed}</td>
      <td class="num" data-label="Blocked">${outcome.blocked}</td>
      <td class="num" data-label="Duration">${formatDuration(run.timing.duration_ms)}</td>
    </tr>`;
  });
  return html`<div class="table-wrap"><table class="stack">
    <thead><tr>
      <th scope="col">Run created</th>${workflowCell ? html`<th scope="col">Workflow</th>` : ''}<th scope="col">Status</th><th scope="col">Trigger</th>
      <th scope="col" class="num">Ran</th><th scope="col" class="num">Passed</th><th scope="col" class="num">Failed</th>
      <th scope="col" class="num">Blocked</th><th scope="col" class="num">Duration</th>
    </tr></thead>
    <tbody>${rows}</tbody>
  </table></div>`;
}

/** Runs of any workflows, each row naming its workflow. */
export function runsTable(runs: WorkflowTestRun[], workflowNames: Map<string, string>): SafeHtml {
  return runsTableOf(runs, (run) => html`<a href="/workflows/${run.workflow_id}">${workflowNames.get(run.workflow_id) ?? run.workflow_id}</a>`);
}

/** Runs of the one workflow whose page shows them: no column repeats its name. */
export function runsOfWorkflowTable(runs: WorkflowTestRun[]): SafeHtml {
  return runsTableOf(runs, null);
}

/** Below this, a test's wait for a thread is not worth a line. */
const NOTABLE_QUEUE_MS = 100;

/** The time cell shows execution time; a notable wait before it is shown apart. */
function queuedNote(queuedMs: number | null): SafeHtml {
  return queuedMs !== null && queuedMs >= NOTABLE_QUEUE_MS ? html`<br><span class="cell-secondary">queued ${formatDuration(queuedMs)}</span>` : html``;
}

/** One row of a run's result table; also sent over the event stream, so the page and the stream render alike. */
export function resultRow(item: ResultListItem): SafeHtml {
  const failure = item.failure ? html`<code>${item.failure.code}</code> ${truncate(item.failure.message, 160)}` : '';
  return html`<tr id="result-${item.id}" data-position="${item.position}">
    <td class="num cell-secondary">${item.position + 1}</td>
    <td class="cell-primary"><a href="/results/${item.id}">${item.testName ?? item.testId}</a></td>
    <td class="cell-status">${badge(outcomeLabel(item.status, item.verdict))}</td>
    <td class="failure">${failure}</td>
    <td class="num" data-label="Time">${formatDuration(item.durationMs)}${queuedNote(item.queuedMs)}</td>
  </tr>`;
}

function countItem(label: string, value: number, kind: string): SafeHtml {
  return html`<div class="count count-${kind}"><dt>${label}</dt><dd data-count="${kind}">${value}</dd></div>`;
}

/** Status, progress and counts: the part of the run page the event stream replaces as the run moves. */
export function runSummary(run: WorkflowTestRun): SafeHtml {
  const lifecycle = run.counts.lifecycle_counts;
  const outcome = run.counts.outcome;
  const { ran, cancelled } = progressOf(run.counts);
  const cancelledPart = cancelled ? html`, ${cancelled} cancelled before they ran` : '';
  const reason = run.lifecycle.status === 'cancelled' && run.lifecycle.reason ? html` — ${run.lifecycle.reason}` : '';
  const error = run.lifecycle.status === 'error' ? html`<p class="flash flash-error">${run.lifecycle.message}</p>` : '';
  return html`<p class="run-status">
      <span data-run-status="${run.lifecycle.status}">${badge(run.lifecycle.status)}</span>
      <span>${ran} of ${run.total_tests} tests ran${cancelledPart}${reason}</span>
    </p>
    ${error}
    <progress max="${run.total_tests}" value="${ran}" aria-label="Tests that ran">${ran} of ${run.total_tests}</progress>
    <dl class="counts">
      ${countItem('Passed', outcome.passed, 'passed')}
      ${countItem('Failed', outcome.failed, 'failed')}
      ${countItem('Blocked', outcome.blocked, 'blocked')}
      ${countItem('Running', lifecycle.running, 'running')}
      ${countItem('Waiting', lifecycle.pending + lifecycle.queued, 'waiting')}
      ${countItem('Cancelled', lifecycle.cancelled, 'cancelled')}
      ${countItem('Error', lifecycle.error, 'error')}
    </dl>
    ${timingFacts(run.timing)}`;
}

/** When a run (test run or workflow run) was created, started and finished, and how long it took. */
export function timingFacts(timing: { created_at: string | null; started_at: string | null; completed_at: string | null; duration_ms: number | null }): SafeHtml {
  return html`<dl class="facts">
      <div><dt>Created</dt><dd>${formatTime(timing.created_at)}</dd></div>
      <div><dt>Started</dt><dd>${formatTime(timing.started_at)}</dd></div>
      <div><dt>Finished</dt><dd>${formatTime(timing.completed_at)}</dd></div>
      <div><dt>Duration</dt><dd>${formatDuration(timing.duration_ms)}</dd></div>
    </dl>`;
}

function cancelForm(run: WorkflowTestRun, csrfToken: string): SafeHtml {
  if (isTerminal(run.lifecycle.status)) return html``;
  return cancelRunForm(`/runs/${run.id}/cancel`, 'Cancel this run? Tests that have not finished will not run; finished results are kept.', csrfToken);
}

/** The Cancel button of a live run's page: posted by htmx after a confirmation, its answer shown in the flash area. */
export function cancelRunForm(action: string, question: string, csrfToken: string): SafeHtml {
  return html`<form id="cancel-form" method="post" action="${action}" hx-post="${action}" hx-target="#flash" hx-swap="innerHTML" hx-disabled-elt="find button" hx-confirm="${question}">
    <input type="hidden" name="_csrf" value="${csrfToken}">
    <button type="submit" class="button-danger">Cancel run</button>
  </form>`;
}

function rerunForm(run: WorkflowTestRun, csrfToken: string, onlyFailed: boolean, label: string): SafeHtml {
  return html`<form method="post" action="/runs/${run.id}/rerun" class="inline-form">
    <input type="hidden" name="_csrf" value="${csrfToken}">
    ${onlyFailed ? html`<input type="hidden" name="only_failed" value="true">` : ''}
    <button type="submit" ${onlyFailed ? '' : html`class="button-quiet"`}>${label}</button>
  </form>`;
}

/** Tests a "Re-run failed" would run: those that failed, were blocked or errored. */
export function rerunnableFailures(run: WorkflowTestRun): number {
  return run.counts.outcome.failed + run.counts.outcome.blocked + run.counts.lifecycle_counts.error;
}

/** "Re-run failed" and "Re-run all" on a finished run, against the current draft; nothing on a live one. */
export function rerunForms(run: WorkflowTestRun, csrfToken: string): SafeHtml {
  if (!isTerminal(run.lifecycle.status)) return html``;
  const failures = rerunnableFailures(run);
  return html`${failures > 0 ? rerunForm(run, csrfToken, true, `Re-run failed (${failures})`) : ''}${rerunForm(run, csrfToken, false, 'Re-run all')}`;
}

const VIEW_LABELS: Record<ResultView, string> = { all: 'All results', failed: 'Failed or errored', blocked: 'Blocked', new_failures: 'New failures' };

function filterForm(run: WorkflowTestRun, filter: ResultFilter, hasBase: boolean): SafeHtml {
  const views = (Object.keys(VIEW_LABELS) as ResultView[]).filter((view) => view !== 'new_failures' || hasBase || filter.show === view);
  return html`<form method="get" action="/runs/${run.id}" class="filters" role="search" aria-label="Filter results">
    <label>Show
      <select name="show">${views.map((view) => html`<option value="${view}" ${view === filter.show ? 'selected' : ''}>${VIEW_LABELS[view]}</option>`)}</select>
    </label>
    <label>Test name contains
      <input type="search" name="q" id="result-search" value="${filter.search}" maxlength="${SEARCH_MAX_CHARS}" autocomplete="off">
    </label>
    <button type="submit">Filter</button>
    ${isFiltered(filter) ? html`<a href="/runs/${run.id}">Show all</a>` : ''}
  </form>`;
}

function describeFilter(filter: ResultFilter, hasBase: boolean): SafeHtml | string {
  if (!isFiltered(filter)) return '';
  const which = filter.show === 'all' ? 'all results' : `${VIEW_LABELS[filter.show].toLowerCase()} results`;
  const search = filter.search ? html` whose test name contains “${filter.search}”` : '';
  const noBase = filter.show === 'new_failures' && !hasBase ? ' (there is no earlier run to compare with, so none is new)' : '';
  return html`<p class="filter-summary">Showing ${which}${search}${noBase}.</p>`;
}

export interface RunPage {
  run: WorkflowTestRun;
  workflowName: string;
  /** The started results that pass `filter`. */
  results: ResultListItem[];
  csrfToken: string;
  filter: ResultFilter;
  /** The run has a base run to compare with. */
  hasBase: boolean;
  /** "N new failures, M fixed since …" (empty without a base, or while the run is live). */
  comparison: SafeHtml;
}

export function runView({ run, workflowName, results, csrfToken, filter, hasBase, comparison }: RunPage): SafeHtml {
  const live = !isTerminal(run.lifecycle.status);
  const events = `/runs/${run.id}/events${filterQuery(filter)}`;
  return html`<nav class="breadcrumbs" aria-label="Breadcrumbs"><a href="/runs">Runs</a> / <code>${run.id}</code></nav>
  <div class="page-heading">
    <div>
      <h1>Run of <a href="/workflows/${run.workflow_id}">${workflowName}</a></h1>
      <p class="muted">Runs ${describeScope(run)} on version <code>${run.workflow_version_id}</code>; started from the ${triggerLabel(run.trigger)}.</p>
    </div>
    <div id="run-actions" class="actions">${cancelForm(run, csrfToken)}${rerunForms(run, csrfToken)}</div>
  </div>
  <section id="run-summary" class="panel" aria-label="Progress" tabindex="-1" ${live ? html`data-run-events="${events}"` : ''}>${runSummary(run)}</section>
  <div id="run-comparison">${comparison}</div>
  <section aria-labelledby="results-heading">
    <h2 id="results-heading">Results</h2>
    ${filterForm(run, filter, hasBase)}
    <p class="muted">${live ? 'Tests appear here as they start and finish.' : 'Every test that started, in run order.'}</p>
    ${describeFilter(filter, hasBase)}
    <div class="table-wrap"><table class="results stack">
      <thead><tr><th scope="col" class="num">#</th><th scope="col">Test</th><th scope="col">Result</th><th scope="col">Failure</th><th scope="col" class="num">Time</th></tr></thead>
      <tbody id="result-rows">${results.map(resultRow)}</tbody>
    </table></div>
    ${!live && results.length === 0 && isFiltered(filter) ? html`<p class="empty">No result matches.</p>` : ''}
  </section>`;
}

export interface RunListPage {
  runs: WorkflowTestRun[];
  workflowNames: Map<string, string>;
  workflowChoices: { id: string; name: string }[];
  filters: { workflowId: string | null; status: string | null };
  statuses: readonly string[];
  nextPage: string | null;
}

export function runListView(page: RunListPage): SafeHtml {
  const option = (value: string, label: string, selected: boolean) => html`<option value="${value}" ${selected ? 'selected' : ''}>${label}</option>`;
  return html`<h1>Runs</h1>
  <form method="get" action="/runs" class="filters">
    <label>Workflow
      <select name="workflow_id">
        ${option('', 'All workflows', page.filters.workflowId === null)}
        ${page.workflowChoices.map((workflow) => option(workflow.id, workflow.name, workflow.id === page.filters.workflowId))}
      </select>
    </label>
    <label>Status
      <select name="status">
        ${option('', 'Any status', page.filters.status === null)}
        ${page.statuses.map((status) => option(status, status, status === page.filters.status))}
      </select>
    </label>
    <button type="submit">Filter</button>
  </form>
  ${runsTable(page.runs, page.workflowNames)}
  ${page.nextPage ? html`<p><a class="button-quiet" href="${page.nextPage}">Older runs</a></p>` : ''}`;
}
