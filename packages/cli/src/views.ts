/** Human renderings of the API's objects. Every server-provided string goes through safe(). */
import type { Workflow, WorkflowTest, WorkflowTestResult, WorkflowTestRun } from '@verdict/sdk';
import { fields, formatDuration, formatTimestamp, safe, table, type Style } from './output.js';

export type ShownStatus = 'passed' | 'failed' | 'blocked' | 'error' | 'cancelled' | 'pending' | 'queued' | 'running' | 'completed';

/** The verdict once a row completed, else its lifecycle status. */
export function resultOutcome(result: WorkflowTestResult): ShownStatus {
  return result.lifecycle.status === 'completed' ? (result.verdict ?? 'completed') : result.lifecycle.status;
}

export function outcomeLabel(outcome: string, style: Style): string {
  switch (outcome) {
    case 'passed':
    case 'completed':
      return style.green(outcome);
    case 'failed':
    case 'error':
      return style.red(outcome);
    case 'blocked':
    case 'cancelled':
      return style.yellow(outcome);
    default:
      return style.cyan(outcome);
  }
}

/** Why a row did not pass, in one line; null when it passed or is still live. */
export function failureReason(result: WorkflowTestResult): string | null {
  const failure = result.assertion_result?.failure;
  if (failure) return `${failure.code}: ${failure.message}`;
  if (result.error?.message) return result.error.error_code ? `${result.error.error_code}: ${result.error.message}` : result.error.message;
  if (result.lifecycle.status === 'error') return result.lifecycle.message;
  if (result.lifecycle.status === 'cancelled' && result.lifecycle.reason) return `cancelled: ${result.lifecycle.reason}`;
  return null;
}

/** A value as compact JSON (`undefined` for a missing value), cut to `max` characters. */
export function compactJson(value: unknown, max = Infinity): string {
  const text = value === undefined ? 'undefined' : (JSON.stringify(value) ?? String(value));
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

const truncate = (text: string, max: number) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

/** What the CLI shows instead of ids, read from one workflow: test names, what each test checks, block labels. */
export interface Labels {
  tests: ReadonlyMap<string, string>;
  checks: ReadonlyMap<string, string>;
  blocks: ReadonlyMap<string, string>;
}

export const NO_LABELS: Labels = { tests: new Map(), checks: new Map(), blocks: new Map() };

const testLabel = (testId: string, labels: Labels) => safe(labels.tests.get(testId) ?? testId);
const blockLabel = (blockId: string, labels: Labels) => safe(labels.blocks.get(blockId) ?? blockId);

/** Failures first (what needs reading), then what did not run, then passes. */
const ATTENTION: Record<ShownStatus, number> = { failed: 0, blocked: 1, error: 2, cancelled: 3, running: 4, queued: 5, pending: 6, completed: 7, passed: 8 };

export function byAttention(results: WorkflowTestResult[]): WorkflowTestResult[] {
  return results
    .map((result, index) => ({ result, index }))
    .sort((a, b) => ATTENTION[resultOutcome(a.result)] - ATTENTION[resultOutcome(b.result)] || a.index - b.index)
    .map(({ result }) => result);
}

export function workflowsTable(workflows: Workflow[], style: Style): string {
  return table(
    ['ID', 'NAME', 'PUBLISHED', 'UPDATED'],
    workflows.map((workflow) => [safe(workflow.id), safe(workflow.name), safe(workflow.published?.version_id ?? '-'), formatTimestamp(workflow.updated_at)]),
    style,
  );
}

export function workflowDetails(workflow: Workflow, style: Style): string {
  return fields(
    [
      ['Workflow', style.bold(safe(workflow.id))],
      ['Name', safe(workflow.name)],
      ['Description', safe(workflow.description) || '-'],
      ['Published', workflow.published?.version_id ? `${safe(workflow.published.version_id)} at ${formatTimestamp(workflow.published.published_at)}` : 'never'],
      ['Created', formatTimestamp(workflow.created_at)],
      ['Updated', formatTimestamp(workflow.updated_at)],
    ],
    style,
  );
}

export function assertionSummary(test: WorkflowTest): string {
  if (!test.assertion) return '-';
  const { target, condition } = test.assertion;
  const path = target.path ? `.${target.path}` : '';
  return safe(`${condition.kind} on ${target.output_handle_id}${path}`);
}

function lastRun(test: WorkflowTest, style: Style): string {
  const summary = test.latest_run_summary;
  if (!summary) return style.dim('never run');
  return outcomeLabel(summary.outcome ?? summary.status, style);
}

export function testsTable(tests: WorkflowTest[], labels: Labels, style: Style): string {
  return table(
    ['ID', 'NAME', 'BLOCK', 'ASSERTION', 'LAST RUN'],
    tests.map((test) => [safe(test.id), safe(test.name ?? '-'), blockLabel(test.target.block_id, labels), assertionSummary(test), lastRun(test, style)]),
    style,
  );
}

export function testDetails(test: WorkflowTest, style: Style): string {
  const summary = test.latest_run_summary;
  return fields(
    [
      ['Test', style.bold(safe(test.id))],
      ['Name', safe(test.name ?? '-')],
      ['Workflow', safe(test.workflow_id)],
      ['Block', safe(test.target.block_id)],
      ['Source', test.source.type === 'run_step' ? safe(`run_step ${test.source.run_id}${test.source.step_id ? ` / ${test.source.step_id}` : ''}`) : 'manual'],
      ['Assertion', assertionSummary(test)],
      ['Condition', safe(compactJson(test.assertion?.condition ?? null, 200))],
      ['Validation', safe(test.validation_status)],
      ['Last run', summary ? `${lastRun(test, style)} (${safe(summary.run_id)}, ${formatTimestamp(summary.completed_at)})` : style.dim('never run')],
      ['Updated', formatTimestamp(test.updated_at)],
    ],
    style,
  );
}

function scopeOf(run: WorkflowTestRun): string {
  if (run.test_id) return safe(`test ${run.test_id}`);
  if (run.target) return safe(`block ${run.target.block_id}`);
  return 'workflow';
}

function statusDetail(run: WorkflowTestRun, style: Style): string {
  const status = outcomeLabel(run.lifecycle.status, style);
  if (run.lifecycle.status === 'error') return `${status} (${safe(run.lifecycle.message)})`;
  if (run.lifecycle.status === 'cancelled' && run.lifecycle.reason) return `${status} (${safe(run.lifecycle.reason)})`;
  return status;
}

/** `10 passed, 1 failed, 1 blocked of 12` plus what is not finished yet. */
export function countsSummary(run: WorkflowTestRun, style: Style): string {
  const { outcome, lifecycle_counts: lifecycle } = run.counts;
  const parts = [style.green(`${outcome.passed} passed`), style.red(`${outcome.failed} failed`), style.yellow(`${outcome.blocked} blocked`)];
  if (lifecycle.error) parts.push(style.red(`${lifecycle.error} errored`));
  if (lifecycle.cancelled) parts.push(`${lifecycle.cancelled} cancelled`);
  if (lifecycle.running) parts.push(`${lifecycle.running} running`);
  const waiting = lifecycle.pending + lifecycle.queued;
  if (waiting) parts.push(`${waiting} waiting`);
  return `${parts.join(', ')} of ${run.total_tests}`;
}

export function runSummary(run: WorkflowTestRun, style: Style): string {
  const duration = run.timing.duration_ms === null ? '' : ` in ${formatDuration(run.timing.duration_ms)}`;
  return `Run ${style.bold(safe(run.id))} ${statusDetail(run, style)}: ${countsSummary(run, style)}${duration}`;
}

export function runDetails(run: WorkflowTestRun, style: Style): string {
  return fields(
    [
      ['Run', style.bold(safe(run.id))],
      ['Workflow', `${safe(run.workflow_id)} (${safe(run.workflow_version_id)})`],
      ['Status', statusDetail(run, style)],
      ['Scope', scopeOf(run)],
      ['Tests', countsSummary(run, style)],
      ['Trigger', safe(run.trigger.type)],
      ['Created', formatTimestamp(run.timing.created_at)],
      ['Started', formatTimestamp(run.timing.started_at)],
      ['Completed', formatTimestamp(run.timing.completed_at)],
      ['Duration', formatDuration(run.timing.duration_ms)],
    ],
    style,
  );
}

export function runsTable(runs: WorkflowTestRun[], style: Style): string {
  return table(
    ['ID', 'WORKFLOW', 'STATUS', 'PASSED', 'FAILED', 'BLOCKED', 'TOTAL', 'CREATED', 'DURATION'],
    runs.map((run) => [
      safe(run.id),
      safe(run.workflow_id),
      outcomeLabel(run.lifecycle.status, style),
      String(run.counts.outcome.passed),
      String(run.counts.outcome.failed),
      String(run.counts.outcome.blocked),
      String(run.total_tests),
      formatTimestamp(run.timing.created_at),
      formatDuration(run.timing.duration_ms),
    ]),
    style,
  );
}

/**
 * The block's execution time (Verdict's `duration_ms`); from a server that does not report it,
 * the row's start to end, which includes any wait for a thread.
 */
export function executionMs(result: WorkflowTestResult): number | null {
  return typeof result.duration_ms === 'number' ? result.duration_ms : result.timing.duration_ms;
}

/**
 * Results, failures first: what each test checks, and for a row with an assertion result what was
 * expected and what came out, so a failure reads without a second command.
 */
export function resultsTable(results: WorkflowTestResult[], labels: Labels, style: Style): string {
  const value = (result: WorkflowTestResult, key: 'expected_value' | 'actual_value') =>
    result.assertion_result && resultOutcome(result) !== 'passed' ? truncate(safe(compactJson(result.assertion_result[key])), 40) : '';
  return table(
    ['RESULT ID', 'TEST', 'BLOCK', 'OUTCOME', 'TIME', 'QUEUED', 'CHECK', 'EXPECTED', 'ACTUAL', 'DETAIL'],
    byAttention(results).map((result) => [
      safe(result.id),
      testLabel(result.test_id, labels),
      blockLabel(result.block_id, labels),
      outcomeLabel(resultOutcome(result), style),
      formatDuration(executionMs(result)),
      formatDuration(result.queued_ms),
      labels.checks.get(result.test_id) ?? safe(result.assertion_result?.condition_kind ?? '-'),
      value(result, 'expected_value'),
      value(result, 'actual_value'),
      truncate(safe(failureReason(result) ?? ''), 100),
    ]),
    style,
  );
}

export function resultDetails(result: WorkflowTestResult, labels: Labels, style: Style): string {
  const assertion = result.assertion_result;
  const pairs: Array<[string, string]> = [
    ['Result', style.bold(safe(result.id))],
    ['Test', `${testLabel(result.test_id, labels)} (${safe(result.test_id)})`],
    ['Run', safe(result.run_id)],
    ['Block', `${blockLabel(result.block_id, labels)} (${safe(result.block_id)}, ${safe(result.block_type)})`],
    ['Outcome', outcomeLabel(resultOutcome(result), style)],
    ['Duration', formatDuration(executionMs(result))],
    ['Queued', formatDuration(result.queued_ms)],
  ];
  const reason = failureReason(result);
  if (reason) pairs.push(['Reason', safe(reason)]);
  if (assertion) {
    pairs.push(['Condition', safe(assertion.condition_kind)], ['Expected', safe(compactJson(assertion.expected_value, 500))], ['Actual', safe(compactJson(assertion.actual_value, 500))]);
    if (assertion.score !== null) pairs.push(['Score', `${assertion.score} (threshold ${assertion.threshold ?? '-'})`]);
  }
  return fields(pairs, style);
}
