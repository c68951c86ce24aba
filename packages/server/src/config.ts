import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { DEFAULT_MAX_OUTPUT_BYTES } from './execution/output-limits.js';
import { DEFAULT_PYTHON, DEFAULT_PYTHON_MEMORY_MB } from './execution/python/index.js';
import { DEFAULT_CHECK_TIMEOUT_MS } from './execution/sandbox/backstop.js';
import { DEFAULT_LIMITS, parseRateLimit, type LimitsConfig, type RateLimit } from './http/rate-limit.js';
import { KEY_CACHE_MS, MAX_KEY_CACHE_MS } from './services/auth.js';

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
  /** Python function blocks: the interpreter (`python3` on PATH, a path, or `off`), an operator package directory, the memory cap and the children at once. */
  python: { interpreter: string; packagesDir: string | null; memoryMb: number; processes: number };
  bodyLimitBytes: number;
  logRequests: boolean;
  /** Which proxies' X-Forwarded-For / -Proto are believed (Fastify's trustProxy); false: none. */
  trustProxy: boolean | number | string;
  /** How long a process keeps believing an API key it checked; a revoked key is refused within this. */
  keyCacheMs: number;
  /** Rate limits per address, key and session (http/rate-limit.ts). */
  limits: LimitsConfig;
  /** Bearer token for GET /metrics on the API port; without it the API port serves no metrics. */
  metricsToken: string | null;
  /** A separate port serving only /metrics (on `host`), for the operator's scraper. */
  metricsPort: number | null;
  /** The environment this config was read from; model and file settings are read from it too. */
  env: NodeJS.ProcessEnv;
}

function intFrom(value: string | undefined, fallback: number): number {
  const parsed = value === undefined ? NaN : Number.parseInt(value, 10);
  return Number.isFinite(parsed) && parsed > 0 ? parsed : fallback;
}

/** `true`, a hop count, or addresses and CIDR ranges (`10.0.0.0/8,127.0.0.1`); unset or `false`: trust no proxy. */
function trustProxyFrom(value: string | undefined): boolean | number | string {
  const text = value?.trim() ?? '';
  if (text === '' || text === 'false') return false;
  if (text === 'true') return true;
  return /^\d+$/.test(text) ? Number(text) : text;
}

function limitFrom(env: NodeJS.ProcessEnv, variable: string, fallback: RateLimit | null): RateLimit | null {
  const value = env[variable];
  return value === undefined || value.trim() === '' ? fallback : parseRateLimit(value, variable);
}

function limitsFromEnv(env: NodeJS.ProcessEnv): LimitsConfig {
  return {
    authFailuresPerAddress: limitFrom(env, 'VERDICT_RATE_LIMIT_AUTH_FAILURES', DEFAULT_LIMITS.authFailuresPerAddress),
    requestsPerKey: limitFrom(env, 'VERDICT_RATE_LIMIT_KEY_REQUESTS', DEFAULT_LIMITS.requestsPerKey),
    sessionsPerKey: limitFrom(env, 'VERDICT_RATE_LIMIT_SESSIONS', DEFAULT_LIMITS.sessionsPerKey),
    streamsPerSession: intFrom(env.VERDICT_MAX_STREAMS_PER_SESSION, DEFAULT_LIMITS.streamsPerSession),
    streamsPerOrganization: intFrom(env.VERDICT_MAX_STREAMS_PER_ORGANIZATION, DEFAULT_LIMITS.streamsPerOrganization),
  };
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
    python: {
      interpreter: env.VERDICT_PYTHON?.trim() || DEFAULT_PYTHON,
      packagesDir: env.VERDICT_PYTHON_PACKAGES ? resolve(env.VERDICT_PYTHON_PACKAGES) : null,
      memoryMb: intFrom(env.VERDICT_PYTHON_MEMORY_MB, DEFAULT_PYTHON_MEMORY_MB),
      processes: intFrom(env.VERDICT_PYTHON_PROCESSES, cores),
    },
    bodyLimitBytes: intFrom(env.VERDICT_BODY_LIMIT_BYTES, 10 * 1024 * 1024),
    logRequests: env.VERDICT_LOG_REQUESTS === '1',
    trustProxy: trustProxyFrom(env.VERDICT_TRUST_PROXY),
    keyCacheMs: Math.min(MAX_KEY_CACHE_MS, intFrom(env.VERDICT_KEY_CACHE_MS, KEY_CACHE_MS)),
    limits: limitsFromEnv(env),
    metricsToken: env.VERDICT_METRICS_TOKEN || null,
    metricsPort: intFrom(env.VERDICT_METRICS_PORT, 0) || null,
    env,
    ...overrides,
  };
}
