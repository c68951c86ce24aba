import fastifySwagger from '@fastify/swagger';
import Fastify, { type FastifyInstance } from 'fastify';
import {
  jsonSchemaTransform,
  jsonSchemaTransformObject,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import type { Services } from '../services/index.js';
import { requireApiKey } from './auth.js';
import { installErrorHandling, malformedUrl, MAX_PATH_SEGMENT_CHARACTERS } from './error-handler.js';
import { parseJsonBody, refuseUnsafeText } from './input-guards.js';
import { apiRoutes } from '../routes/index.js';
import { healthRoutes, type MetricsOptions } from '../routes/health.js';
import { signedFileRoutes } from '../routes/signed-files.js';

declare module 'fastify' {
  interface FastifyInstance {
    services: Services;
  }
}

export interface AppOptions {
  services: Services;
  /** Largest accepted request body; documented in README (default 10 MiB). */
  bodyLimitBytes?: number;
  logger?: boolean;
  /** The request log's level (VERDICT_LOG_LEVEL); `info` by default. */
  logLevel?: string;
  /** Which proxies' X-Forwarded-For / -Proto to believe (VERDICT_TRUST_PROXY); none by default. */
  trustProxy?: boolean | number | string;
  /** GET /metrics on this port needs the metrics token; without one it is refused (see routes/health.ts). */
  metrics?: MetricsOptions;
  /** Extra plugins registered at the root (the dashboard), given the app after the API is set up. */
  extensions?: ((app: FastifyInstance) => Promise<void>)[];
}

export const DEFAULT_BODY_LIMIT_BYTES = 10 * 1024 * 1024;

function routePattern(url: string): RegExp {
  const escaped = url.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/:[A-Za-z_]+/g, '[^/]+');
  return new RegExp(`^${escaped}/?$`);
}

/** A hop count trusts that many proxies in front of the server (Fastify's types lack the number form). */
function trustedProxies(setting: boolean | number | string): boolean | string | ((address: string, hop: number) => boolean) {
  return typeof setting === 'number' ? (_address, hop) => hop < setting : setting;
}

export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    logger: options.logger ? { level: options.logLevel ?? 'info' } : false,
    bodyLimit: options.bodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES,
    trustProxy: trustedProxies(options.trustProxy ?? false),
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: MAX_PATH_SEGMENT_CHARACTERS },
    frameworkErrors: malformedUrl,
    requestIdHeader: 'x-request-id',
    genReqId: () => `req_${Math.random().toString(36).slice(2, 12)}`,
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.decorate('services', options.services);

  const routes: { method: string; pattern: RegExp }[] = [];
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) routes.push({ method, pattern: routePattern(route.url) });
  });
  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
    reply.header('x-content-type-options', 'nosniff');
  });
  installErrorHandling(app, () => routes);
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, parseJsonBody);
  refuseUnsafeText(app);

  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Verdict API',
        version: '0.1.0',
        description: "Regression tests for workflow blocks. Wire-compatible with Retab's workflow-tests API under both of its names, /v1/workflows/tests and /v1/workflows/evals (see docs/compatibility.md).",
      },
      components: {
        securitySchemes: {
          ApiKey: { type: 'apiKey', in: 'header', name: 'Api-Key' },
          Bearer: { type: 'http', scheme: 'bearer' },
        },
      },
      security: [{ ApiKey: [] }, { Bearer: [] }],
    },
    transform: jsonSchemaTransform,
    transformObject: jsonSchemaTransformObject,
  });
  await app.register(healthRoutes(options.metrics ?? { token: null }));
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  await app.register(async (api) => {
    requireApiKey(api, options.services.auth, options.services.sessionPrincipal);
    await api.register(apiRoutes, { prefix: '/v1' });
  });
  // Outside the API key's plugin: these URLs are authorised by their signature alone.
  await app.register(signedFileRoutes, { prefix: '/v1' });
  for (const extension of options.extensions ?? []) await extension(app);
  return app;
}
