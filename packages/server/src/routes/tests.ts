import { NoContent, paginationQuery, refineCursors } from '@verdict/core';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { createTest, deleteTest, getTest, listTests, updateTest } from '../services/tests.js';
import type { GenerationOptions } from './generation.js';

const ListTestsQuery = paginationQuery(50)
  .extend({
    workflow_id: z.string({ message: 'workflow_id is required: tests are listed per workflow.' }).min(1),
    target_block_id: z.string().optional(),
  })
  .superRefine(refineCursors);

export const testRoutes: FastifyPluginAsyncZod<GenerationOptions> = async (app, { generation }) => {
  const services = app.services;
  const { segment, idParam, schemas } = generation;
  const TestParams = z.object({ [idParam]: z.string() });

  app.get(`/workflows/${segment}`, { schema: { querystring: ListTestsQuery, response: { 200: schemas.testList } } }, async (request) => {
    const { workflow_id, target_block_id, ...page } = request.query;
    return listTests(services, request.principal.organizationId, { workflowId: workflow_id, blockId: target_block_id }, page);
  });

  app.post(`/workflows/${segment}`, { schema: { body: schemas.createTest, response: { 201: schemas.test } } }, async (request, reply) => {
    reply.status(201);
    return createTest(services, request.principal.organizationId, request.body);
  });

  app.get(`/workflows/${segment}/:${idParam}`, { schema: { params: TestParams, response: { 200: schemas.test } } }, async (request) =>
    getTest(services, request.principal.organizationId, request.params[idParam]!),
  );

  app.patch(`/workflows/${segment}/:${idParam}`, { schema: { params: TestParams, body: schemas.updateTest, response: { 200: schemas.test } } }, async (request) =>
    updateTest(services, request.principal.organizationId, request.params[idParam]!, request.body),
  );

  app.delete(`/workflows/${segment}/:${idParam}`, { schema: { params: TestParams, response: { 204: NoContent } } }, async (request, reply) => {
    await deleteTest(services, request.principal.organizationId, request.params[idParam]!);
    return reply.status(204).send(null);
  });
};
