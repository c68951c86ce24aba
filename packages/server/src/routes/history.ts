import { CHANGE_KINDS, RunComparison } from '@verdict/core';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { compareRuns } from '../services/history.js';
import type { GenerationOptions } from './generation.js';

const ComparisonQuery = z.object({
  base: z.string().min(1).optional(),
  change: z.enum(CHANGE_KINDS).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  after: z.string().min(1).optional(),
});

/**
 * Verdict extensions that tell why a verdict changed (issue 23). A test's history is the results
 * list filtered by `test_id` (routes/test-results.ts); re-runs are run creation with `restart_of`.
 */
export const historyRoutes: FastifyPluginAsyncZod<GenerationOptions> = async (app, { generation }) => {
  app.get(
    `/workflows/${generation.segment}/runs/:run_id/comparison`,
    { schema: { params: z.object({ run_id: z.string() }), querystring: ComparisonQuery, response: { 200: RunComparison } } },
    async (request) => compareRuns(app.services, request.principal.organizationId, request.params.run_id, request.query),
  );
};
