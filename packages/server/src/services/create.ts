import type { ServerConfig } from '../config.js';
import { FunctionBlockExecutor } from '../execution/blocks/function.js';
import type { Executor } from '../execution/executor.js';
import { LocalExecutor } from '../execution/local-executor.js';
import { SandboxPool } from '../execution/sandbox/index.js';
import { TestRunner } from '../execution/test-runner.js';
import { openStore } from '../store/database.js';
import { ApiKeyAuthenticator, ensureBootstrapKey } from './auth.js';
import { noFileSupport } from './files.js';
import type { Services } from './index.js';
import { TestRunService } from './test-runs.js';

export interface Runtime {
  services: Services;
  /** The key created on this start (first start, or VERDICT_API_KEY new to the store); null otherwise. */
  newApiKey: string | null;
  close(): Promise<void>;
}

/** Opens the store, creates the executor and everything routes need. The caller starts the executor. */
export async function createRuntime(config: ServerConfig): Promise<Runtime> {
  const store = await openStore({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  const { newKey } = await ensureBootstrapKey(store, config.apiKey);
  const files = noFileSupport;
  const sandbox = config.worker ? new SandboxPool({ size: config.sandboxThreads, memoryLimitMb: config.sandboxMemoryMb }) : null;
  const runner = new TestRunner(store, sandbox ? [new FunctionBlockExecutor(sandbox)] : [], files, null);
  const executor: Executor = new LocalExecutor(store, runner, { concurrency: config.concurrency });
  const services: Services = {
    store,
    auth: new ApiKeyAuthenticator(store),
    runs: new TestRunService(store, executor),
    executor,
    files,
    assertionProvider: null,
  };
  return {
    services,
    newApiKey: newKey,
    async close() {
      await executor.stop();
      await sandbox?.close();
      await store.close();
    },
  };
}
