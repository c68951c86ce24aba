import {
  CancelWorkflowTestRunRequest,
  CreateWorkflowTestRunRequest,
  dateFilter,
  paginated,
  paginationQuery,
  refineCursors,
  RUN_SORT_KEYS,
  RunStatusFilter,
  TRIGGER_TYPES,
  WorkflowTestRun,
} from '@verdict/core';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';

const RunParams = z.object({ run_id: z.string() });

const ListRunsQuery = paginationQuery(50)
  .extend({
    workflow_id: z.string().optional(),
    test_id: z.string().optional(),
    target_block_id: z.string().optional(),
    status: RunStatusFilter.optional(),
    exclude_status: RunStatusFilter.optional(),
    trigger_type: z.enum(TRIGGER_TYPES).optional(),
    from_date: dateFilter('start'),
    to_date: dateFilter('end'),
    sort_by: z
      .string()
      .transform((value) => value.replace(/^timing\./, ''))
      .pipe(z.enum(RUN_SORT_KEYS, { message: `sort_by must be one of ${RUN_SORT_KEYS.join(', ')} (optionally prefixed with "timing.")` }))
      .default('created_at'),
  })
  .superRefine(refineCursors);

export const testRunRoutes: FastifyPluginAsyncZod = async (app) => {
  const { runs } = app.services;

  app.post('/workflows/tests/runs', { schema: { body: CreateWorkflowTestRunRequest, response: { 202: WorkflowTestRun } } }, async (request, reply) => {
    reply.status(202);
    return runs.create(request.principal.organizationId, { type: 'api', api_key_id: request.principal.apiKeyId }, request.body);
  });

  app.get('/workflows/tests/runs', { schema: { querystring: ListRunsQuery, response: { 200: paginated(WorkflowTestRun, 'WorkflowTestRunList') } } }, async (request) => {
    const { limit, order, before, after, from_date, to_date, sort_by, ...filters } = request.query;
    return runs.list(request.principal.organizationId, { ...filters, fromInstant: from_date, toInstant: to_date, sortBy: sort_by }, { limit, order, before, after });
  });

  app.get('/workflows/tests/runs/:run_id', { schema: { params: RunParams, response: { 200: WorkflowTestRun } } }, async (request) =>
    runs.get(request.principal.organizationId, request.params.run_id),
  );

  app.post(
    '/workflows/tests/runs/:run_id/cancel',
    { schema: { params: RunParams, body: CancelWorkflowTestRunRequest.nullish(), response: { 200: WorkflowTestRun } } },
    async (request) => runs.cancel(request.principal.organizationId, request.params.run_id, request.body?.reason ?? null),
  );
};
