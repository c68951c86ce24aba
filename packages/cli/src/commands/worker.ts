import { InvalidArgumentError, type Command } from 'commander';
import { exitWithParent, reportReady, STOP_SIGNALS } from '../supervise/supervised-process.js';
import { loadServer } from './context.js';

// Each job waits on Redis and the store around a sub-millisecond execution: a worker holds many at
// once to keep its sandbox threads busy (measured in bench/scale; 8 gave a third of the throughput).
const DEFAULT_CONCURRENCY = 64;

interface WorkerOptions {
  concurrency?: number;
  dataDir?: string;
}

function positiveInteger(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1) throw new InvalidArgumentError('expected a whole number of at least 1.');
  return parsed;
}

export function registerWorkerCommand(program: Command): void {
  program
    .command('worker')
    .description('Execute tests from the shared queue (VERDICT_REDIS_URL) on the shared store (VERDICT_DATABASE_URL); run as many as you need')
    .option('-c, --concurrency <n>', `tests this process holds at once, per queue (env VERDICT_CONCURRENCY, default ${DEFAULT_CONCURRENCY})`, positiveInteger)
    .option('-d, --data-dir <dir>', 'where uploaded files live, shared with the API processes (env VERDICT_DATA_DIR, default ./.verdict)')
    .option('--no-supervise', 'run the worker in this process, without the parent process that restarts it after a crash (for systemd, Kubernetes, …)')
    .action(async (options: WorkerOptions) => {
      exitWithParent();
      const env = { ...process.env };
      if (options.dataDir) env.VERDICT_DATA_DIR = options.dataDir;
      const flags = { worker: true, seedDemo: false, ...(options.concurrency ? { concurrency: options.concurrency } : {}) };
      const { configFromEnv, createRuntime } = await loadServer();
      const config = configFromEnv(env, flags, { concurrency: DEFAULT_CONCURRENCY });
      if (!config.redisUrl) {
        console.error('verdict worker: set VERDICT_REDIS_URL (redis://host:port) to the Redis shared with the API processes, and VERDICT_DATABASE_URL to their PostgreSQL.');
        process.exit(3);
      }
      const runtime = await createRuntime(config);
      await runtime.services.executor.start();
      const store = runtime.services.store;
      console.log(`Verdict worker executing up to ${config.concurrency} tests at once per queue, on ${store.dialect === 'postgres' ? 'PostgreSQL' : 'SQLite'} (${store.location})`);
      if (runtime.newApiKey) console.log(`  API key created on this start (shown once; keep it): ${runtime.newApiKey}`);
      let stopping = false;
      const drain = async (signal: string) => {
        if (stopping) return;
        stopping = true;
        console.log(`${signal}: taking no more tests; running tests finish or go back to the queue…`);
        await runtime.close();
        process.exit(0);
      };
      for (const signal of STOP_SIGNALS) process.on(signal, () => void drain(signal));
      reportReady(null);
    });
}
