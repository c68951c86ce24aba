import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { readVariables, type Values } from './config/variables.js';
import type { DistributedOptions } from './execution/distributed/options.js';
import type { LimitsConfig } from './services/rate-limit.js';
import type { ModelConfig } from './model/config.js';

export { ConfigError } from './config/values.js';

/** The distributed executor's settings; the Redis URL is `ServerConfig.redisUrl`. */
export type DistributedSettings = Omit<DistributedOptions, 'redisUrl'>;

/** Everything a Verdict process reads from its environment and flags, in one place (config/variables.ts). */
export interface ServerConfig {
  port: number;
  host: string;
  dataDir: string;
  databaseUrl: string | null;
  /** PostgreSQL connections per process. */
  databasePoolSize: number;
  redisUrl: string | null;
  apiKey: string | null;
  /** Run tests in this process (false for API-only processes of a scaled-out deployment). */
  worker: boolean;
  seedDemo: boolean;
  /** Tests executing at once in this process. */
  concurrency: number;
  /** Results waiting to be written beyond which the embedded executor starts no test (memory bound while the store is slow). */
  maxUnwrittenResults: number;
  /** Workflow runs this process executes at once (VERDICT_MAX_RUNNING_WORKFLOW_RUNS); the rest wait, fairly by organization. */
  maxRunningWorkflowRuns: number;
  /** Sandbox worker threads for JavaScript function blocks. */
  sandboxThreads: number;
  sandboxMemoryMb: number;
  /** Largest output a block may produce (UTF-8 bytes of its JSON); a larger one blocks its test. */
  maxOutputBytes: number;
  /** How long the output_schema and assertion checks of one output may run before they are stopped and the test is blocked. */
  checkTimeoutMs: number;
  /** Python function blocks: the interpreter (`python3` on PATH, a path, or `off`), an operator package directory, the memory cap and the children at once. */
  python: { interpreter: string; packagesDir: string | null; memoryMb: number; /** Unset: the Python sandbox's default (twice the CPU cores). */ processes: number | undefined; /** PATH, where a bare interpreter name is looked up (the zygote itself gets no environment). */ lookupPath: string };
  bodyLimitBytes: number;
  /** Largest file in an upload or a test input. */
  maxFileBytes: number;
  /** The address clients reach this server at, for the absolute file URLs it hands out; null: each request's own scheme and host. */
  publicUrl: string | null;
  logRequests: boolean;
  logLevel: string;
  /** Which proxies' X-Forwarded-For / -Proto are believed (Fastify's trustProxy); false: none. */
  trustProxy: boolean | number | string;
  /** How long a process keeps believing an API key it checked; a revoked key is refused within this. */
  keyCacheMs: number;
  /** Rate limits per address, key and session (services/rate-limit.ts). */
  limits: LimitsConfig;
  /** Bearer token for GET /metrics on the API port; without it the API port serves no metrics. */
  metricsToken: string | null;
  /** A separate port serving only /metrics (on `host`), for the operator's scraper. */
  metricsPort: number | null;
  /** The model provider; null when none is configured (model-backed tests are then blocked, `provider_not_configured`). */
  model: ModelConfig | null;
  distributed: DistributedSettings;
}

/** What a kind of process uses when a variable is unset (`verdict worker` holds more tests at once). */
export interface ProcessDefaults {
  concurrency?: number;
}

/**
 * The model provider, or null when there is none: no `VERDICT_MODEL_BASE_URL` and no cache to
 * replay. Its answers are cached under `dataDir`.
 */
export function modelConfigOf(values: Values, dataDir: string): ModelConfig | null {
  const baseURL = values.VERDICT_MODEL_BASE_URL;
  if (baseURL === null && values.VERDICT_MODEL_CACHE !== 'replay') return null;
  return {
    baseURL,
    // Local servers (vLLM, Ollama, llama.cpp) ignore the key, but the openai client insists on one.
    apiKey: values.VERDICT_MODEL_API_KEY ?? 'not-needed',
    defaultModel: values.VERDICT_MODEL,
    embeddingModel: values.VERDICT_EMBEDDING_MODEL,
    concurrency: values.VERDICT_MODEL_CONCURRENCY,
    timeoutMs: values.VERDICT_MODEL_TIMEOUT_MS,
    maxRetries: values.VERDICT_MODEL_MAX_RETRIES,
    cacheMode: values.VERDICT_MODEL_CACHE,
    cacheDir: join(dataDir, 'model-cache'),
    structuredOutput: values.VERDICT_MODEL_STRUCTURED_OUTPUT,
  };
}

/** The model provider configured by `env` (see modelConfigOf). */
export function modelConfigFromEnv(env: NodeJS.ProcessEnv, dataDir: string): ModelConfig | null {
  return modelConfigOf(readVariables(env), dataDir);
}

function distributedSettingsOf(values: Values): DistributedSettings {
  return {
    prefix: values.VERDICT_REDIS_PREFIX,
    windowPerRun: values.VERDICT_QUEUE_WINDOW,
    modelRateLimitPerSecond: values.VERDICT_MODEL_RATE_LIMIT,
    lockDurationMs: values.VERDICT_WORKER_LOCK_MS,
    stalledIntervalMs: values.VERDICT_WORKER_STALLED_CHECK_MS,
    drainTimeoutMs: values.VERDICT_WORKER_DRAIN_MS,
    blockExecutionPickupMs: values.VERDICT_BLOCK_EXECUTION_PICKUP_MS,
  };
}

function limitsOf(values: Values): LimitsConfig {
  return {
    authFailuresPerAddress: values.VERDICT_RATE_LIMIT_AUTH_FAILURES,
    requestsPerKey: values.VERDICT_RATE_LIMIT_KEY_REQUESTS,
    sessionsPerKey: values.VERDICT_RATE_LIMIT_SESSIONS,
    runRowsPerOrganization: values.VERDICT_RATE_LIMIT_RUN_ROWS,
    streamsPerSession: values.VERDICT_MAX_STREAMS_PER_SESSION,
    streamsPerOrganization: values.VERDICT_MAX_STREAMS_PER_ORGANIZATION,
  };
}

/**
 * The configuration of a process from its environment (config/variables.ts), with `overrides`
 * from flags and tests on top. A value a variable cannot take throws ConfigError naming the
 * variable, the value and what it accepts: the process refuses to start.
 */
export function configFromEnv(env: NodeJS.ProcessEnv = process.env, overrides: Partial<ServerConfig> = {}, defaults: ProcessDefaults = {}): ServerConfig {
  const values = readVariables(env);
  const sandboxThreads = values.VERDICT_SANDBOX_THREADS ?? availableParallelism();
  const dataDir = overrides.dataDir ?? resolve(values.VERDICT_DATA_DIR);
  return {
    port: values.PORT,
    host: values.HOST,
    dataDir,
    databaseUrl: values.VERDICT_DATABASE_URL,
    databasePoolSize: values.VERDICT_DATABASE_POOL_SIZE,
    redisUrl: values.VERDICT_REDIS_URL,
    apiKey: values.VERDICT_API_KEY,
    worker: true,
    seedDemo: true,
    concurrency: values.VERDICT_CONCURRENCY ?? defaults.concurrency ?? Math.max(32, sandboxThreads * 16),
    maxUnwrittenResults: values.VERDICT_MAX_UNWRITTEN_RESULTS,
    maxRunningWorkflowRuns: values.VERDICT_MAX_RUNNING_WORKFLOW_RUNS,
    sandboxThreads,
    sandboxMemoryMb: values.VERDICT_SANDBOX_MEMORY_MB,
    maxOutputBytes: values.VERDICT_MAX_OUTPUT_BYTES,
    checkTimeoutMs: values.VERDICT_CHECK_TIMEOUT_MS,
    python: {
      interpreter: values.VERDICT_PYTHON,
      packagesDir: values.VERDICT_PYTHON_PACKAGES === null ? null : resolve(values.VERDICT_PYTHON_PACKAGES),
      memoryMb: values.VERDICT_PYTHON_MEMORY_MB,
      processes: values.VERDICT_PYTHON_PROCESSES ?? undefined,
      lookupPath: env.PATH ?? hostSearchPath(),
    },
    bodyLimitBytes: values.VERDICT_BODY_LIMIT_BYTES,
    maxFileBytes: values.VERDICT_MAX_FILE_BYTES,
    publicUrl: values.VERDICT_PUBLIC_URL,
    logRequests: values.VERDICT_LOG_REQUESTS,
    logLevel: values.VERDICT_LOG_LEVEL,
    trustProxy: values.VERDICT_TRUST_PROXY,
    keyCacheMs: values.VERDICT_KEY_CACHE_MS,
    limits: limitsOf(values),
    metricsToken: values.VERDICT_METRICS_TOKEN,
    metricsPort: values.VERDICT_METRICS_PORT,
    model: modelConfigOf(values, dataDir),
    distributed: distributedSettingsOf(values),
    ...overrides,
  };
}

/** Where this process finds programs by name (PATH): the Python interpreter is looked up there. */
export function hostSearchPath(): string {
  return process.env.PATH ?? '';
}
