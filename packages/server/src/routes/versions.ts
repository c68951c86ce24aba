import {
  paginated,
  paginationQuery,
  refineCursors,
  Workflow,
  WorkflowBlock,
  WorkflowBlockVersion,
  WorkflowBlockVersionDiff,
  WorkflowEdge,
  WorkflowEdgeVersion,
  WorkflowEdgeVersionDiff,
  WorkflowGraphVersion,
  WorkflowGraphVersionDiff,
} from '@verdict/core';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  diffBlockVersions,
  diffEdgeVersions,
  diffWorkflowVersions,
  getBlockVersion,
  getEdgeVersion,
  getWorkflowVersion,
  listBlockVersions,
  listEdgeVersions,
  listWorkflowVersions,
  restoreBlockVersion,
  restoreEdgeVersion,
  restoreWorkflowVersion,
} from '../services/versions.js';

const required = (name: string, why: string) => z.string({ message: `${name} is required: ${why}` }).min(1);
const workflowIdQuery = z.object({ workflow_id: required('workflow_id', 'version ids are content-addressed, so the workflow disambiguates them.') });
const VersionParams = z.object({ version_id: z.string() });
const ListQuery = paginationQuery(50).extend(workflowIdQuery.shape).superRefine(refineCursors);
const WorkflowDiffQuery = workflowIdQuery.extend({
  from_workflow_version_id: required('from_workflow_version_id', 'the version to compare from.'),
  to_workflow_version_id: required('to_workflow_version_id', 'the version to compare to.'),
});
const BlockListQuery = paginationQuery(50)
  .extend({ ...workflowIdQuery.shape, block_id: z.string().min(1).optional(), workflow_version_id: z.string().min(1).optional() })
  .superRefine(refineCursors);
const EdgeListQuery = paginationQuery(50)
  .extend({ ...workflowIdQuery.shape, edge_id: z.string().min(1).optional(), workflow_version_id: z.string().min(1).optional() })
  .superRefine(refineCursors);
const BlockDiffQuery = z.object({
  from_block_version_id: required('from_block_version_id', 'the version to compare from.'),
  to_block_version_id: required('to_block_version_id', 'the version to compare to.'),
});
const EdgeDiffQuery = z.object({
  from_edge_version_id: required('from_edge_version_id', 'the version to compare from.'),
  to_edge_version_id: required('to_edge_version_id', 'the version to compare to.'),
});

/**
 * Retab's version routes (SDKs since 2026-06-04). Static segments (`/versions`, `/versions/diff`)
 * win over parameters in Fastify's router, so `/workflows/versions` is never taken for a workflow
 * id nor `/blocks/versions` for a block id.
 */
export const versionRoutes: FastifyPluginAsyncZod = async (app) => {
  const services = app.services;
  const org = (request: { principal: { organizationId: string } }) => request.principal.organizationId;

  app.get('/workflows/versions', { schema: { querystring: ListQuery, response: { 200: paginated(WorkflowGraphVersion, 'WorkflowGraphVersionList') } } }, async (request) => {
    const { workflow_id, ...page } = request.query;
    return listWorkflowVersions(services, org(request), workflow_id, page);
  });
  app.get('/workflows/versions/diff', { schema: { querystring: WorkflowDiffQuery, response: { 200: WorkflowGraphVersionDiff } } }, async (request) =>
    diffWorkflowVersions(services, org(request), request.query.workflow_id, request.query.from_workflow_version_id, request.query.to_workflow_version_id),
  );
  app.get('/workflows/versions/:version_id', { schema: { params: VersionParams, querystring: workflowIdQuery, response: { 200: WorkflowGraphVersion } } }, async (request) =>
    getWorkflowVersion(services, org(request), request.query.workflow_id, request.params.version_id),
  );
  app.post('/workflows/versions/:version_id/restore', { schema: { params: VersionParams, querystring: workflowIdQuery, response: { 200: Workflow } } }, async (request) =>
    restoreWorkflowVersion(services, org(request), request.query.workflow_id, request.params.version_id),
  );

  app.get('/workflows/blocks/versions', { schema: { querystring: BlockListQuery, response: { 200: paginated(WorkflowBlockVersion, 'WorkflowBlockVersionList') } } }, async (request) => {
    const { workflow_id, block_id, workflow_version_id, ...page } = request.query;
    return listBlockVersions(services, org(request), { workflowId: workflow_id, partId: block_id, workflowVersionId: workflow_version_id }, page);
  });
  app.get('/workflows/blocks/versions/diff', { schema: { querystring: BlockDiffQuery, response: { 200: WorkflowBlockVersionDiff } } }, async (request) =>
    diffBlockVersions(services, org(request), request.query.from_block_version_id, request.query.to_block_version_id),
  );
  app.get('/workflows/blocks/versions/:version_id', { schema: { params: VersionParams, response: { 200: WorkflowBlockVersion } } }, async (request) =>
    getBlockVersion(services, org(request), request.params.version_id),
  );
  app.post('/workflows/blocks/versions/:version_id/restore', { schema: { params: VersionParams, response: { 200: WorkflowBlock } } }, async (request) =>
    restoreBlockVersion(services, org(request), request.params.version_id),
  );

  app.get('/workflows/edges/versions', { schema: { querystring: EdgeListQuery, response: { 200: paginated(WorkflowEdgeVersion, 'WorkflowEdgeVersionList') } } }, async (request) => {
    const { workflow_id, edge_id, workflow_version_id, ...page } = request.query;
    return listEdgeVersions(services, org(request), { workflowId: workflow_id, partId: edge_id, workflowVersionId: workflow_version_id }, page);
  });
  app.get('/workflows/edges/versions/diff', { schema: { querystring: EdgeDiffQuery, response: { 200: WorkflowEdgeVersionDiff } } }, async (request) =>
    diffEdgeVersions(services, org(request), request.query.from_edge_version_id, request.query.to_edge_version_id),
  );
  app.get('/workflows/edges/versions/:version_id', { schema: { params: VersionParams, response: { 200: WorkflowEdgeVersion } } }, async (request) =>
    getEdgeVersion(services, org(request), request.params.version_id),
  );
  app.post('/workflows/edges/versions/:version_id/restore', { schema: { params: VersionParams, response: { 200: WorkflowEdge } } }, async (request) =>
    restoreEdgeVersion(services, org(request), request.params.version_id),
  );
};
