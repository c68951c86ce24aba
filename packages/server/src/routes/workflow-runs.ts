import {
  CancelWorkflowRunRequest,
  CreateBlockExecutionRequest,
  ListBlockExecutionsQuery,
  StoredBlockExecution,
  CancelWorkflowRunResponse,
  CreateWorkflowRunRequest,
  GetWorkflowStepQuery,
  ListWorkflowArtifactsQuery,
  ListWorkflowRunsQuery,
  ListWorkflowStepsQuery,
  NoContent,
  paginated,
  WorkflowArtifactListItem,
  WorkflowArtifactRecord,
  WorkflowRun,
  WorkflowRunExportRequest,
  WorkflowRunExportResponse,
  WorkflowRunStep,
} from '@verdict/core';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';

const RunParams = z.object({ run_id: z.string() });
const WorkflowRunList = paginated(WorkflowRun, 'WorkflowRunList');
const WorkflowRunStepList = paginated(WorkflowRunStep, 'WorkflowRunStepList');
const WorkflowArtifactList = paginated(WorkflowArtifactListItem, 'WorkflowArtifactList');
const BlockExecutionList = paginated(StoredBlockExecution, 'BlockExecutionList');

/** Retab's workflow runs, their steps and artifacts, and block executions on a step's inputs (retab-api-delta §5.1–§5.4). */
export const workflowRunRoutes: FastifyPluginAsyncZod = async (app) => {
  const { workflowRuns, blockExecutions } = app.services;

  app.post('/workflows/runs', { schema: { body: CreateWorkflowRunRequest, response: { 202: WorkflowRun } } }, async (request, reply) => {
    reply.status(202);
    return workflowRuns.create(request.principal.organizationId, { type: 'api', api_key_id: request.principal.apiKeyId }, request.body);
  });

  app.get('/workflows/runs', { schema: { querystring: ListWorkflowRunsQuery, response: { 200: WorkflowRunList } } }, async (request) => {
    const { limit, order, before, after, from_date, to_date, metadata, ...filters } = request.query;
    return workflowRuns.list(request.principal.organizationId, { ...filters, metadata, fromInstant: from_date, toInstant: to_date }, { limit, order, before, after });
  });

  app.post('/workflows/runs/export', { schema: { body: WorkflowRunExportRequest, response: { 200: WorkflowRunExportResponse } } }, async (request) =>
    workflowRuns.exportCsv(request.principal.organizationId, request.body),
  );

  app.get('/workflows/runs/:run_id', { schema: { params: RunParams, response: { 200: WorkflowRun } } }, async (request) =>
    workflowRuns.get(request.principal.organizationId, request.params.run_id),
  );

  app.delete('/workflows/runs/:run_id', { schema: { params: RunParams, response: { 204: NoContent } } }, async (request, reply) => {
    await workflowRuns.delete(request.principal.organizationId, request.params.run_id);
    return reply.status(204).send(null);
  });

  app.post(
    '/workflows/runs/:run_id/cancel',
    { schema: { params: RunParams, body: CancelWorkflowRunRequest.nullish(), response: { 200: CancelWorkflowRunResponse } } },
    async (request) => workflowRuns.cancel(request.principal.organizationId, request.params.run_id, request.body?.command_id ?? null),
  );

  app.get('/workflows/steps', { schema: { querystring: ListWorkflowStepsQuery, response: { 200: WorkflowRunStepList } } }, async (request) => {
    const { limit, order, before, after, ...filters } = request.query;
    return workflowRuns.listSteps(request.principal.organizationId, filters, { limit, order, before, after });
  });

  app.get('/workflows/steps/:step_id', { schema: { params: z.object({ step_id: z.string() }), querystring: GetWorkflowStepQuery, response: { 200: WorkflowRunStep } } }, async (request) =>
    workflowRuns.getStep(request.principal.organizationId, request.params.step_id, request.query.run_id),
  );

  app.get('/workflows/artifacts', { schema: { querystring: ListWorkflowArtifactsQuery, response: { 200: WorkflowArtifactList } } }, async (request) => {
    const { limit, before, after, ...filters } = request.query;
    return workflowRuns.listArtifacts(request.principal.organizationId, filters, { limit, order: 'asc', before, after });
  });

  app.get('/workflows/artifacts/:artifact_id', { schema: { params: z.object({ artifact_id: z.string() }), response: { 200: WorkflowArtifactRecord } } }, async (request) =>
    workflowRuns.getArtifact(request.principal.organizationId, request.params.artifact_id),
  );

  app.post('/workflows/blocks/executions', { schema: { body: CreateBlockExecutionRequest, response: { 201: StoredBlockExecution } } }, async (request, reply) => {
    const execution = await blockExecutions.create(request.principal.organizationId, request.body);
    reply.status(201);
    return execution;
  });

  app.get('/workflows/blocks/executions', { schema: { querystring: ListBlockExecutionsQuery, response: { 200: BlockExecutionList } } }, async (request) => {
    const { run_id, block_id, ...page } = request.query;
    return blockExecutions.list(request.principal.organizationId, run_id, block_id, page);
  });
};
