import type { LatestBlockTestRunSummary } from '@verdict/core';
import { badge, formatDuration, formatTime, functionLanguageName, outcomeLabel } from '../format.js';
import { html, type SafeHtml } from '../html.js';
import type { TestDescription, TestHistoryItem } from '../../services/history.js';
import { blockBehaviour } from './block-config.js';
import { inputsSection, jsonBlock } from './result.js';
import { describeAssertion } from './workflows.js';

function latestLine(label: string, summary: LatestBlockTestRunSummary | null): SafeHtml {
  const value = summary
    ? html`${badge(outcomeLabel(summary.status, summary.outcome))} <a href="/results/${summary.run_record_id}">${formatTime(summary.completed_at ?? summary.started_at)}</a>`
    : html`<span class="muted">none yet</span>`;
  return html`<div><dt>${label}</dt><dd>${value}</dd></div>`;
}

function historyTable(results: TestHistoryItem[]): SafeHtml {
  if (results.length === 0) return html`<p class="empty">This test has not run yet.</p>`;
  const rows = results.map(
    (item) => html`<tr>
      <td class="nowrap cell-primary"><a href="/results/${item.resultId}">${formatTime(item.completedAt ?? item.createdAt)}</a></td>
      <td class="cell-status">${badge(outcomeLabel(item.status, item.verdict))}</td>
      <td data-label="Run"><a href="/runs/${item.runId}"><code>${item.runId}</code></a></td>
      <td class="num" data-label="Time">${formatDuration(item.durationMs)}</td>
      <td data-label="Changed" class="small">${item.changed.length > 0 ? item.changed.join(', ') : html`<span class="muted">—</span>`}</td>
    </tr>`,
  );
  return html`<div class="table-wrap"><table class="stack">
    <thead><tr><th scope="col">Result</th><th scope="col">Verdict</th><th scope="col">Run</th><th scope="col" class="num">Time</th><th scope="col" title="What this result depended on that differs from the result before it">Changed since the previous</th></tr></thead>
    <tbody>${rows}</tbody>
  </table></div>`;
}

/** Flaky: the verdict flipped while nothing the test depends on changed (stability over its latest results). */
function flakyBadge(test: TestDescription['test']): SafeHtml | string {
  const { stability } = test;
  if (!stability.flaky) return '';
  return html` <span class="badge badge-flaky" title="${`The verdict changed ${stability.flips} times over its last ${stability.runs} results, while its inputs, block and assertion did not`}">flaky</span>`;
}

function blockPanel({ test, block }: TestDescription): SafeHtml {
  if (!block) {
    return html`<section class="panel" aria-labelledby="block-heading"><h2 id="block-heading">Block</h2>
      <p class="muted">Block <code>${test.target.block_id}</code> was removed from the workflow's draft.</p></section>`;
  }
  const language = functionLanguageName(block);
  return html`<section class="panel" aria-labelledby="block-heading">
    <h2 id="block-heading">Block <a href="/workflows/${test.workflow_id}#block-${block.id}">${block.label || block.id}</a> <span class="muted small">${block.type}${language ? ` · ${language}` : ''} · <code>${block.id}</code></span></h2>
    ${blockBehaviour(block)}
  </section>`;
}

export interface TestPage extends TestDescription {
  /** How many results the page lists at most. */
  resultLimit: number;
}

export function testView(page: TestPage): SafeHtml {
  const { test, workflow } = page;
  const title = test.name ?? test.id;
  const workflowName = workflow?.name ?? test.workflow_id;
  const latest = test.latest_run_summary;
  const issues = test.validation_issues.map((issue) => html`<li><code>${issue.code}</code> ${issue.message}</li>`);
  return html`<nav class="breadcrumbs" aria-label="Breadcrumbs"><a href="/workflows">Workflows</a> / <a href="/workflows/${test.workflow_id}">${workflowName}</a> / test</nav>
  <div class="page-heading">
    <div>
      <h1>${title} ${badge(outcomeLabel(latest?.status ?? null, latest?.outcome ?? null))}${flakyBadge(test)}</h1>
      <p class="muted">Test <code>${test.id}</code> of <a href="/workflows/${test.workflow_id}">${workflowName}</a></p>
    </div>
  </div>
  ${issues.length > 0 ? html`<div class="flash flash-error"><p>This test cannot run against the current draft:</p><ul>${issues}</ul></div>` : ''}
  <section class="panel" aria-labelledby="latest-heading">
    <h2 id="latest-heading">Latest verdicts</h2>
    <dl class="facts">
      ${latestLine('Latest', test.latest_run_summary)}
      ${latestLine('Latest pass', test.latest_passing_run_summary)}
      ${latestLine('Latest failure', test.latest_failing_run_summary)}
    </dl>
  </section>
  <section class="panel" aria-labelledby="assertion-heading">
    <h2 id="assertion-heading">Assertion</h2>
    <p>${test.assertion?.label ? html`<strong>${test.assertion.label}</strong>: ` : ''}${describeAssertion(test.assertion)}</p>
    ${test.assertion ? jsonBlock(test.assertion.condition, 'Condition') : ''}
  </section>
  ${inputsSection(test.source, 'Inputs')}
  ${blockPanel(page)}
  <section aria-labelledby="results-heading">
    <h2 id="results-heading">Recent results</h2>
    <p class="muted">The latest ${page.resultLimit} at most, newest first.</p>
    ${historyTable(page.recentResults)}
  </section>`;
}
