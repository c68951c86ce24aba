import { paginated, paginationQuery, refineCursors, WorkflowTestResult } from '@verdict/core';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { createError } from '../errors/index.js';
import { findResultRow, listResults, resultFromRow } from '../store/results.js';
import { findRunRow } from '../store/runs.js';

const ListResultsQuery = paginationQuery(20)
  .extend({ run_id: z.string({ message: 'run_id is required: results are listed per test run.' }).min(1) })
  .superRefine(refineCursors);

export const testResultRoutes: FastifyPluginAsyncZod = async (app) => {
  const { store } = app.services;

  app.get('/workflows/tests/results', { schema: { querystring: ListResultsQuery, response: { 200: paginated(WorkflowTestResult, 'WorkflowTestResultList') } } }, async (request) => {
    const { run_id, ...page } = request.query;
    if (!(await findRunRow(store.db, request.principal.organizationId, run_id))) throw createError('run_not_found', run_id);
    return listResults(store.db, run_id, page);
  });

  app.get('/workflows/tests/results/:result_id', { schema: { params: z.object({ result_id: z.string() }), response: { 200: WorkflowTestResult } } }, async (request) => {
    const row = await findResultRow(store.db, request.principal.organizationId, request.params.result_id);
    if (!row) throw createError('result_not_found', request.params.result_id);
    return resultFromRow(row);
  });
};
