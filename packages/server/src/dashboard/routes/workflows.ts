import type { FastifyInstance } from 'fastify';
import { isAnswerable } from '../../errors/index.js';
import { listDraftBlocks } from '../../services/graph.js';
import { testCountsByWorkflow, testsWithLatestResult } from '../../services/tests.js';
import { getWorkflow, listWorkflowsPage } from '../../services/workflows.js';
import { formField, sendPage, sessionOf, setFlash } from '../context.js';
import { chartPoints } from '../views/pass-rate-chart.js';
import { workflowListView, workflowView } from '../views/workflows.js';

const WORKFLOWS_PER_PAGE = 50;
const TESTS_SHOWN = 2000;
const RECENT_RUNS = 5;
const RECENT_WORKFLOW_RUNS = 10;
/** Runs the pass rate chart covers (the finished ones among the latest). */
const CHARTED_RUNS = 30;

export async function workflowPages(app: FastifyInstance): Promise<void> {
  const { services } = app;
  const { runs, workflowRuns } = services;

  app.get('/workflows', async (request, reply) => {
    const { organizationId } = sessionOf(request);
    const after = formField(request.query, 'after') || undefined;
    const page = await listWorkflowsPage(services, organizationId, { limit: WORKFLOWS_PER_PAGE, order: 'desc', sortBy: 'updated_at', after });
    const testCounts = await testCountsByWorkflow(services, organizationId, page.data.map((workflow) => workflow.id));
    const nextPage = page.list_metadata.after ? `/workflows?after=${encodeURIComponent(page.list_metadata.after)}` : null;
    return sendPage(request, reply, { title: 'Workflows', section: 'workflows', main: workflowListView({ workflows: page.data, testCounts, nextPage }) });
  });

  app.get<{ Params: { workflow_id: string } }>('/workflows/:workflow_id', async (request, reply) => {
    const session = sessionOf(request);
    const workflowId = request.params.workflow_id;
    const workflow = await getWorkflow(services, session.organizationId, workflowId);
    const [blocks, tests, recent, workflowRunPage] = await Promise.all([
      listDraftBlocks(services, session.organizationId, workflowId),
      testsWithLatestResult(services, session.organizationId, workflowId, TESTS_SHOWN + 1),
      runs.list(session.organizationId, { workflow_id: workflowId, sortBy: 'created_at' }, { limit: CHARTED_RUNS, order: 'desc' }),
      workflowRuns.list(session.organizationId, { workflow_id: workflowId }, { limit: RECENT_WORKFLOW_RUNS, order: 'desc' }),
    ]);
    const main = workflowView({
      workflow,
      blocks,
      tests: tests.slice(0, TESTS_SHOWN),
      testsTruncated: tests.length > TESTS_SHOWN,
      recentRuns: recent.data.slice(0, RECENT_RUNS),
      workflowRuns: workflowRunPage.data,
      moreWorkflowRuns: workflowRunPage.list_metadata.after !== null,
      passRate: chartPoints(recent.data),
      csrfToken: session.csrfToken,
    });
    return sendPage(request, reply, { title: workflow.name, section: 'workflows', main });
  });

  /** "Run all tests" and "Run this block's tests": a run triggered manually by the signed-in key. */
  app.post<{ Params: { workflow_id: string } }>('/workflows/:workflow_id/runs', async (request, reply) => {
    const session = sessionOf(request);
    const workflowId = request.params.workflow_id;
    const blockId = formField(request.body, 'block_id');
    try {
      const run = await runs.create(
        session.organizationId,
        { type: 'manual', user_id: session.apiKeyId },
        { workflow_id: workflowId, scope: blockId ? { type: 'block', block_id: blockId } : { type: 'workflow' } },
      );
      return reply.redirect(`/runs/${encodeURIComponent(run.id)}`, 303);
    } catch (error) {
      if (!isAnswerable(error)) throw error;
      setFlash(request, reply, { kind: 'error', message: error.message });
      return reply.redirect(`/workflows/${encodeURIComponent(workflowId)}`, 303);
    }
  });
}
