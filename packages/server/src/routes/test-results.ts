import { paginationQuery, refineCursors } from '@verdict/core';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { getResult, listResultsOfRun } from '../services/test-results.js';
import type { GenerationOptions } from './generation.js';

const ListResultsQuery = paginationQuery(20)
  .extend({ run_id: z.string({ message: 'run_id is required: results are listed per test run.' }).min(1) })
  .superRefine(refineCursors);

export const testResultRoutes: FastifyPluginAsyncZod<GenerationOptions> = async (app, { generation }) => {
  const { segment, schemas } = generation;

  app.get(`/workflows/${segment}/results`, { schema: { querystring: ListResultsQuery, response: { 200: schemas.resultList } } }, async (request) => {
    const { run_id, ...page } = request.query;
    return listResultsOfRun(app.services, request.principal.organizationId, run_id, page);
  });

  app.get(`/workflows/${segment}/results/:result_id`, { schema: { params: z.object({ result_id: z.string() }), response: { 200: schemas.result } } }, async (request) =>
    getResult(app.services, request.principal.organizationId, request.params.result_id),
  );
};
