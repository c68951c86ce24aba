import { NoContent, CreateWorkflowTestRequest, paginated, paginationQuery, refineCursors, UpdateWorkflowTestRequest, WorkflowTest } from '@verdict/core';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { createTest, deleteTest, getTest, listTests, updateTest } from '../services/tests.js';

const TestParams = z.object({ test_id: z.string() });
const ListTestsQuery = paginationQuery(50)
  .extend({
    workflow_id: z.string({ message: 'workflow_id is required: tests are listed per workflow.' }).min(1),
    target_block_id: z.string().optional(),
  })
  .superRefine(refineCursors);

export const testRoutes: FastifyPluginAsyncZod = async (app) => {
  const services = app.services;

  app.get('/workflows/tests', { schema: { querystring: ListTestsQuery, response: { 200: paginated(WorkflowTest, 'WorkflowTestList') } } }, async (request) => {
    const { workflow_id, target_block_id, ...page } = request.query;
    return listTests(services, request.principal.organizationId, { workflowId: workflow_id, blockId: target_block_id }, page);
  });

  app.post('/workflows/tests', { schema: { body: CreateWorkflowTestRequest, response: { 201: WorkflowTest } } }, async (request, reply) => {
    reply.status(201);
    return createTest(services, request.principal.organizationId, request.body);
  });

  app.get('/workflows/tests/:test_id', { schema: { params: TestParams, response: { 200: WorkflowTest } } }, async (request) =>
    getTest(services, request.principal.organizationId, request.params.test_id),
  );

  app.patch('/workflows/tests/:test_id', { schema: { params: TestParams, body: UpdateWorkflowTestRequest, response: { 200: WorkflowTest } } }, async (request) =>
    updateTest(services, request.principal.organizationId, request.params.test_id, request.body),
  );

  app.delete('/workflows/tests/:test_id', { schema: { params: TestParams, response: { 204: NoContent } } }, async (request, reply) => {
    await deleteTest(services, request.principal.organizationId, request.params.test_id);
    return reply.status(204).send(null);
  });
};
