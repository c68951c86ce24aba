import type { RunChange, RunComparison } from '@verdict/core';
import { badge, formatTime } from '../format.js';
import { html, type SafeHtml } from '../html.js';

const plural = (count: number, one: string, many: string) => `${count} ${count === 1 ? one : many}`;

/** `changed: block_config, inputs`, or `nondeterministic` when the verdict moved while nothing it depends on did. */
function changedFingerprints(change: RunChange): SafeHtml {
  if (change.changed.length === 0) return html`<span class="changed changed-none" title="The verdict changed while the test's inputs, block, assertion and draft did not">nondeterministic</span>`;
  return html`<span class="changed">changed: ${change.changed.map((kind, index) => html`${index > 0 ? ', ' : ''}<code>${kind}</code>`)}</span>`;
}

function changeItem(change: RunChange): SafeHtml {
  const label = change.change === 'new_failure' ? 'new failure' : 'fixed';
  const name = change.test_name ?? change.test_id;
  const link = change.after_result_id ? html`<a href="/results/${change.after_result_id}">${name}</a>` : html`<a href="/tests/${change.test_id}">${name}</a>`;
  return html`<li data-change="${change.change}" data-test-id="${change.test_id}">
    ${badge(label)} ${link} <span class="muted small">${change.before} → ${change.after}</span> ${changedFingerprints(change)}
  </li>`;
}

export interface ComparisonPanel {
  comparison: RunComparison;
  /** When the base run was created, for its link. */
  baseCreatedAt: string | null;
  /** The run page with the "new failures" filter, for the changes the list leaves out. */
  newFailuresUrl: string;
}

/**
 * "N new failures, M fixed since <base>", then those tests, new failures first, each with what
 * changed. Nothing when the run has no base to compare with.
 */
export function comparisonPanel({ comparison, baseCreatedAt, newFailuresUrl }: ComparisonPanel): SafeHtml {
  const baseRunId = comparison.base_run_id;
  if (baseRunId === null) return html``;
  const { new_failures: newFailures, fixed } = comparison.summary;
  const shown = comparison.changes.filter((change) => change.change === 'new_failure' || change.change === 'fixed');
  const left = newFailures + fixed - shown.length;
  const baseLink = html`<a href="/runs/${baseRunId}" title="${baseRunId}">the run of ${baseCreatedAt ? formatTime(baseCreatedAt) : baseRunId}</a>`;
  return html`<section class="panel comparison" aria-labelledby="comparison-heading">
    <h2 id="comparison-heading"><span data-summary="new_failures">${plural(newFailures, 'new failure', 'new failures')}</span>, <span data-summary="fixed">${fixed} fixed</span> since ${baseLink}</h2>
    ${shown.length > 0 ? html`<ul class="changes">${shown.map(changeItem)}</ul>` : html`<p class="muted">No verdict changed.</p>`}
    ${left > 0 ? html`<p class="muted">${left} more not listed. <a href="${newFailuresUrl}">Show every new failure</a></p>` : ''}
  </section>`;
}
