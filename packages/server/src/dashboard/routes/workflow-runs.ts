import { CreateWorkflowTestRequest, TESTABLE_BLOCK_TYPES, type WorkflowRun, type WorkflowRunStep } from '@verdict/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isAnswerable } from '../../errors/index.js';
import { createTest } from '../../services/tests.js';
import { findWorkflow } from '../../services/workflows.js';
import { answerForm, formField, sendPage, sessionOf, setFlash } from '../context.js';
import type { Flash } from '../layout.js';
import { workflowRunPageParts } from '../workflow-run-stream.js';
import { canSaveAsTest, CONDITIONS_WITHOUT_EXPECTED, prefilledFields, SAVE_AS_TEST_CONDITIONS, saveAsTestView, type SaveAsTestFields } from '../views/save-as-test.js';
import { workflowRunHref, workflowRunView } from '../views/workflow-runs.js';

type RunRequest = FastifyRequest<{ Params: { run_id: string } }>;

function fieldsOf(body: unknown): SaveAsTestFields {
  return {
    name: formField(body, 'name').trim(),
    outputHandle: formField(body, 'output_handle_id').trim(),
    path: formField(body, 'path').trim(),
    condition: formField(body, 'condition_kind'),
    expected: formField(body, 'expected'),
  };
}

/** The API's create-test request for the form's fields, or the problems that keep the form from making one. */
function createTestRequest(run: WorkflowRun, step: WorkflowRunStep, fields: SaveAsTestFields): { request: CreateWorkflowTestRequest } | { problems: string[] } {
  if (!(SAVE_AS_TEST_CONDITIONS as readonly string[]).includes(fields.condition)) return { problems: ['Choose a condition from the list.'] };
  let condition: Record<string, unknown> = { kind: fields.condition };
  if (!CONDITIONS_WITHOUT_EXPECTED.includes(fields.condition)) {
    try {
      condition = { ...condition, expected: JSON.parse(fields.expected) as unknown };
    } catch {
      return { problems: ['The expected value is not JSON: write text in double quotes ("approved"), numbers and objects as they are.'] };
    }
  }
  const parsed = CreateWorkflowTestRequest.safeParse({
    workflow_id: run.workflow_id,
    target: { type: 'block', block_id: step.block_id },
    source: { type: 'run_step', run_id: run.id, step_id: step.step_id },
    assertion: { target: { output_handle_id: fields.outputHandle, path: fields.path || null }, condition },
    name: fields.name || null,
  });
  if (!parsed.success) return { problems: parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`) };
  return { request: parsed.data };
}

/** The problems an answerable error names: each issue's message when it lists them, else its message. */
function problemsOf(error: { message: string; details?: unknown }): string[] {
  const issues = (error.details as { issues?: { message: string }[] } | undefined)?.issues;
  return issues && issues.length > 0 ? issues.map((issue) => issue.message) : [error.message];
}

/** A workflow run's page, its Cancel button, and "Save as test" on its steps (a test created as the API creates it). */
export async function workflowRunPages(app: FastifyInstance): Promise<void> {
  const { services } = app;
  const { workflowRuns } = services;

  app.get<{ Params: { run_id: string } }>('/workflow-runs/:run_id', async (request, reply) => {
    const session = sessionOf(request);
    const run = await workflowRuns.get(session.organizationId, request.params.run_id);
    const selectedStepId = formField(request.query, 'step') || null;
    const [workflow, parts] = await Promise.all([
      findWorkflow(services, session.organizationId, run.workflow_id),
      workflowRunPageParts(services, session.organizationId, run, selectedStepId),
    ]);
    const main = workflowRunView({ run, workflowName: workflow?.name ?? run.workflow_id, ...parts, csrfToken: session.csrfToken });
    return sendPage(request, reply, { title: `Workflow run ${run.id}`, section: 'workflows', main, scripts: ['run-live.js'] });
  });

  /** With htmx the answer is a message for the page (the event stream shows the new status); without, a redirect. */
  app.post<{ Params: { run_id: string } }>('/workflow-runs/:run_id/cancel', async (request, reply) => {
    const session = sessionOf(request);
    const runId = request.params.run_id;
    let flash: Flash = { kind: 'notice', message: 'Workflow run cancelled.' };
    try {
      await workflowRuns.cancel(session.organizationId, runId, null);
    } catch (error) {
      if (!isAnswerable(error)) throw error;
      flash = { kind: 'error', message: error.message };
    }
    return answerForm(request, reply, flash, workflowRunHref(runId));
  });

  async function savableStep(request: RunRequest, stepId: string): Promise<{ run: WorkflowRun; step: WorkflowRunStep }> {
    const { organizationId } = sessionOf(request);
    const run = await workflowRuns.get(organizationId, request.params.run_id);
    const step = await workflowRuns.getStep(organizationId, stepId, run.id);
    return { run, step };
  }

  function sendForm(request: RunRequest, reply: FastifyReply, page: Omit<Parameters<typeof saveAsTestView>[0], 'csrfToken'>, status = 200) {
    const main = saveAsTestView({ ...page, csrfToken: sessionOf(request).csrfToken });
    return sendPage(request, reply, { title: 'Save as test', section: 'workflows', main }, status);
  }

  app.get<{ Params: { run_id: string } }>('/workflow-runs/:run_id/save-as-test', async (request, reply) => {
    const { run, step } = await savableStep(request, formField(request.query, 'step'));
    const { fields, expectedTooLong } = prefilledFields(run, step);
    const problems = canSaveAsTest(step) ? [] : [`A ${step.block_type} step that is ${step.lifecycle.status} cannot become a test: tests replay completed steps of ${TESTABLE_BLOCK_TYPES.join(', ')} blocks.`];
    return sendForm(request, reply, { run, step, fields, problems, expectedTooLong });
  });

  app.post<{ Params: { run_id: string } }>('/workflow-runs/:run_id/save-as-test', async (request, reply) => {
    const { run, step } = await savableStep(request, formField(request.body, 'step_id'));
    const fields = fieldsOf(request.body);
    const built = createTestRequest(run, step, fields);
    if ('problems' in built) return sendForm(request, reply, { run, step, fields, problems: built.problems, expectedTooLong: false }, 422);
    try {
      const test = await createTest(services, sessionOf(request).organizationId, built.request);
      setFlash(request, reply, { kind: 'notice', message: `Test saved from step ${step.step_id} of workflow run ${run.id}.` });
      return reply.redirect(`/tests/${encodeURIComponent(test.id)}`, 303);
    } catch (error) {
      if (!isAnswerable(error) || error.statusCode >= 500) throw error;
      return sendForm(request, reply, { run, step, fields, problems: problemsOf(error), expectedTooLong: false }, error.statusCode);
    }
  });
}
