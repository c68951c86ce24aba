import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { workflowRoutes } from './workflows.js';
import { blockRoutes } from './blocks.js';
import { edgeRoutes } from './edges.js';
import { specRoutes } from './spec.js';
import { versionRoutes } from './versions.js';
import { testRoutes } from './tests.js';
import { testRunRoutes } from './test-runs.js';
import { testResultRoutes } from './test-results.js';
import { API_GENERATIONS } from './generation.js';
import { fileRoutes } from './files.js';
import { historyRoutes } from './history.js';
import { workflowRunRoutes } from './workflow-runs.js';
import { experimentRoutes } from './experiments.js';

/** Every /v1 resource is its own plugin; each registers only what it owns. */
export const apiRoutes: FastifyPluginAsyncZod = async (app) => {
  await app.register(workflowRoutes);
  await app.register(blockRoutes);
  await app.register(edgeRoutes);
  await app.register(specRoutes);
  await app.register(versionRoutes);
  // The tests API under both of Retab's names for it, over one store (routes/generation.ts).
  for (const generation of API_GENERATIONS) {
    await app.register(testRoutes, { generation });
    await app.register(testRunRoutes, { generation });
    await app.register(testResultRoutes, { generation });
    await app.register(historyRoutes, { generation });
  }
  await app.register(experimentRoutes);
  await app.register(fileRoutes);
  await app.register(workflowRunRoutes);
};
