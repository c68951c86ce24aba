import type { AssertionSpec, Workflow, WorkflowBlock, WorkflowRun, WorkflowTestRun } from '@verdict/core';
import { badge, formatTime, functionLanguageName, outcomeLabel } from '../format.js';
import { blockBehaviour } from './block-config.js';
import { html, type SafeHtml } from '../html.js';
import type { TestOverview } from '../../services/tests.js';
import { passRateChart, type ChartPoint } from './pass-rate-chart.js';
import { runsOfWorkflowTable } from './runs.js';
import { workflowRunsTable } from './workflow-runs.js';

export interface WorkflowListPage {
  workflows: Workflow[];
  testCounts: Map<string, number>;
  nextPage: string | null;
}

export function workflowListView(page: WorkflowListPage): SafeHtml {
  if (page.workflows.length === 0) {
    return html`<h1>Workflows</h1><p class="empty">No workflows yet. Create one with <code>POST /v1/workflows</code> or <code>verdict apply</code>.</p>`;
  }
  const rows = page.workflows.map(
    (workflow) => html`<tr>
      <td class="cell-primary"><a href="/workflows/${workflow.id}">${workflow.name}</a><div class="muted small">${workflow.description}</div></td>
      <td data-label="Id"><code>${workflow.id}</code></td>
      <td class="num" data-label="Tests">${page.testCounts.get(workflow.id) ?? 0}</td>
      <td data-label="Updated">${formatTime(workflow.updated_at)}</td>
    </tr>`,
  );
  return html`<h1>Workflows</h1>
  <div class="table-wrap"><table class="stack">
    <thead><tr><th scope="col">Name</th><th scope="col">Id</th><th scope="col" class="num">Tests</th><th scope="col">Updated</th></tr></thead>
    <tbody>${rows}</tbody>
  </table></div>
  ${page.nextPage ? html`<p><a class="button-quiet" href="${page.nextPage}">More workflows</a></p>` : ''}`;
}

/** `equals` on `output-json-0` at `totals_match`: what a test checks, in one line. */
export function describeAssertion(assertion: AssertionSpec | null): SafeHtml {
  if (!assertion) return html`<span class="muted">no assertion</span>`;
  const path = assertion.target.path ? html` at <code>${assertion.target.path}</code>` : '';
  return html`<code>${assertion.condition.kind}</code> on <code>${assertion.target.output_handle_id}</code>${path}`;
}

function runButton(workflowId: string, csrfToken: string, label: string, blockId?: string): SafeHtml {
  return html`<form method="post" action="/workflows/${workflowId}/runs" class="inline-form">
    <input type="hidden" name="_csrf" value="${csrfToken}">
    ${blockId ? html`<input type="hidden" name="block_id" value="${blockId}">` : ''}
    <button type="submit">${label}</button>
  </form>`;
}

function testRows(tests: TestOverview[]): SafeHtml {
  return html`${tests.map((test) => {
    const latest = test.latest;
    const lastRun = latest ? html`<a href="/results/${latest.resultId}">${formatTime(latest.completedAt)}</a>` : html`<span class="muted">never</span>`;
    return html`<tr id="test-${test.id}">
      <td class="cell-primary"><a href="/tests/${test.id}">${test.name ?? html`<code>${test.id}</code>`}</a></td>
      <td data-label="Checks">${describeAssertion(test.assertion)}</td>
      <td class="cell-status">${badge(outcomeLabel(latest?.status ?? null, latest?.verdict ?? null))}</td>
      <td data-label="Last run">${lastRun}</td>
    </tr>`;
  })}`;
}

function testsTable(tests: TestOverview[]): SafeHtml {
  if (tests.length === 0) return html`<p class="empty">No tests for this block.</p>`;
  return html`<div class="table-wrap"><table class="stack">
    <thead><tr><th scope="col">Test</th><th scope="col">Checks</th><th scope="col">Latest verdict</th><th scope="col">Last run</th></tr></thead>
    <tbody>${testRows(tests)}</tbody>
  </table></div>`;
}

function blockSection(workflowId: string, block: WorkflowBlock, tests: TestOverview[], csrfToken: string): SafeHtml {
  const language = functionLanguageName(block);
  return html`<section class="panel block" aria-labelledby="block-${block.id}">
    <div class="section-heading">
      <h3 id="block-${block.id}">${block.label || block.id} <span class="muted small">${block.type}${language ? ` · ${language}` : ''} · <code>${block.id}</code></span></h3>
      ${tests.length > 0 ? runButton(workflowId, csrfToken, `Run this block's tests (${tests.length})`, block.id) : ''}
    </div>
    ${blockBehaviour(block)}
    ${testsTable(tests)}
  </section>`;
}

function groupByBlock(tests: TestOverview[]): Map<string, TestOverview[]> {
  const groups = new Map<string, TestOverview[]>();
  for (const test of tests) {
    const group = groups.get(test.blockId);
    if (group) group.push(test);
    else groups.set(test.blockId, [test]);
  }
  return groups;
}

export interface WorkflowPage {
  workflow: Workflow;
  blocks: WorkflowBlock[];
  tests: TestOverview[];
  /** More tests exist than the page shows. */
  testsTruncated: boolean;
  recentRuns: WorkflowTestRun[];
  /** The workflow's latest workflow runs (whole executions, not test runs), newest first. */
  workflowRuns: WorkflowRun[];
  /** Older workflow runs exist than those listed. */
  moreWorkflowRuns: boolean;
  /** The latest finished runs, oldest first, for the pass rate chart. */
  passRate: ChartPoint[];
  csrfToken: string;
}

export function workflowView(page: WorkflowPage): SafeHtml {
  const { workflow, csrfToken } = page;
  const byBlock = groupByBlock(page.tests);
  const known = new Set(page.blocks.map((block) => block.id));
  const orphans = page.tests.filter((test) => !known.has(test.blockId));
  return html`<nav class="breadcrumbs" aria-label="Breadcrumbs"><a href="/workflows">Workflows</a> / ${workflow.name}</nav>
  <div class="page-heading">
    <div>
      <h1>${workflow.name}</h1>
      <p class="muted">${workflow.description} <code>${workflow.id}</code></p>
    </div>
    ${page.tests.length > 0 ? runButton(workflow.id, csrfToken, 'Run all tests') : ''}
  </div>
  <section aria-labelledby="recent-runs">
    <div class="section-heading">
      <h2 id="recent-runs">Recent runs</h2>
      <a href="/runs?workflow_id=${encodeURIComponent(workflow.id)}">All runs of this workflow</a>
    </div>
    ${runsOfWorkflowTable(page.recentRuns)}
  </section>
  <section aria-labelledby="workflow-runs-heading">
    <h2 id="workflow-runs-heading">Workflow runs</h2>
    <p class="muted">Executions of the whole workflow on real inputs; open one to see its steps and save a step as a test.</p>
    ${workflowRunsTable(page.workflowRuns)}
    ${page.moreWorkflowRuns ? html`<p class="muted small">The latest ${page.workflowRuns.length}; <code>GET /v1/workflows/runs?workflow_id=${workflow.id}</code> lists older ones.</p>` : ''}
  </section>
  <section aria-labelledby="pass-rate-heading">
    <h2 id="pass-rate-heading">Pass rate</h2>
    ${passRateChart(page.passRate)}
  </section>
  <section aria-labelledby="blocks-heading">
    <h2 id="blocks-heading">Blocks and tests</h2>
    ${page.testsTruncated ? html`<p class="flash flash-notice">Showing the first ${page.tests.length} tests; list the rest with <code>GET /v1/workflows/tests</code>.</p>` : ''}
    ${page.blocks.length === 0 ? html`<p class="empty">This workflow has no blocks yet.</p>` : ''}
    ${page.blocks.map((block) => blockSection(workflow.id, block, byBlock.get(block.id) ?? [], csrfToken))}
    ${orphans.length > 0 ? html`<section class="panel block"><h3>Tests of removed blocks</h3>${testsTable(orphans)}</section>` : ''}
  </section>`;
}
