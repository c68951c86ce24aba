import {
  DeclarativeApplyResponse,
  DeclarativeExportResponse,
  DeclarativePlanResponse,
  DeclarativeValidationResponse,
  DeclarativeWorkflowRequest,
} from '@verdict/core';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { applySpec, exportSpec, planSpec, specTarget, validateSpec } from '../services/spec.js';

const WorkflowParams = z.object({ workflow_id: z.string() });

/** The declarative YAML format: validate, plan and apply write nothing but through apply. */
export const specRoutes: FastifyPluginAsyncZod = async (app) => {
  const services = app.services;

  app.post('/workflows/spec/validate', { schema: { body: DeclarativeWorkflowRequest, response: { 200: DeclarativeValidationResponse } } }, async (request) =>
    validateSpec(services, request.principal.organizationId, request.body.yaml_definition, specTarget(undefined, request.body.project_id)),
  );

  // Without project_id: the workflow the YAML names (Retab's SDKs before 2026-06-04); with it: a new workflow.
  app.post('/workflows/spec/plan', { schema: { body: DeclarativeWorkflowRequest, response: { 200: DeclarativePlanResponse } } }, async (request) =>
    planSpec(services, request.principal.organizationId, request.body.yaml_definition, specTarget(undefined, request.body.project_id)),
  );

  app.post('/workflows/spec/apply', { schema: { body: DeclarativeWorkflowRequest, response: { 200: DeclarativeApplyResponse } } }, async (request) =>
    applySpec(services, request.principal.organizationId, request.body.yaml_definition, specTarget(undefined, request.body.project_id)),
  );

  const scoped = <T>(response: T) => ({ schema: { params: WorkflowParams, body: DeclarativeWorkflowRequest, response: { 200: response } } });
  app.post('/workflows/:workflow_id/spec/plan', scoped(DeclarativePlanResponse), async (request) =>
    planSpec(services, request.principal.organizationId, request.body.yaml_definition, specTarget(request.params.workflow_id, null)),
  );

  app.post('/workflows/:workflow_id/spec/apply', scoped(DeclarativeApplyResponse), async (request) =>
    applySpec(services, request.principal.organizationId, request.body.yaml_definition, specTarget(request.params.workflow_id, null)),
  );

  const exportRoute = { schema: { params: WorkflowParams, response: { 200: DeclarativeExportResponse } } };
  app.get('/workflows/spec/:workflow_id', exportRoute, async (request) => exportSpec(services, request.principal.organizationId, request.params.workflow_id));
  // Later Retab SDKs (Go, Python) export from this path instead.
  app.get('/workflows/:workflow_id/spec', exportRoute, async (request) => exportSpec(services, request.principal.organizationId, request.params.workflow_id));
};
