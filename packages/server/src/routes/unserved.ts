import type { FastifyPluginAsync } from 'fastify';
import { createError } from '../errors/index.js';

/**
 * Paths of Retab's workflows API that this Verdict does not serve. Without them, `/workflows/runs`
 * would be taken for a workflow id ("No workflow `runs`") and a POST there would be a 405: each
 * answers 404 `not_found` naming the path instead, as any other unknown route.
 */
const UNSERVED = ['runs', 'steps', 'artifacts', 'blocks/executions'] as const;
const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;

export const unservedRoutes: FastifyPluginAsync = async (app) => {
  for (const name of UNSERVED) {
    for (const url of [`/workflows/${name}`, `/workflows/${name}/*`]) {
      app.route({
        method: [...METHODS],
        url,
        schema: { hide: true },
        handler: async (request) => {
          const path = request.url.split('?')[0];
          throw createError('not_found', `No route ${request.method} ${path}: this Verdict server does not serve Retab's workflow ${name} API. The API it serves is described at /openapi.json.`, { path });
        },
      });
    }
  }
};
