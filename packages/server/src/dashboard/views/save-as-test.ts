import { TESTABLE_BLOCK_TYPES, type WorkflowRun, type WorkflowRunStep } from '@verdict/core';
import { html, type SafeHtml } from '../html.js';
import { prettyJson } from '../json-diff.js';
import { stepHref } from './run-graph.js';
import { workflowRunHref } from './workflow-runs.js';

/** The conditions the form offers: those that compare an output with one value (or none); the API takes every kind. */
export const SAVE_AS_TEST_CONDITIONS = ['equals', 'not_equals', 'contains', 'not_contains', 'exists', 'not_exists'] as const;
export type SaveAsTestCondition = (typeof SAVE_AS_TEST_CONDITIONS)[number];
export const CONDITIONS_WITHOUT_EXPECTED: readonly string[] = ['exists', 'not_exists'];

/** The form posts at most 16 KiB; an output longer than this is not prefilled as the expected value. */
export const EXPECTED_PREFILL_CHARS = 8_000;
const NAME_MAX_CHARS = 300;

/** A test can replay a step that completed, of a block type tests run. */
export function canSaveAsTest(step: Pick<WorkflowRunStep, 'block_type' | 'lifecycle'>): boolean {
  return step.lifecycle.status === 'completed' && (TESTABLE_BLOCK_TYPES as readonly string[]).includes(step.block_type);
}

export interface SaveAsTestFields {
  name: string;
  outputHandle: string;
  path: string;
  condition: string;
  /** JSON text. */
  expected: string;
}

/** The step's JSON output handles, which a test's assertion can read. */
export function jsonOutputHandles(step: WorkflowRunStep): string[] {
  return Object.entries(step.handle_outputs)
    .filter(([, payload]) => payload.type === 'json')
    .map(([handle]) => handle);
}

/**
 * The form as a step prefills it: a test that the step's own output passes (its first JSON
 * output handle, whole, compared with `equals`), unless that output is too long to post back.
 */
export function prefilledFields(run: WorkflowRun, step: WorkflowRunStep): { fields: SaveAsTestFields; expectedTooLong: boolean } {
  const outputHandle = jsonOutputHandles(step)[0] ?? '';
  const output = step.handle_outputs[outputHandle];
  const expected = output?.type === 'json' ? prettyJson(output.data) : '';
  const expectedTooLong = expected.length > EXPECTED_PREFILL_CHARS;
  const name = `${step.block_label || step.block_id} from run ${run.id}`.slice(0, NAME_MAX_CHARS);
  return { fields: { name, outputHandle, path: '', condition: 'equals', expected: expectedTooLong ? '' : expected }, expectedTooLong };
}

export interface SaveAsTestPage {
  run: WorkflowRun;
  step: WorkflowRunStep;
  fields: SaveAsTestFields;
  /** Why the last attempt was refused, one message per problem. */
  problems: string[];
  expectedTooLong: boolean;
  csrfToken: string;
}

function option(value: string, selected: string): SafeHtml {
  return html`<option value="${value}" ${value === selected ? 'selected' : ''}>${value}</option>`;
}

/** The assertion form for a test whose inputs are those the step recorded (`source: run_step`). */
export function saveAsTestView({ run, step, fields, problems, expectedTooLong, csrfToken }: SaveAsTestPage): SafeHtml {
  const handles = jsonOutputHandles(step);
  const errors =
    problems.length > 0
      ? html`<div class="flash flash-error" role="alert"><p>The test was not saved:</p><ul>${problems.map((problem) => html`<li>${problem}</li>`)}</ul></div>`
      : '';
  const iteration = step.loop_containers.length > 0 ? html`, iteration ${step.loop_containers.map((level) => level.iteration).join(' › ')}` : '';
  return html`<nav class="breadcrumbs" aria-label="Breadcrumbs"><a href="/workflows/${run.workflow_id}">Workflow</a> / <a href="${workflowRunHref(run.id)}">workflow run <code>${run.id}</code></a> / save as test</nav>
  <h1>Save step ${step.block_label || step.block_id} as a test</h1>
  <p class="muted">The test replays the inputs step <a href="${stepHref(run.id, step.step_id)}"><code>${step.step_id}</code></a>${iteration} received, through block <code>${step.block_id}</code>, and checks its output.</p>
  ${errors}
  <form method="post" action="${workflowRunHref(run.id)}/save-as-test" class="panel assertion-form">
    <input type="hidden" name="_csrf" value="${csrfToken}">
    <input type="hidden" name="step_id" value="${step.step_id}">
    <label for="test-name">Test name</label>
    <input type="text" id="test-name" name="name" value="${fields.name}" maxlength="${NAME_MAX_CHARS}">
    <label for="test-handle">Output handle</label>
    ${
      handles.length > 0
        ? html`<select id="test-handle" name="output_handle_id">${handles.map((handle) => option(handle, fields.outputHandle))}</select>`
        : html`<input type="text" id="test-handle" name="output_handle_id" value="${fields.outputHandle}" required>`
    }
    <label for="test-path">Path in the output <span class="muted small">(optional, e.g. <code>total</code> or <code>lines.0.amount</code>)</span></label>
    <input type="text" id="test-path" name="path" value="${fields.path}" maxlength="1000">
    <label for="test-condition">Condition</label>
    <select id="test-condition" name="condition_kind">${SAVE_AS_TEST_CONDITIONS.map((kind) => option(kind, fields.condition))}</select>
    <label for="test-expected">Expected value <span class="muted small">(JSON; not used by exists and not_exists)</span></label>
    ${expectedTooLong ? html`<p class="flash flash-notice" role="note">The step's output is too long to prefill; enter the value to expect, or use a path.</p>` : ''}
    <textarea id="test-expected" name="expected" rows="12" spellcheck="false">${fields.expected}</textarea>
    <div class="actions"><button type="submit">Save test</button> <a href="${stepHref(run.id, step.step_id)}">Back to the run</a></div>
  </form>`;
}
