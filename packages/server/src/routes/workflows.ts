import {
  CreateWorkflowRequest,
  NoContent,
  paginated,
  paginationQuery,
  ProjectId,
  PublishWorkflowRequest,
  refineCursors,
  UpdateWorkflowRequest,
  Workflow,
} from '@verdict/core';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { createWorkflow, deleteWorkflow, discardDraft, getWorkflow, listWorkflowsPage, publishWorkflow, updateWorkflow } from '../services/workflows.js';

const WorkflowParams = z.object({ workflow_id: z.string() });
const ListWorkflowsQuery = paginationQuery(10)
  .extend({ sort_by: z.enum(['updated_at', 'created_at']).default('updated_at'), project_id: ProjectId.optional() })
  .superRefine(refineCursors);

export const workflowRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get('/workflows', { schema: { querystring: ListWorkflowsQuery, response: { 200: paginated(Workflow, 'WorkflowList') } } }, async (request) =>
    listWorkflowsPage(app.services, request.principal.organizationId, { ...request.query, sortBy: request.query.sort_by, projectId: request.query.project_id }),
  );

  app.post('/workflows', { schema: { body: CreateWorkflowRequest, response: { 201: Workflow } } }, async (request, reply) => {
    reply.status(201);
    return createWorkflow(app.services, request.principal.organizationId, request.body);
  });

  app.get('/workflows/:workflow_id', { schema: { params: WorkflowParams, response: { 200: Workflow } } }, async (request) =>
    getWorkflow(app.services, request.principal.organizationId, request.params.workflow_id),
  );

  app.patch('/workflows/:workflow_id', { schema: { params: WorkflowParams, body: UpdateWorkflowRequest, response: { 200: Workflow } } }, async (request) =>
    updateWorkflow(app.services, request.principal.organizationId, request.params.workflow_id, request.body),
  );

  app.delete('/workflows/:workflow_id', { schema: { params: WorkflowParams, response: { 204: NoContent } } }, async (request, reply) => {
    await deleteWorkflow(app.services, request.principal.organizationId, request.params.workflow_id);
    return reply.status(204).send(null);
  });

  app.post(
    '/workflows/:workflow_id/publish',
    { schema: { params: WorkflowParams, body: PublishWorkflowRequest.optional(), response: { 200: Workflow } } },
    async (request) => publishWorkflow(app.services, request.principal.organizationId, request.params.workflow_id, request.body?.description ?? ''),
  );

  app.post('/workflows/:workflow_id/discard-draft', { schema: { params: WorkflowParams, response: { 200: Workflow } } }, async (request) =>
    discardDraft(app.services, request.principal.organizationId, request.params.workflow_id),
  );
};
