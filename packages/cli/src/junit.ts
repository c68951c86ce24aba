/**
 * JUnit XML for CI systems: one <testsuite> per run, one <testcase> per result row
 * (classname = block id). failed/blocked → <failure>, errored rows → <error>, cancelled or
 * never-run rows → <skipped>.
 */
import type { WorkflowTestResult, WorkflowTestRun } from '@verdict/sdk';
import { compactJson, executionMs, failureReason, resultOutcome } from './views.js';

/** Characters XML 1.0 cannot carry at all (even escaped) are dropped. */
const NOT_XML = /[^\t\n\r\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

export function xmlEscape(value: unknown): string {
  return String(value ?? '')
    .replace(NOT_XML, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

/** Attribute values also keep their line breaks and tabs, which parsers would otherwise fold into spaces. */
function attribute(value: unknown): string {
  return xmlEscape(value).replace(/\n/g, '&#10;').replace(/\r/g, '&#13;').replace(/\t/g, '&#9;');
}

function attributes(pairs: Record<string, unknown>): string {
  return Object.entries(pairs)
    .map(([name, value]) => ` ${name}="${attribute(value)}"`)
    .join('');
}

const seconds = (ms: number | null | undefined) => ((ms ?? 0) / 1000).toFixed(3);

/** The body of a <failure>: what was compared and why it did not pass. */
function failureBody(result: WorkflowTestResult): string {
  const assertion = result.assertion_result;
  const lines = [`verdict: ${resultOutcome(result)}`];
  if (assertion) {
    lines.push(`assertion: ${assertion.assertion_label ?? assertion.assertion_id} (${assertion.condition_kind})`);
    lines.push(`expected: ${compactJson(assertion.expected_value)}`, `actual: ${compactJson(assertion.actual_value)}`);
    if (assertion.score !== null) lines.push(`score: ${assertion.score} (threshold ${assertion.threshold ?? '-'})`);
  }
  const reason = failureReason(result);
  if (reason) lines.push(`reason: ${reason}`);
  return lines.join('\n');
}

function outcomeElement(result: WorkflowTestResult): string {
  const outcome = resultOutcome(result);
  const message = failureReason(result) ?? outcome;
  switch (outcome) {
    case 'passed':
      return '';
    case 'failed':
    case 'blocked':
      return `\n      <failure${attributes({ message, type: 'verdict' })}>${xmlEscape(failureBody(result))}</failure>`;
    case 'error':
      return `\n      <error${attributes({ message, type: 'verdict' })}>${xmlEscape(failureBody(result))}</error>`;
    default:
      return `\n      <skipped${attributes({ message: outcome === 'cancelled' ? message : `not run (${outcome})` })}/>`;
  }
}

function testcase(result: WorkflowTestResult, testNames: ReadonlyMap<string, string>): string {
  const head = `    <testcase${attributes({ name: testNames.get(result.test_id) ?? result.test_id, classname: result.block_id, time: seconds(executionMs(result)) })}>`;
  const properties = `\n      <properties><property${attributes({ name: 'test_id', value: result.test_id })}/><property${attributes({ name: 'result_id', value: result.id })}/></properties>`;
  return `${head}${properties}${outcomeElement(result)}\n    </testcase>`;
}

export interface JUnitReport {
  run: WorkflowTestRun;
  results: WorkflowTestResult[];
  /** Test names by test id; a test without a name is reported by its id. */
  testNames: ReadonlyMap<string, string>;
  /** The run's page on the dashboard, when known. */
  dashboardUrl?: string;
}

export function renderJUnit({ run, results, testNames, dashboardUrl }: JUnitReport): string {
  const count = (...outcomes: string[]) => results.filter((result) => outcomes.includes(resultOutcome(result))).length;
  const totals = {
    tests: results.length,
    failures: count('failed', 'blocked'),
    errors: count('error'),
    skipped: results.length - count('passed', 'failed', 'blocked', 'error'),
    time: seconds(run.timing.duration_ms),
  };
  const suite = {
    name: `${run.workflow_id} ${run.id}`,
    ...totals,
    timestamp: run.timing.created_at ?? '',
  };
  const runProperties = {
    run_id: run.id,
    workflow_id: run.workflow_id,
    workflow_version_id: run.workflow_version_id,
    run_status: run.lifecycle.status,
    ...(dashboardUrl ? { dashboard_url: dashboardUrl } : {}),
  };
  const properties = Object.entries(runProperties)
    .map(([name, value]) => `<property${attributes({ name, value })}/>`)
    .join('');
  const runError = run.lifecycle.status === 'error' ? [`    <system-err>${xmlEscape(run.lifecycle.message)}</system-err>`] : [];
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites${attributes({ name: 'verdict', ...totals })}>`,
    `  <testsuite${attributes(suite)}>`,
    `    <properties>${properties}</properties>`,
    ...results.map((result) => testcase(result, testNames)),
    ...runError,
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}
