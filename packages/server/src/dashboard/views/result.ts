import type { AssertionSpec, HandleInput, WorkflowTestResult, WorkflowTestSource } from '@verdict/core';
import { badge, formatDuration, formatTime, outcomeLabel } from '../format.js';
import { html, type SafeHtml } from '../html.js';
import { isStructured, jsonDiff, prettyJson } from '../json-diff.js';
import { failureOf } from '../../services/test-results.js';
import { describeAssertion } from './workflows.js';

export function jsonBlock(value: unknown, label: string): SafeHtml {
  return html`<pre class="json" tabindex="0" aria-label="${label}">${prettyJson(value)}</pre>`;
}

const DIFF_SIGNS = { same: ' ', removed: '-', added: '+' } as const;

function diffBlock(expected: unknown, actual: unknown): SafeHtml {
  const lines = jsonDiff(expected, actual).map(
    (line) => html`<span class="diff-${line.change}"><span class="diff-sign" aria-hidden="true">${DIFF_SIGNS[line.change]}</span>${line.text}</span>`,
  );
  return html`<h3>Difference</h3>
    <p class="muted small"><span class="diff-removed legend">- expected only</span> <span class="diff-added legend">+ actual only</span></p>
    <pre class="json diff" tabindex="0" aria-label="Difference between expected and actual">${lines}</pre>`;
}

function comparison(result: WorkflowTestResult): SafeHtml {
  const outcome = result.assertion_result;
  if (!outcome) return html`<p class="empty">The assertion was not evaluated${result.lifecycle.status === 'completed' ? '' : ` (the test is ${result.lifecycle.status})`}.</p>`;
  const expected = outcome.expected_value;
  const actual = outcome.actual_value;
  const showDiff = outcome.outcome !== 'passed' && isStructured(expected) && isStructured(actual);
  const graded =
    outcome.score !== null ? html`<p>Score <strong>${outcome.score}</strong>${outcome.threshold !== null ? html` (threshold ${outcome.threshold})` : ''}${outcome.metric_kind ? html`, ${outcome.metric_kind}` : ''}</p>` : '';
  return html`<div class="side-by-side">
      <div><h3>Expected</h3>${jsonBlock(expected, 'Expected value')}</div>
      <div><h3>Actual</h3>${jsonBlock(actual, 'Actual value')}</div>
    </div>
    ${graded}
    ${showDiff ? diffBlock(expected, actual) : ''}`;
}

function failureSection(result: WorkflowTestResult): SafeHtml {
  const failure = failureOf(result.assertion_result, result.error);
  if (!failure) return html``;
  return html`<section class="panel failure-panel" aria-labelledby="failure-heading">
    <h2 id="failure-heading">Failure</h2>
    <p><code class="failure-code">${failure.code}</code></p>
    <p class="failure-message">${failure.message}</p>
    ${result.error?.stack_trace ? html`<details><summary>Stack trace</summary><pre class="json">${result.error.stack_trace}</pre></details>` : ''}
  </section>`;
}

function handleInput(name: string, input: HandleInput): SafeHtml {
  const body =
    input.type === 'json'
      ? jsonBlock(input.data, `Input ${name}`)
      : html`<p>File ${'filename' in input.document ? input.document.filename : ''} ${'mime_type' in input.document ? html`<span class="muted">(${input.document.mime_type})</span>` : ''}</p>`;
  return html`<div class="input"><h3><code>${name}</code></h3>${body}</div>`;
}

/** Long block outputs come cut on this page (the store reads only their ends); the API returns them whole. */
function truncationNotice(result: WorkflowTestResult): SafeHtml {
  const fields = result.truncated_fields ?? [];
  if (fields.length === 0) return html``;
  return html`<p class="flash flash-notice" role="note">Too long to show whole, cut here: ${fields.map((field, index) => html`${index > 0 ? ', ' : ''}<code>${field}</code>`)}.
    <code>GET /v1/workflows/tests/results/${result.id}</code> returns the whole values.</p>`;
}

/** The inputs a test gives its block (`heading`: what the page calls them). */
export function inputsSection(source: WorkflowTestSource, heading: string): SafeHtml {
  const body =
    source.type === 'manual'
      ? Object.entries(source.handle_inputs).map(([name, input]) => handleInput(name, input))
      : html`<p>Copied from step <code>${source.step_id ?? '(first)'}</code> of workflow run <code>${source.run_id}</code>.</p>`;
  return html`<section class="panel" aria-labelledby="inputs-heading"><h2 id="inputs-heading">${heading}</h2>${body}</section>`;
}

export interface ResultPage {
  result: WorkflowTestResult;
  testName: string | null;
  /** The assertion as the run copied it from the test. */
  assertion: AssertionSpec | null;
  /** `language` names a function block's language (Python, JavaScript). */
  block: { label: string; type: string; language: string | null } | null;
}

export function resultView({ result, testName, assertion, block }: ResultPage): SafeHtml {
  const title = testName ?? result.test_id;
  const label = assertion?.label ?? result.assertion_result?.assertion_label;
  return html`<nav class="breadcrumbs" aria-label="Breadcrumbs"><a href="/runs">Runs</a> / <a href="/runs/${result.run_id}"><code>${result.run_id}</code></a> / result</nav>
  <div class="page-heading">
    <div>
      <h1>${title} ${badge(outcomeLabel(result.lifecycle.status, result.verdict))}</h1>
      <p class="muted">Test <a href="/tests/${result.test_id}"><code>${result.test_id}</code></a> on block ${block ? html`${block.label} (${block.type}${block.language ? `, ${block.language}` : ''}) ` : ''}<code>${result.block_id}</code></p>
    </div>
  </div>
  ${truncationNotice(result)}
  ${failureSection(result)}
  <section class="panel" aria-labelledby="assertion-heading">
    <h2 id="assertion-heading">Assertion</h2>
    <p>${label ? html`<strong>${label}</strong>: ` : ''}${describeAssertion(assertion)}</p>
    ${assertion ? html`<details><summary>Condition</summary>${jsonBlock(assertion.condition, 'Condition')}</details>` : ''}
    ${comparison(result)}
  </section>
  ${inputsSection(result.source, 'Inputs used')}
  <section class="panel" aria-labelledby="timing-heading">
    <h2 id="timing-heading">Timing</h2>
    <dl class="facts">
      <div><dt>Queued</dt><dd>${formatTime(result.timing.created_at)}</dd></div>
      <div><dt>Started</dt><dd>${formatTime(result.timing.started_at)}</dd></div>
      <div><dt>Finished</dt><dd>${formatTime(result.timing.completed_at)}</dd></div>
      <div><dt>Total</dt><dd>${formatDuration(result.timing.duration_ms)}</dd></div>
      <div><dt>Block execution</dt><dd>${formatDuration(result.duration_ms)}</dd></div>
    </dl>
  </section>
  <section class="panel" aria-labelledby="outputs-heading">
    <h2 id="outputs-heading">Block outputs</h2>
    ${result.outputs ? html`<details><summary>Show all outputs</summary>${jsonBlock(result.outputs, 'Block outputs')}</details>` : html`<p class="empty">The block produced no outputs.</p>`}
  </section>`;
}
