import Fastify, { type FastifyInstance } from 'fastify';
import { metricsRoute, type MetricsOptions } from '../routes/health.js';
import type { Services } from '../services/index.js';
import { installErrorHandling } from './error-handler.js';

/** `VERDICT_METRICS_PORT`: a listener that serves only /metrics, for a scraper on the operator's network (the token, when set, is required here too). */
export async function startMetricsServer(services: Services, metrics: MetricsOptions, address: { port: number; host: string }): Promise<FastifyInstance> {
  const app = Fastify({ logger: false });
  app.decorate('services', services);
  installErrorHandling(app, () => []);
  await app.register(metricsRoute({ ...metrics, tokenRequired: metrics.token !== null }));
  await app.listen(address);
  return app;
}
