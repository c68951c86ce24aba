import { NoContent, CreateWorkflowEdgeRequest, paginated, refineCursors, WorkflowEdge } from '@verdict/core';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { createEdge, deleteEdge, getEdge, listEdgesOf } from '../services/graph.js';
import { graphPageQuery } from './blocks.js';

const EdgeParams = z.object({ edge_id: z.string() });
/** Later Retab SDKs name the workflow too; an edge of another workflow is then not found. */
const EdgeQuery = z.object({ workflow_id: z.string().min(1).optional() });
const ListEdgesQuery = graphPageQuery()
  .extend({
    workflow_id: z.string({ message: 'workflow_id is required: edges are listed per workflow.' }).min(1),
    source_block: z.string().min(1).optional(),
    target_block: z.string().min(1).optional(),
  })
  .superRefine(refineCursors);

export const edgeRoutes: FastifyPluginAsyncZod = async (app) => {
  const services = app.services;

  app.get('/workflows/edges', { schema: { querystring: ListEdgesQuery, response: { 200: paginated(WorkflowEdge, 'WorkflowEdgeList') } } }, async (request) => {
    const { workflow_id, source_block, target_block, ...page } = request.query;
    return listEdgesOf(services, request.principal.organizationId, { workflowId: workflow_id, sourceBlock: source_block, targetBlock: target_block }, page);
  });

  app.post('/workflows/edges', { schema: { body: CreateWorkflowEdgeRequest, response: { 201: WorkflowEdge } } }, async (request, reply) => {
    reply.status(201);
    return createEdge(services, request.principal.organizationId, request.body);
  });

  app.get('/workflows/edges/:edge_id', { schema: { params: EdgeParams, querystring: EdgeQuery, response: { 200: WorkflowEdge } } }, async (request) =>
    getEdge(services, request.principal.organizationId, request.params.edge_id, request.query.workflow_id),
  );

  app.delete('/workflows/edges/:edge_id', { schema: { params: EdgeParams, response: { 204: NoContent } } }, async (request, reply) => {
    await deleteEdge(services, request.principal.organizationId, request.params.edge_id);
    return reply.status(204).send(null);
  });
};
