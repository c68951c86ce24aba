import {
  CancelExperimentRunResponse,
  CreateExperimentRequest,
  CreateExperimentRunRequest,
  dateFilter,
  ExperimentMetricsResponse,
  ExperimentResult,
  ExperimentRun,
  ExperimentRunStatusFilter,
  METRIC_VIEWS,
  NoContent,
  paginated,
  paginationQuery,
  refineCursors,
  RunSortBy,
  UpdateExperimentRequest,
  WorkflowExperiment,
} from '@verdict/core';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';

const ExperimentParams = z.object({ experiment_id: z.string() });
const RunParams = z.object({ run_id: z.string() });
const ResultParams = z.object({ result_id: z.string() });

const ListExperimentsQuery = paginationQuery(50).extend({ workflow_id: z.string().min(1), block_id: z.string().optional() }).superRefine(refineCursors);

const ListRunsQuery = paginationQuery(20)
  .extend({
    workflow_id: z.string().optional(),
    experiment_id: z.string().optional(),
    block_id: z.string().optional(),
    status: ExperimentRunStatusFilter.optional(),
    exclude_status: ExperimentRunStatusFilter.optional(),
    trigger_type: z.string().optional(),
    from_date: dateFilter('start'),
    to_date: dateFilter('end'),
    sort_by: RunSortBy,
  })
  .superRefine(refineCursors);

const ListResultsQuery = paginationQuery(100).extend({ run_id: z.string().min(1) }).superRefine(refineCursors);

const MetricsQuery = z
  .object({
    run_id: z.string().min(1),
    view: z.enum(METRIC_VIEWS).default('summary'),
    document_id: z.string().optional(),
    target_path: z.string().optional(),
    include_prior: z
      .enum(['true', 'false', 'True', 'False', '1', '0'])
      .transform((value) => ['true', 'True', '1'].includes(value))
      .default(true),
    prior_run_id: z.string().optional(),
  })
  .superRefine((query, ctx) => {
    if ((query.view === 'by_document' || query.view === 'votes') && query.document_id === undefined) {
      ctx.addIssue({ code: 'custom', path: ['document_id'], message: `the ${query.view} view is of one document; give document_id` });
    }
    if (query.view === 'by_target' && query.target_path === undefined) ctx.addIssue({ code: 'custom', path: ['target_path'], message: 'the by_target view is of one target; give target_path' });
  });

/** Retab's experiments API (retab-api-delta §4): experiments, their runs, results and metrics. */
export const experimentRoutes: FastifyPluginAsyncZod = async (app) => {
  const { experiments, experimentMetrics } = app.services;

  app.get('/workflows/experiments', { schema: { querystring: ListExperimentsQuery, response: { 200: paginated(WorkflowExperiment, 'WorkflowExperimentList') } } }, async (request) => {
    const { workflow_id, block_id, ...page } = request.query;
    return experiments.list(request.principal.organizationId, { workflowId: workflow_id, blockId: block_id }, page);
  });

  app.post('/workflows/experiments', { schema: { body: CreateExperimentRequest, response: { 201: WorkflowExperiment } } }, async (request, reply) => {
    reply.status(201);
    return experiments.create(request.principal.organizationId, request.body);
  });

  app.get('/workflows/experiments/runs', { schema: { querystring: ListRunsQuery, response: { 200: paginated(ExperimentRun, 'ExperimentRunList') } } }, async (request) => {
    const { limit, order, before, after, workflow_id, experiment_id, block_id, status, exclude_status, trigger_type, from_date, to_date, sort_by } = request.query;
    return experiments.listRuns(
      request.principal.organizationId,
      { workflowId: workflow_id, experimentId: experiment_id, blockId: block_id, status, excludeStatus: exclude_status, triggerType: trigger_type, fromInstant: from_date, toInstant: to_date, sortBy: sort_by },
      { limit, order, before, after },
    );
  });

  app.post('/workflows/experiments/runs', { schema: { body: CreateExperimentRunRequest, response: { 202: ExperimentRun } } }, async (request, reply) => {
    reply.status(202);
    return experiments.createRun(request.principal.organizationId, request.body);
  });

  app.get('/workflows/experiments/runs/:run_id', { schema: { params: RunParams, response: { 200: ExperimentRun } } }, async (request) =>
    experiments.getRun(request.principal.organizationId, request.params.run_id),
  );

  app.post('/workflows/experiments/runs/:run_id/cancel', { schema: { params: RunParams, response: { 200: CancelExperimentRunResponse } } }, async (request) =>
    experiments.cancelRun(request.principal.organizationId, request.params.run_id),
  );

  app.get('/workflows/experiments/results', { schema: { querystring: ListResultsQuery, response: { 200: paginated(ExperimentResult, 'ExperimentResultList') } } }, async (request) => {
    const { run_id, ...page } = request.query;
    return experiments.listResults(request.principal.organizationId, run_id, page);
  });

  app.get('/workflows/experiments/results/:result_id', { schema: { params: ResultParams, response: { 200: ExperimentResult } } }, async (request) =>
    experiments.getResult(request.principal.organizationId, request.params.result_id),
  );

  app.get('/workflows/experiments/metrics', { schema: { querystring: MetricsQuery, response: { 200: ExperimentMetricsResponse } } }, async (request) =>
    experimentMetrics.metrics(request.principal.organizationId, request.query),
  );

  app.get('/workflows/experiments/:experiment_id', { schema: { params: ExperimentParams, response: { 200: WorkflowExperiment } } }, async (request) =>
    experiments.get(request.principal.organizationId, request.params.experiment_id),
  );

  app.patch('/workflows/experiments/:experiment_id', { schema: { params: ExperimentParams, body: UpdateExperimentRequest, response: { 200: WorkflowExperiment } } }, async (request) =>
    experiments.update(request.principal.organizationId, request.params.experiment_id, request.body),
  );

  app.delete('/workflows/experiments/:experiment_id', { schema: { params: ExperimentParams, response: { 204: NoContent } } }, async (request, reply) => {
    await experiments.delete(request.principal.organizationId, request.params.experiment_id);
    return reply.status(204).send(null);
  });
};
