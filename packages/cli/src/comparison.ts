/**
 * How a run compares with its base, for people: a terminal table grouped by change, and a Markdown
 * summary for CI step summaries. Every server-provided string goes through safe() (or md() in Markdown).
 */
import { CHANGE_KINDS, CHANGE_ORDER, type ChangeKind } from '@verdict/core/history';
import type { RunChange, RunComparison, Verdict, WorkflowTestResult, WorkflowTestRun } from '@verdict/sdk';
import { createStyle, safe, table, type Style } from './output.js';
import { countsSummary, resultOutcome, type Labels } from './views.js';

export const CHANGE_TITLES: Record<ChangeKind, string> = {
  new_failure: 'New failures',
  fixed: 'Fixed',
  still_failing: 'Still failing',
  added: 'Added',
  removed: 'Removed',
  not_run: 'Not run',
  still_passing: 'Still passing',
};

/** Every change of a comparison, through every page (1,000 per request). */
export async function fullComparison(client: Verdict, runId: string, base?: string): Promise<{ comparison: RunComparison; changes: RunChange[] }> {
  const first = await client.workflows.evals.runs.compare(runId, { base, limit: 1000 });
  const changes = [...first.changes];
  for (let after = first.list_metadata.after; after; ) {
    const page = await client.workflows.evals.runs.compare(runId, { base: first.base_run_id ?? undefined, limit: 1000, after });
    changes.push(...page.changes);
    after = page.list_metadata.after;
  }
  return { comparison: first, changes };
}

/** `block_config, draft`, or why nothing is listed. */
export function changedText(change: RunChange): string {
  if (change.changed.length) return change.changed.join(', ');
  if (change.flaky) return 'nothing: flaky';
  return '-';
}

const orderedKinds = [...CHANGE_KINDS].sort((a, b) => CHANGE_ORDER[a] - CHANGE_ORDER[b]);

/** One table per kind of change, in the order that needs attention; passes are only counted unless `all`. */
export function comparisonReport(comparison: RunComparison, changes: RunChange[], labels: Labels, style: Style, all = false): string {
  if (!comparison.base_run_id) return `Run ${safe(comparison.run_id)} has no earlier finished run of its workflow to compare with.\n`;
  const summary = comparison.summary;
  const lines = [
    `Run ${style.bold(safe(comparison.run_id))} against ${safe(comparison.base_run_id)}: ${style.red(`${summary.new_failures} new failures`)}, ${style.green(`${summary.fixed} fixed`)}, ${summary.still_failing} still failing, ${summary.still_passing} still passing, ${summary.added} added, ${summary.removed} removed${summary.not_run ? `, ${summary.not_run} not run` : ''}${summary.flaky ? `, ${style.yellow(`${summary.flaky} flaky`)}` : ''}`,
  ];
  for (const kind of orderedKinds) {
    const group = changes.filter((change) => change.change === kind);
    if (!group.length) continue;
    if (kind === 'still_passing' && !all) {
      lines.push('', `${CHANGE_TITLES[kind]}: ${group.length} (add --all to list them)`);
      continue;
    }
    const rows = group.map((change) => [
      safe(change.test_name ?? change.test_id),
      safe(labels.blocks.get(change.block_id) ?? change.block_id),
      safe(change.before ?? '-'),
      safe(change.after ?? '-'),
      changedText(change),
    ]);
    lines.push('', style.bold(`${CHANGE_TITLES[kind]} (${group.length})`), table(['TEST', 'BLOCK', 'BEFORE', 'AFTER', 'CHANGED'], rows, style).trimEnd());
  }
  return `${lines.join('\n')}\n`;
}

const PLAIN = createStyle({ isTTY: false, write: () => true }, {});

/** Markdown text: no HTML, no links or emphasis smuggled in by a test name (GFM ignores `_` inside words, so ids stay readable). */
const md = (text: string) => safe(text).replace(/[\\`*[\]<>|#]|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])/g, (character) => `\\${character}`);

export interface SummaryInput {
  run: WorkflowTestRun;
  results: WorkflowTestResult[];
  labels: Labels;
  comparison: RunComparison | null;
  changes: RunChange[];
  dashboardUrl: string;
}

/** A Markdown summary of a finished run for CI step summaries: counts, new failures first, links to the dashboard. */
export function markdownSummary({ run, results, labels, comparison, changes, dashboardUrl }: SummaryInput): string {
  const lines = [`## Verdict run [${md(run.id)}](${dashboardUrl}/runs/${encodeURIComponent(run.id)}): ${md(run.lifecycle.status)}`, '', countsSummary(run, PLAIN)];
  const resultLink = (resultId: string | null, text: string) => (resultId ? `[${md(text)}](${dashboardUrl}/results/${encodeURIComponent(resultId)})` : md(text));
  const testName = (testId: string) => labels.tests.get(testId) ?? testId;
  if (comparison?.base_run_id) {
    const { summary } = comparison;
    lines.push('', `Against ${md(comparison.base_run_id)}: **${summary.new_failures} new failures**, ${summary.fixed} fixed, ${summary.still_failing} still failing, ${summary.flaky} flaky.`);
    for (const kind of ['new_failure', 'fixed'] as const) {
      const group = changes.filter((change) => change.change === kind);
      if (!group.length) continue;
      lines.push('', `### ${CHANGE_TITLES[kind]}`, '', '| Test | Before | After | Changed |', '|---|---|---|---|');
      for (const change of group) lines.push(`| ${resultLink(change.after_result_id, change.test_name ?? change.test_id)} | ${md(change.before ?? '-')} | ${md(change.after ?? '-')} | ${md(changedText(change))} |`);
    }
  }
  const newFailures = new Set(changes.filter((change) => change.change === 'new_failure').map((change) => change.test_id));
  const otherFailures = results.filter((result) => ['failed', 'blocked', 'error'].includes(resultOutcome(result)) && !newFailures.has(result.test_id));
  if (otherFailures.length) {
    lines.push('', newFailures.size ? '### Other failures' : '### Failures', '', '| Test | Outcome | Why |', '|---|---|---|');
    for (const result of otherFailures) {
      const why = result.assertion_result?.failure?.message ?? (result.lifecycle.status === 'error' ? result.lifecycle.message : '');
      lines.push(`| ${resultLink(result.id, testName(result.test_id))} | ${md(resultOutcome(result))} | ${md(String(why).slice(0, 200))} |`);
    }
  }
  return `${lines.join('\n')}\n`;
}
