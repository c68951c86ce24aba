import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { DEFAULT_MAX_OUTPUT_BYTES } from './execution/output-limits.js';
import { DEFAULT_CHECK_TIMEOUT_MS } from './execution/sandbox/backstop.js';

/** Everything a Verdict process reads from its environment and flags, in one place. */
export interface ServerConfig {
  port: number;
  host: string;
  dataDir: string;
  databaseUrl: string | null;
  redisUrl: string | null;
  apiKey: string | null;
  /** Run tests in this process (false for API-only processes of a scaled-out deployment). */
  worker: boolean;
  seedDemo: boolean;
  /** Tests executing at once in this process. */
  concurrency: number;
  /** Results waiting to be written beyond which the embedded executor starts no test (memory bound while the store is slow). */
  maxUnwrittenResults: number;
  /** Sandbox worker threads for JavaScript function blocks. */
  sandboxThreads: number;
  sandboxMemoryMb: number;
  /** Largest output a block may produce (UTF-8 bytes of its JSON); a larger one blocks its test. */
  maxOutputBytes: number;
  /** How long the output_schema and assertion checks of one output may run before they are stopped and the test is blocked. */
  checkTimeoutMs: number;
  bodyLimitBytes: number;
  logRequests: boolean;
  /** The environment this config was read from; model and file settings are read from it too. */
  env: NodeJS.ProcessEnv;
}

function intFrom(value: string | undefined, fallback: number): number {
  const parsed = value === undefined ? NaN : Number.parseInt(value, 10);
  return Number.isFinite(parsed) && parsed > 0 ? parsed : fallback;
}

export function configFromEnv(env: NodeJS.ProcessEnv = process.env, overrides: Partial<ServerConfig> = {}): ServerConfig {
  const cores = availableParallelism();
  const sandboxThreads = intFrom(env.VERDICT_SANDBOX_THREADS, cores);
  return {
    port: intFrom(env.PORT, 8787),
    host: env.HOST ?? '127.0.0.1',
    dataDir: resolve(env.VERDICT_DATA_DIR ?? '.verdict'),
    databaseUrl: env.VERDICT_DATABASE_URL || null,
    redisUrl: env.VERDICT_REDIS_URL || null,
    apiKey: env.VERDICT_API_KEY || null,
    worker: true,
    seedDemo: true,
    concurrency: intFrom(env.VERDICT_CONCURRENCY, Math.max(32, sandboxThreads * 16)),
    maxUnwrittenResults: intFrom(env.VERDICT_MAX_UNWRITTEN_RESULTS, 2048),
    sandboxThreads,
    sandboxMemoryMb: intFrom(env.VERDICT_SANDBOX_MEMORY_MB, 128),
    maxOutputBytes: intFrom(env.VERDICT_MAX_OUTPUT_BYTES, DEFAULT_MAX_OUTPUT_BYTES),
    checkTimeoutMs: intFrom(env.VERDICT_CHECK_TIMEOUT_MS, DEFAULT_CHECK_TIMEOUT_MS),
    bodyLimitBytes: intFrom(env.VERDICT_BODY_LIMIT_BYTES, 10 * 1024 * 1024),
    logRequests: env.VERDICT_LOG_REQUESTS === '1',
    env,
    ...overrides,
  };
}
