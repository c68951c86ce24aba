import type { Command } from 'commander';
import { exitWithParent, reportReady, STOP_SIGNALS } from '../supervise/supervised-process.js';
import { loadServer } from './context.js';

interface ServeOptions {
  port?: string;
  host?: string;
  dataDir?: string;
  worker: boolean;
  demo: boolean;
}

export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description('Serve the API (and run tests in this process) on the embedded SQLite store, or on VERDICT_DATABASE_URL')
    .option('-p, --port <port>', 'port to listen on (env PORT, default 8787)')
    .option('--host <host>', 'address to bind (env HOST, default 127.0.0.1)')
    .option('-d, --data-dir <dir>', 'where the SQLite store and files live (env VERDICT_DATA_DIR, default ./.verdict)')
    .option('--no-worker', 'serve the API only; tests run in `verdict worker` processes')
    .option('--no-demo', 'do not seed the demo workflow on a first start')
    .option('--no-supervise', 'run the server in this process, without the parent process that restarts it after a crash (for systemd, Kubernetes, …)')
    .action(async (options: ServeOptions) => {
      exitWithParent();
      const env = { ...process.env };
      if (options.port) env.PORT = options.port;
      if (options.host) env.HOST = options.host;
      if (options.dataDir) env.VERDICT_DATA_DIR = options.dataDir;
      const { configFromEnv, DEMO_TEST_COUNT, startServer } = await loadServer();
      const config = configFromEnv(env, { worker: options.worker, seedDemo: options.demo });
      const server = await startServer(config);
      const where = config.databaseUrl ? `PostgreSQL (${server.runtime.services.store.location})` : `SQLite (${server.runtime.services.store.location})`;
      console.log(`Verdict is serving ${server.url} on ${where}`);
      console.log(`  API reference: ${server.url}/openapi.json`);
      if (server.newApiKey) console.log(`  API key (shown once; keep it): ${server.newApiKey}`);
      else console.log('  API key: use the key printed on first start, VERDICT_API_KEY, or `verdict keys create`');
      if (server.demoWorkflowId) {
        const key = server.newApiKey ?? '<your key>';
        console.log(`  Demo workflow ${server.demoWorkflowId} seeded with ${DEMO_TEST_COUNT} tests. Run them:`);
        console.log(`    VERDICT_BASE_URL=${server.url} VERDICT_API_KEY=${key} npx verdict runs create ${server.demoWorkflowId} --wait`);
      }
      const shutdown = async (signal: string) => {
        console.log(`\n${signal}: stopping (in-flight tests are handed back for the next start)…`);
        await server.close();
        process.exit(0);
      };
      for (const signal of STOP_SIGNALS) process.once(signal, () => void shutdown(signal));
      const address = server.app.server.address();
      reportReady(typeof address === 'object' && address ? address.port : null);
    });
}
