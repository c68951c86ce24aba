import { LIFECYCLE_STATUSES } from '@verdict/core';
import type { FastifyInstance } from 'fastify';
import { isAnswerable } from '../../errors/index.js';
import { defaultBaseRunId } from '../../services/history.js';
import { startedResults } from '../../services/test-results.js';
import { findWorkflow, workflowNames } from '../../services/workflows.js';
import { answerForm, formField, sendPage, sessionOf, setFlash } from '../context.js';
import type { Flash } from '../layout.js';
import { parseResultFilter, storeFilter } from '../result-filter.js';
import { comparisonOfFinishedRun } from '../run-comparison.js';
import { runListView, runView } from '../views/runs.js';

const RUNS_PER_PAGE = 50;
/** Rows rendered with the page; the event stream sends the rest as they change. */
const RESULT_ROWS_SHOWN = 1000;
const CANCEL_REASON = 'Cancelled from the dashboard';
function runListUrl(filters: { workflowId: string | null; status: string | null }, after: string): string {
  const query = new URLSearchParams({ ...(filters.workflowId ? { workflow_id: filters.workflowId } : {}), ...(filters.status ? { status: filters.status } : {}), after });
  return `/runs?${query}`;
}

export async function runPages(app: FastifyInstance): Promise<void> {
  const { services } = app;
  const { runs } = services;

  app.get('/runs', async (request, reply) => {
    const { organizationId } = sessionOf(request);
    const workflowId = formField(request.query, 'workflow_id') || null;
    const requestedStatus = formField(request.query, 'status');
    const status = (LIFECYCLE_STATUSES as readonly string[]).includes(requestedStatus) ? requestedStatus : null;
    const filters = { workflowId, status };
    const [page, workflowChoices] = await Promise.all([
      runs.list(organizationId, { workflow_id: workflowId ?? undefined, status: status ?? undefined, sortBy: 'created_at' }, { limit: RUNS_PER_PAGE, order: 'desc', after: formField(request.query, 'after') || undefined }),
      workflowNames(services, organizationId),
    ]);
    const names = new Map(workflowChoices.map((workflow) => [workflow.id, workflow.name]));
    const nextPage = page.list_metadata.after ? runListUrl(filters, page.list_metadata.after) : null;
    const main = runListView({ runs: page.data, workflowNames: names, workflowChoices, filters, statuses: LIFECYCLE_STATUSES, nextPage });
    return sendPage(request, reply, { title: 'Runs', section: 'runs', main });
  });

  app.get<{ Params: { run_id: string } }>('/runs/:run_id', async (request, reply) => {
    const session = sessionOf(request);
    const run = await runs.get(session.organizationId, request.params.run_id);
    const filter = parseResultFilter(request.query);
    const baseRunId = await defaultBaseRunId(services, session.organizationId, run.id);
    const [workflow, results, comparison] = await Promise.all([
      findWorkflow(services, session.organizationId, run.workflow_id),
      startedResults(services, run.id, 0, RESULT_ROWS_SHOWN, storeFilter(filter, baseRunId)),
      comparisonOfFinishedRun(services, session.organizationId, run, baseRunId),
    ]);
    const main = runView({ run, workflowName: workflow?.name ?? run.workflow_id, results, csrfToken: session.csrfToken, filter, hasBase: baseRunId !== null, comparison });
    return sendPage(request, reply, { title: `Run ${run.id}`, section: 'runs', main, scripts: ['run-live.js'] });
  });

  /** With htmx the answer is a message for the page (the event stream shows the new status); without, a redirect. */
  app.post<{ Params: { run_id: string } }>('/runs/:run_id/cancel', async (request, reply) => {
    const session = sessionOf(request);
    const runId = request.params.run_id;
    let flash: Flash = { kind: 'notice', message: 'Run cancelled.' };
    try {
      await runs.cancel(session.organizationId, runId, CANCEL_REASON);
    } catch (error) {
      if (!isAnswerable(error)) throw error;
      flash = { kind: 'error', message: error.message };
    }
    return answerForm(request, reply, flash, `/runs/${encodeURIComponent(runId)}`);
  });

  /**
   * "Re-run failed" and "Re-run all": a run of the same tests (or only the failed, blocked and
   * errored ones) against the current draft, created as the API's `restart_of` creates it.
   */
  app.post<{ Params: { run_id: string } }>('/runs/:run_id/rerun', async (request, reply) => {
    const session = sessionOf(request);
    const runId = request.params.run_id;
    try {
      const parent = await runs.get(session.organizationId, runId);
      const onlyFailed = formField(request.body, 'only_failed') === 'true';
      const run = await runs.create(
        session.organizationId,
        { type: 'manual', user_id: session.apiKeyId },
        { workflow_id: parent.workflow_id, restart_of: parent.id, ...(onlyFailed ? { only_failed: true } : {}) },
      );
      return reply.redirect(`/runs/${encodeURIComponent(run.id)}`, 303);
    } catch (error) {
      if (!isAnswerable(error) || error.statusCode === 404) throw error;
      setFlash(request, reply, { kind: 'error', message: error.message });
      return reply.redirect(`/runs/${encodeURIComponent(runId)}`, 303);
    }
  });
}
