import type { ServerConfig } from '../config.js';
import { answerSchemaCheckIn } from '../execution/answer-checks.js';
import { ClassifierBlockExecutor } from '../execution/blocks/classifier.js';
import { ExtractBlockExecutor } from '../execution/blocks/extract.js';
import { FunctionBlockExecutor } from '../execution/blocks/function.js';
import { SplitBlockExecutor } from '../execution/blocks/split.js';
import { BlobStore, createBlobFileService, FileUrlSigner, UploadService } from '../files/index.js';
import { connectSharedThrottle, ModelAssertionProvider, ModelClient } from '../model/index.js';
import { fileRecords } from '../store/files.js';
import { fileUrlSecret, uploadRecords } from '../store/file-uploads.js';
import { DistributedExecutor } from '../execution/distributed/index.js';
import type { Executor } from '../execution/executor.js';
import { LocalExecutor } from '../execution/local-executor.js';
import { PythonSandbox } from '../execution/python/index.js';
import { SandboxPool } from '../execution/sandbox/index.js';
import { TestRunner } from '../execution/test-runner.js';
import { openStore } from '../store/database.js';
import { finishCancelledRuns } from '../store/transitions/index.js';
import { createSessionPrincipal } from './sessions.js';
import { Limits } from './rate-limit.js';
import { ApiKeyAuthenticator, ensureBootstrapKey } from './auth.js';
import type { Services } from './index.js';
import { TestRunService } from './test-runs.js';
import { WorkflowRunService } from './workflow-runs/service.js';
import { BlockExecutionService } from './workflow-runs/block-executions.js';
import { createWorkflowRunEngine } from '../execution/workflow-run/index.js';
import { ExperimentService } from './experiments.js';
import { ExperimentMetricsService } from './experiment-metrics.js';
import { ExperimentExecutor } from '../execution/experiment-executor.js';

export interface Runtime {
  services: Services;
  /** The key created on this start (first start, or VERDICT_API_KEY new to the store); null otherwise. */
  newApiKey: string | null;
  close(): Promise<void>;
}

/** Opens the store, creates the executor and everything routes need. The caller starts the executor. */
export async function createRuntime(config: ServerConfig): Promise<Runtime> {
  const store = await openStore(config);
  // A cancel on SQLite writes its rows just after its answer: finish any a stopped process left.
  if (store.holdReads) await finishCancelledRuns(store.db);
  const { newKey } = await ensureBootstrapKey(store, config.apiKey);
  const sandbox = config.worker
    ? new SandboxPool({ size: config.sandboxThreads, memoryLimitMb: config.sandboxMemoryMb, maxOutputBytes: config.maxOutputBytes, checkTimeoutMs: config.checkTimeoutMs })
    : null;
  // Nothing starts here: the zygote starts with the first Python test. The interpreter is looked up
  // on this process's PATH; the zygote itself gets an empty environment.
  const python = config.worker ? new PythonSandbox({ ...config.python, maxOutputBytes: config.maxOutputBytes, env: { PATH: config.python.lookupPath } }) : null;
  const answerChecks = { maxAnswerBytes: config.maxOutputBytes, ...(sandbox ? { checkSchema: answerSchemaCheckIn(sandbox) } : {}) };
  // Every worker of a distributed deployment keeps to one model limit, through Redis.
  const sharedThrottle = config.model && config.redisUrl && config.worker ? connectSharedThrottle(config.redisUrl, config.distributed.prefix) : null;
  const models = config.model ? new ModelClient(config.model, { ...answerChecks, shared: sharedThrottle?.throttle ?? null }) : null;
  const assertionProvider = models ? new ModelAssertionProvider(models) : null;
  const fileStorage = { blobs: new BlobStore(config.dataDir), maxFileBytes: config.maxFileBytes, records: fileRecords(store.db) };
  const files = createBlobFileService(fileStorage);
  const uploads = new UploadService({
    ...fileStorage,
    files: fileStorage.records,
    uploads: uploadRecords(store.db),
    signer: new FileUrlSigner(await fileUrlSecret(store.db)),
    publicUrl: config.publicUrl,
  });
  const executors = [new ExtractBlockExecutor({ models }), new ClassifierBlockExecutor({ models }), new SplitBlockExecutor({ models })];
  const blockExecutors = sandbox ? [new FunctionBlockExecutor(sandbox, python), ...executors] : executors;
  const runner = new TestRunner(store, blockExecutors, files, assertionProvider, sandbox);
  const workflowRunEngine = createWorkflowRunEngine(store, blockExecutors, files, config.maxRunningWorkflowRuns);
  const experimentExecutor = new ExperimentExecutor(store, executors, files, { concurrency: config.concurrency });
  const distributed = config.redisUrl
    ? new DistributedExecutor(store, { redisUrl: config.redisUrl, ...config.distributed }, config.worker
        ? // The block execution service is built below; a job reaches it only once the runtime is running.
          {
            runner,
            concurrency: config.concurrency,
            workflowRuns: workflowRunEngine,
            blockExecutions: (job, signal) => services.blockExecutions.executeJob(job, signal),
            experimentRuns: (organizationId, runId, signal) => experimentExecutor.executeRun(organizationId, runId, signal),
          }
        : null, { slotsPerWorker: config.concurrency })
    : null;
  const executor: Executor = distributed ?? new LocalExecutor(store, runner, { concurrency: config.concurrency, maxUnwrittenResults: config.maxUnwrittenResults });
  // Distributed, workflow runs execute on the workers as test runs do; embedded, in this process.
  const workflowRuns = new WorkflowRunService(store, distributed?.workflowRuns ?? workflowRunEngine, files);
  // Experiment runs likewise: on the workers when distributed, in this process when embedded.
  const experimentRuns = distributed?.experimentRuns ?? experimentExecutor;
  const experiments = new ExperimentService({ store, files, executor: experimentRuns, workflowRuns });
  const limits = new Limits(config.limits);
  const services: Services = {
    store,
    auth: new ApiKeyAuthenticator(store, { cacheMs: config.keyCacheMs }),
    limits,
    runs: new TestRunService(store, executor, limits),
    workflowRuns,
    // Distributed, block executions execute on the workers too: an API-only process has no sandbox.
    blockExecutions: new BlockExecutionService(store, workflowRunEngine, workflowRuns, distributed?.blockExecutions ?? null),
    executor,
    experiments,
    experimentMetrics: new ExperimentMetricsService(store, experiments),
    experimentRuns,
    files,
    fileStorage,
    uploads,
    assertionProvider,
    sessionPrincipal: createSessionPrincipal({ store }),
  };
  return {
    services,
    newApiKey: newKey,
    async close() {
      await executor.stop();
      await workflowRunEngine.close();
      await experimentExecutor.stop();
      await services.runs.close();
      await sandbox?.close();
      await python?.close();
      await sharedThrottle?.close();
      await store.close();
    },
  };
}
