import {
  DeclarativeApplyResponse,
  DeclarativeExportResponse,
  DeclarativePlanResponse,
  DeclarativeValidationResponse,
  DeclarativeWorkflowRequest,
} from '@verdict/core';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { applySpec, exportSpec, planSpec, validateSpec } from '../services/spec.js';

const ExportParams = z.object({ workflow_id: z.string() });

/** The declarative YAML format: validate, plan and apply write nothing but through apply. */
export const specRoutes: FastifyPluginAsyncZod = async (app) => {
  const services = app.services;

  app.post('/workflows/spec/validate', { schema: { body: DeclarativeWorkflowRequest, response: { 200: DeclarativeValidationResponse } } }, async (request) =>
    validateSpec(services, request.principal.organizationId, request.body.yaml_definition),
  );

  app.post('/workflows/spec/plan', { schema: { body: DeclarativeWorkflowRequest, response: { 200: DeclarativePlanResponse } } }, async (request) =>
    planSpec(services, request.principal.organizationId, request.body.yaml_definition),
  );

  app.post('/workflows/spec/apply', { schema: { body: DeclarativeWorkflowRequest, response: { 200: DeclarativeApplyResponse } } }, async (request) =>
    applySpec(services, request.principal.organizationId, request.body.yaml_definition),
  );

  const exportRoute = { schema: { params: ExportParams, response: { 200: DeclarativeExportResponse } } };
  app.get('/workflows/spec/:workflow_id', exportRoute, async (request) => exportSpec(services, request.principal.organizationId, request.params.workflow_id));
  // Later Retab SDKs (Go, Python) export from this path instead.
  app.get('/workflows/:workflow_id/spec', exportRoute, async (request) => exportSpec(services, request.principal.organizationId, request.params.workflow_id));
};
