import { dateFilter, paginationQuery, refineCursors, RunSortBy, RunStatusFilter, TRIGGER_TYPES } from '@verdict/core';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { directSerialization } from './direct-serialization.js';
import type { GenerationOptions } from './generation.js';

const RunParams = z.object({ run_id: z.string() });

const ListRunsQuery = paginationQuery(50)
  .extend({
    workflow_id: z.string().optional(),
    test_id: z.string().optional(),
    eval_id: z.string().optional().meta({ description: 'test_id under its name from 2026-06-19; either is accepted on both paths.' }),
    target_block_id: z.string().optional(),
    status: RunStatusFilter.optional(),
    exclude_status: RunStatusFilter.optional(),
    // Later SDKs know a `custom` trigger; this server never records one, so it matches no run.
    trigger_type: z.enum([...TRIGGER_TYPES, 'custom']).optional(),
    from_date: dateFilter('start'),
    to_date: dateFilter('end'),
    sort_by: RunSortBy,
  })
  .superRefine(refineCursors)
  .superRefine((query, ctx) => {
    if (query.test_id !== undefined && query.eval_id !== undefined && query.test_id !== query.eval_id) {
      ctx.addIssue({ code: 'custom', message: 'test_id and eval_id name the same filter; give one, or the same id in both.', path: ['eval_id'] });
    }
  });

export const testRunRoutes: FastifyPluginAsyncZod<GenerationOptions> = async (app, { generation }) => {
  const { runs } = app.services;
  const { segment, schemas } = generation;

  app.post(`/workflows/${segment}/runs`, { schema: { body: schemas.createRun, response: { 202: schemas.run } } }, async (request, reply) => {
    reply.status(202);
    return runs.create(request.principal.organizationId, { type: 'api', api_key_id: request.principal.apiKeyId }, request.body);
  });

  app.get(`/workflows/${segment}/runs`, { schema: { querystring: ListRunsQuery, response: { 200: schemas.runList } } }, async (request) => {
    const { limit, order, before, after, from_date, to_date, sort_by, test_id, eval_id, ...filters } = request.query;
    return runs.list(
      request.principal.organizationId,
      { ...filters, test_id: eval_id ?? test_id, fromInstant: from_date, toInstant: to_date, sortBy: sort_by },
      { limit, order, before, after },
    );
  });

  app.get(`/workflows/${segment}/runs/:run_id`, { schema: { params: RunParams, response: { 200: schemas.run } }, ...directSerialization }, async (request) =>
    runs.get(request.principal.organizationId, request.params.run_id),
  );

  app.post(
    `/workflows/${segment}/runs/:run_id/cancel`,
    { schema: { params: RunParams, body: schemas.cancelRun.nullish(), response: { 200: schemas.run } }, ...directSerialization },
    async (request) => runs.cancel(request.principal.organizationId, request.params.run_id, request.body?.reason ?? null),
  );
};
