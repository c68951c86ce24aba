import type { FastifyInstance } from 'fastify';
import type { ServerConfig } from './config.js';
import { dashboardPlugin } from './dashboard/index.js';
import { seedDemo } from './demo/seed.js';
import { buildApp } from './http/app.js';
import { startMetricsServer } from './http/metrics-server.js';
import { DEFAULT_ORGANIZATION } from './services/auth.js';
import { createRuntime, type Runtime } from './services/create.js';

export interface RunningServer {
  url: string;
  app: FastifyInstance;
  runtime: Runtime;
  /** The API key created by this start, to print; null when the store already had one. */
  newApiKey: string | null;
  /** The demo workflow seeded by this start, if any. */
  demoWorkflowId: string | null;
  close(): Promise<void>;
}

/** `verdict serve`: store, executor, HTTP API (and the dashboard when registered), listening. */
export async function startServer(config: ServerConfig, extensions: ((app: FastifyInstance) => Promise<void>)[] = [dashboardPlugin]): Promise<RunningServer> {
  const runtime = await createRuntime(config);
  const { services } = runtime;
  let demoWorkflowId: string | null = null;
  if (config.seedDemo) {
    const organization = await services.store.db.selectFrom('organizations').select('id').where('name', '=', DEFAULT_ORGANIZATION).executeTakeFirst();
    if (organization) demoWorkflowId = await seedDemo(services, organization.id);
  }
  if (config.worker) {
    await services.executor.start();
    await services.workflowRuns.start();
  }
  // Embedded, experiment runs execute in the serving process, which resumes them; distributed, on
  // the workers, whose sweep queues a live run that has no job (docs/experiments.md §8).
  await services.experimentRuns.start();
  const metrics = { token: config.metricsToken };
  const app = await buildApp({
    services,
    bodyLimitBytes: config.bodyLimitBytes,
    logger: config.logRequests,
    logLevel: config.logLevel,
    trustProxy: config.trustProxy,
    metrics,
    extensions,
  });
  await app.listen({ port: config.port, host: config.host });
  const metricsServer = config.metricsPort ? await startMetricsServer(services, metrics, { port: config.metricsPort, host: config.host }) : null;
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
  return {
    url: `http://${host}:${port}`,
    app,
    runtime,
    newApiKey: runtime.newApiKey,
    demoWorkflowId,
    async close() {
      await metricsServer?.close();
      await app.close();
      await runtime.close();
    },
  };
}
