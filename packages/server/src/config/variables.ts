import { DEFAULT_MAX_OUTPUT_BYTES } from '../limits/output-limits.js';
import { DEFAULT_CHECK_TIMEOUT_MS } from '../execution/sandbox/backstop.js';
import { DEFAULT_MAX_FILE_BYTES } from '../files/limits.js';
import { DEFAULT_BODY_LIMIT_BYTES } from '../http/app.js';
import { DEFAULT_LIMITS } from '../services/rate-limit.js';
import { DEFAULT_MODEL_CONCURRENCY, DEFAULT_MODEL_MAX_RETRIES, DEFAULT_MODEL_TIMEOUT_MS, type ModelCacheMode, type StructuredOutputMode } from '../model/config.js';
import { KEY_CACHE_MS, MAX_KEY_CACHE_MS } from '../services/auth.js';
import { DEFAULT_DATABASE_POOL_SIZE } from '../store/database.js';
import { ConfigError, integer, onOff, oneOf, positiveNumber, rateLimit, text, trustProxy, url, type ValueKind } from './values.js';

interface VariableDoc {
  /** What it sets (Markdown, for the configuration table). */
  meaning: string;
  /** The default as the docs say it, when its value alone does not say it. */
  defaultText?: string;
  /** The `verdict serve` flag that sets it too. */
  flag?: string;
}

export interface Variable<T> extends VariableDoc {
  kind: ValueKind<T>;
  /** The value when the variable is unset or empty; null means "none". */
  fallback: T;
}

function variable<T>(kind: ValueKind<T>, fallback: T, doc: VariableDoc): Variable<T> {
  return { kind, fallback, ...doc };
}

function optional<T>(kind: ValueKind<T>, doc: VariableDoc): Variable<T | null> {
  return { kind, fallback: null, ...doc };
}

const positive = integer(1);

/**
 * Every variable a Verdict process reads: this table is the only reader of the environment
 * (`readVariables`), and the README's configuration table is generated from it
 * (`node scripts/configuration-table.mjs`). Test-only variables (VERDICT_TEST_*) stay in the test
 * harness.
 */
export const VARIABLES = {
  // The process
  PORT: variable(integer(0, 65535), 8787, { flag: '--port', meaning: 'HTTP port (`0`: any free port)' }),
  HOST: variable(text, '127.0.0.1', { flag: '--host', meaning: 'address to bind (`0.0.0.0` to expose it)' }),
  VERDICT_DATA_DIR: variable(text, '.verdict', {
    flag: '--data-dir',
    defaultText: '`./.verdict`',
    meaning: 'SQLite file, uploaded files (content-addressed blobs), model response cache',
  }),
  VERDICT_API_KEY: optional(text, {
    meaning: 'makes this key valid for the default organization (for scripts and CI); otherwise a key is generated and printed on the first start',
  }),
  VERDICT_LOG_REQUESTS: variable(onOff, false, { meaning: '`1` logs every request as JSON (a 5xx is always logged on stderr: a defect with its stack, a 503 `workers_unavailable` as one line)' }),
  VERDICT_LOG_LEVEL: variable(oneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']), 'info', {
    meaning: 'the level of the request log that `VERDICT_LOG_REQUESTS` turns on',
  }),

  // The store and the queue
  VERDICT_DATABASE_URL: optional(url(['postgres', 'postgresql'], 'postgres://verdict@db/verdict'), {
    defaultText: 'none (SQLite)',
    meaning: '`postgres://…` to use PostgreSQL',
  }),
  VERDICT_DATABASE_POOL_SIZE: variable(positive, DEFAULT_DATABASE_POOL_SIZE, { meaning: 'PostgreSQL connections per process; about 4 per process when many workers share one database (with PgBouncer in front)' }),
  VERDICT_REDIS_URL: optional(url(['redis', 'rediss'], 'redis://127.0.0.1:6379'), {
    meaning: '`redis://…` to distribute test execution over worker processes (see below)',
  }),
  VERDICT_REDIS_PREFIX: variable(text, 'verdict', { meaning: 'namespace of every Redis key Verdict writes; deployments that share one Redis need distinct prefixes' }),
  VERDICT_QUEUE_WINDOW: variable(positive, 2000, { meaning: "jobs of one run in Redis at once; the rest of the run's tests wait in the store" }),
  VERDICT_WORKER_LOCK_MS: variable(positive, 3000, { meaning: 'a worker that stops renewing its job locks for this long is presumed dead, and its tests run again elsewhere' }),
  VERDICT_WORKER_STALLED_CHECK_MS: variable(positive, 1000, { meaning: 'how often workers look for jobs whose lock expired' }),
  VERDICT_WORKER_DRAIN_MS: variable(positive, 10_000, { meaning: 'on `SIGTERM`, how long running tests get to finish before they are handed back to the queue' }),
  VERDICT_BLOCK_EXECUTION_PICKUP_MS: variable(positive, 10_000, { meaning: 'how long an API process waits for a worker to take a block execution (`POST /v1/workflows/blocks/executions`) before answering 503 `workers_unavailable`' }),

  // Execution
  VERDICT_CONCURRENCY: optional(positive, {
    defaultText: '16 × sandbox threads (at least 32); 64 for `verdict worker`',
    meaning:
      'tests executing at once in one process (a sandbox thread is handed up to 16 jobs per message), shared fairly among organizations; an organization below its fair share may go beyond it, up to twice it in all; a worker lets one organization hold at most three quarters of it per queue',
  }),
  VERDICT_MAX_RUNNING_WORKFLOW_RUNS: variable(positive, 64, {
    meaning:
      'workflow runs one process executes at once (up to 8 steps each); more wait `pending`, each organization in its own line, and a free place goes to the organization with the fewest runs executing. With Redis, runs are worker jobs bounded by `VERDICT_CONCURRENCY` instead',
  }),
  VERDICT_MAX_UNWRITTEN_RESULTS: variable(positive, 2048, {
    meaning: 'results waiting to be written beyond which the embedded executor starts no new test, so a slow or stalled store bounds memory instead of growing it',
  }),
  VERDICT_SANDBOX_THREADS: optional(positive, {
    defaultText: 'CPU cores',
    meaning:
      "worker threads that run JavaScript function blocks, shared fairly among organizations; as many again may start for a while when one organization's long jobs hold every thread while another waits",
  }),
  VERDICT_SANDBOX_MEMORY_MB: variable(positive, 128, { meaning: 'memory cap of each sandbox thread' }),
  VERDICT_PYTHON: variable(text, 'python3', {
    meaning: 'the Python interpreter for Python function blocks (a name on PATH or a path); `off` runs none (Python tests are blocked saying so)',
  }),
  VERDICT_PYTHON_PACKAGES: optional(text, { meaning: "an operator's directory of extra Python packages, readable (read-only) by Python function blocks" }),
  VERDICT_PYTHON_MEMORY_MB: variable(positive, 256, { meaning: 'memory cap of each Python test (its process), above what the interpreter already holds' }),
  VERDICT_PYTHON_PROCESSES: optional(positive, { defaultText: 'twice the CPU cores', meaning: 'Python tests running at once in this process, shared fairly among organizations' }),
  VERDICT_MAX_OUTPUT_BYTES: variable(positive, DEFAULT_MAX_OUTPUT_BYTES, {
    defaultText: '`4194304` (4 MiB)',
    meaning:
      "largest output a block may produce (UTF-8 bytes of its JSON, a transform's return value or a model's answer); a larger one, or one nested deeper than 128 levels, blocks its test (`output_too_large` / `output_too_deep`)",
  }),
  VERDICT_CHECK_TIMEOUT_MS: variable(positive, DEFAULT_CHECK_TIMEOUT_MS, {
    meaning:
      "how long the checks of one output (`output_schema`, an extract block's `json_schema`, the assertion) may run in their sandbox thread; past it the thread is stopped and the test is `blocked`, saying so",
  }),
  VERDICT_BODY_LIMIT_BYTES: variable(positive, DEFAULT_BODY_LIMIT_BYTES, {
    defaultText: '`10485760` (10 MiB)',
    meaning: 'largest JSON request body; a larger one gets 413 `payload_too_large`',
  }),
  VERDICT_MAX_FILE_BYTES: variable(positive, DEFAULT_MAX_FILE_BYTES, {
    defaultText: '`20971520` (20 MiB)',
    meaning: 'largest file in `POST /v1/files`, an upload (`POST /v1/files/upload`) or a test input',
  }),
  VERDICT_PUBLIC_URL: optional(url(['http', 'https'], 'https://verdict.example.com'), {
    defaultText: "the request's own scheme and host",
    meaning: 'the address clients reach Verdict at, for the absolute URLs it hands out (`upload_url`, `download_url`, a file\'s `mime_data.url`)',
  }),

  // The model server
  VERDICT_MODEL_BASE_URL: optional(url(['http', 'https'], 'http://127.0.0.1:11434/v1'), {
    meaning: 'an OpenAI-compatible server (OpenAI, vLLM, Ollama, llama.cpp…) for `extract`, `classifier`, `split` and model-judged assertions',
  }),
  VERDICT_MODEL_API_KEY: optional(text, { meaning: 'its key' }),
  VERDICT_MODEL: optional(text, { meaning: "the model for Retab's aliases `retab-micro`, `retab-small`, `retab-large`, and for blocks that name no model" }),
  VERDICT_EMBEDDING_MODEL: optional(text, { meaning: 'the model for `similarity_gte` with `method: embeddings`' }),
  VERDICT_MODEL_CONCURRENCY: variable(positive, DEFAULT_MODEL_CONCURRENCY, {
    meaning: "the most model calls in flight at once per process; below it the limit is found by itself (from 8: grows while answers come back, shrinks on 429 and pauses for `Retry-After`, shared by all workers through Redis)",
  }),
  VERDICT_MODEL_TIMEOUT_MS: variable(positive, DEFAULT_MODEL_TIMEOUT_MS, { meaning: 'timeout of one model call' }),
  VERDICT_MODEL_MAX_RETRIES: variable(integer(0), DEFAULT_MODEL_MAX_RETRIES, { meaning: 'retries on 429 (honours `Retry-After`), 5xx and network errors, with backoff' }),
  VERDICT_MODEL_STRUCTURED_OUTPUT: variable(oneOf<StructuredOutputMode>(['auto', 'json_schema', 'json_object', 'prompt']), 'auto', {
    meaning: '`auto` tries JSON-schema response formats and falls back to JSON mode plus validation and one repair turn',
  }),
  VERDICT_MODEL_CACHE: variable(oneOf<ModelCacheMode>(['off', 'readwrite', 'replay']), 'off', {
    meaning: '`readwrite` records model answers under the data dir, per organization; `replay` answers only from that record (an organization replays only its own answers), so a suite runs without a model server',
  }),
  VERDICT_MODEL_RATE_LIMIT: optional(positiveNumber, { meaning: 'the most model-backed tests started per second across all workers (distributed execution); unset, the model server\'s 429s set the pace' }),

  // Access and limits
  VERDICT_METRICS_TOKEN: optional(text, { meaning: 'bearer token for `GET /metrics` on the API port; without one the API port answers `/metrics` with 401' }),
  VERDICT_METRICS_PORT: optional(integer(1, 65535), {
    meaning: "a second port (on `HOST`) that serves only `GET /metrics`, for Prometheus on the operator's network; it requires `VERDICT_METRICS_TOKEN` too when that is set",
  }),
  VERDICT_TRUST_PROXY: variable(trustProxy, false, {
    defaultText: 'off',
    meaning:
      'the reverse proxy in front of Verdict: `1` (one proxy; the usual setting behind a TLS terminator), a hop count, `true`, or its addresses / CIDR ranges (`10.0.0.0/8,127.0.0.1`). Only then are `X-Forwarded-Proto` (session cookies get `Secure` behind HTTPS) and `X-Forwarded-For` (the client address that rate limits count) believed',
  }),
  VERDICT_KEY_CACHE_MS: variable(integer(1, MAX_KEY_CACHE_MS), KEY_CACHE_MS, {
    meaning: 'how long a process keeps believing an API key it checked; a revoked key is refused by every process within this',
  }),
  VERDICT_RATE_LIMIT_AUTH_FAILURES: variable(rateLimit, DEFAULT_LIMITS.authFailuresPerAddress, {
    defaultText: '`20/1m`',
    meaning: 'wrong API keys and failed dashboard sign-ins per client address, then 429 `rate_limited` with `Retry-After`; a valid key from that address is still served',
  }),
  VERDICT_RATE_LIMIT_KEY_REQUESTS: variable(rateLimit, DEFAULT_LIMITS.requestsPerKey, {
    defaultText: '`2000/1s`',
    meaning: 'requests per API key (dashboard calls count for the key that signed in), then 429; `off` for benchmarks',
  }),
  VERDICT_RATE_LIMIT_SESSIONS: variable(rateLimit, DEFAULT_LIMITS.sessionsPerKey, { defaultText: '`20/1m`', meaning: 'dashboard sign-ins per API key, then 429' }),
  VERDICT_RATE_LIMIT_RUN_ROWS: variable(rateLimit, DEFAULT_LIMITS.runRowsPerOrganization, {
    defaultText: '`500000/1m`',
    meaning: 'result rows of test runs an organization creates (one per test), counted once each run is created; while over, creating a run is 429 with `Retry-After`',
  }),
  VERDICT_MAX_STREAMS_PER_SESSION: variable(positive, DEFAULT_LIMITS.streamsPerSession, {
    meaning: 'live run pages (event streams) one dashboard session may hold open, then 429',
  }),
  VERDICT_MAX_STREAMS_PER_ORGANIZATION: variable(positive, DEFAULT_LIMITS.streamsPerOrganization, {
    meaning: 'live run pages open at once per organization, whatever the number of sessions',
  }),
};

export type VariableName = keyof typeof VARIABLES;
export type Values = { [Name in VariableName]: (typeof VARIABLES)[Name]['fallback'] };

function read<T>(env: NodeJS.ProcessEnv, name: string, definition: Variable<T>): T {
  const raw = env[name]?.trim();
  if (raw === undefined || raw === '') return definition.fallback;
  const value = definition.kind.parse(raw);
  if (value !== undefined) return value;
  const shown = definition.kind.shown?.(raw) ?? raw;
  const flag = definition.flag ? ` (or ${definition.flag})` : '';
  throw new ConfigError(name, shown, `${name}${flag} must be ${definition.kind.accepted}; got "${shown}".`);
}

/** Every variable's value: its own, or its default when unset or empty. A value it cannot take throws ConfigError. */
export function readVariables(env: NodeJS.ProcessEnv): Values {
  const values: Record<string, unknown> = {};
  for (const [name, definition] of Object.entries(VARIABLES)) values[name] = read(env, name, definition as Variable<unknown>);
  return values as Values;
}
