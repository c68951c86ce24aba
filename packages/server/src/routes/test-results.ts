import { paginationQuery, refineCursors } from '@verdict/core';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { directSerialization } from './direct-serialization.js';
import { testHistory } from '../services/history.js';
import { getResult, listResultsOfRun } from '../services/test-results.js';
import type { GenerationOptions } from './generation.js';

/** `run_id`: a run's results in run order (Retab). `test_id` instead: that test's results across runs, its history (a Verdict extension). */
const ListResultsQuery = paginationQuery(20)
  .extend({ run_id: z.string().min(1).optional(), test_id: z.string().min(1).optional() })
  .superRefine(refineCursors)
  .superRefine((query, ctx) => {
    if ((query.run_id === undefined) === (query.test_id === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: ['run_id'],
        message: 'Pass run_id (the results of one run) or test_id (one test across runs, newest first), not both and not neither.',
      });
    }
  });

export const testResultRoutes: FastifyPluginAsyncZod<GenerationOptions> = async (app, { generation }) => {
  const { segment, schemas } = generation;

  app.get(`/workflows/${segment}/results`, { schema: { querystring: ListResultsQuery, response: { 200: schemas.resultList } }, ...directSerialization }, async (request) => {
    const { run_id, test_id, ...page } = request.query;
    const organizationId = request.principal.organizationId;
    return run_id !== undefined ? listResultsOfRun(app.services, organizationId, run_id, page) : testHistory(app.services, organizationId, test_id!, page);
  });

  app.get(`/workflows/${segment}/results/:result_id`, { schema: { params: z.object({ result_id: z.string() }), response: { 200: schemas.result } } }, async (request) =>
    getResult(app.services, request.principal.organizationId, request.params.result_id),
  );
};
