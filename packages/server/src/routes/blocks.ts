import {
  CreateWorkflowBlockRequest,
  NoContent,
  paginated,
  paginationQuery,
  refineCursors,
  UpdateWorkflowBlockRequest,
  ValidateWorkflowBlockConfigRequest,
  ValidateWorkflowBlockConfigResponse,
  WorkflowBlock,
} from '@verdict/core';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { checkBlockConfig, createBlock, deleteBlock, getBlock, listBlocksOf, updateBlock } from '../services/graph.js';

/** Retab pages blocks and edges by up to 200 (default 100), where other lists stop at 100. */
export function graphPageQuery() {
  return paginationQuery(100).extend({ limit: z.coerce.number().int().min(1).max(200).default(100) });
}

const BlockParams = z.object({ block_id: z.string() });
const BlockQuery = z.object({ workflow_id: z.string().min(1).optional() });
const ListBlocksQuery = graphPageQuery()
  .extend({ workflow_id: z.string({ message: 'workflow_id is required: blocks are listed per workflow.' }).min(1) })
  .superRefine(refineCursors);

export const blockRoutes: FastifyPluginAsyncZod = async (app) => {
  const services = app.services;

  app.get('/workflows/blocks', { schema: { querystring: ListBlocksQuery, response: { 200: paginated(WorkflowBlock, 'WorkflowBlockList') } } }, async (request) => {
    const { workflow_id, ...page } = request.query;
    return listBlocksOf(services, request.principal.organizationId, workflow_id, page);
  });

  app.post('/workflows/blocks', { schema: { body: CreateWorkflowBlockRequest, response: { 201: WorkflowBlock } } }, async (request, reply) => {
    reply.status(201);
    return createBlock(services, request.principal.organizationId, request.body);
  });

  app.get('/workflows/blocks/:block_id', { schema: { params: BlockParams, querystring: BlockQuery, response: { 200: WorkflowBlock } } }, async (request) =>
    getBlock(services, request.principal.organizationId, request.params.block_id, request.query.workflow_id),
  );

  app.patch(
    '/workflows/blocks/:block_id',
    { schema: { params: BlockParams, querystring: BlockQuery, body: UpdateWorkflowBlockRequest, response: { 200: WorkflowBlock } } },
    async (request) => updateBlock(services, request.principal.organizationId, request.params.block_id, request.query.workflow_id, request.body),
  );

  app.post(
    '/workflows/blocks/:block_id/validate-config',
    { schema: { params: BlockParams, querystring: BlockQuery, body: ValidateWorkflowBlockConfigRequest, response: { 200: ValidateWorkflowBlockConfigResponse } } },
    async (request) => checkBlockConfig(services, request.principal.organizationId, request.params.block_id, request.query.workflow_id, request.body),
  );

  app.delete('/workflows/blocks/:block_id', { schema: { params: BlockParams, querystring: BlockQuery, response: { 204: NoContent } } }, async (request, reply) => {
    await deleteBlock(services, request.principal.organizationId, request.params.block_id, request.query.workflow_id);
    return reply.status(204).send(null);
  });
};
