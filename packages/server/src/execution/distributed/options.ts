/** How the distributed executor and its workers behave; read once from the environment. */
export interface DistributedOptions {
  redisUrl: string;
  /** Namespace of every Redis key Verdict writes (queues, leases, cancel channel, metrics). */
  prefix: string;
  /** Jobs of one run in the queue at once; the rest of its rows wait in the store as `pending`. */
  windowPerRun: number;
  /** Model-backed tests started per second across all workers; null for no limit. */
  modelRateLimitPerSecond: number | null;
  /** A worker that stops renewing its job locks for this long is presumed dead; its jobs run again. */
  lockDurationMs: number;
  /** How often workers look for jobs whose lock expired. */
  stalledIntervalMs: number;
  /** On SIGTERM, running tests get this long to finish before they are handed back to the queue. */
  drainTimeoutMs: number;
}

type Env = Record<string, string | undefined>;

function positiveNumber(env: Env, name: string, fallback: number): number {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number; got "${raw}".`);
  return value;
}

function positiveInteger(env: Env, name: string, fallback: number): number {
  const value = positiveNumber(env, name, fallback);
  if (!Number.isInteger(value)) throw new Error(`${name} must be a whole number; got "${env[name]}".`);
  return value;
}

/**
 * VERDICT_REDIS_PREFIX (default `verdict`; deployments sharing one Redis need distinct prefixes),
 * VERDICT_QUEUE_WINDOW (2000), VERDICT_MODEL_RATE_LIMIT (per second, unset = none),
 * VERDICT_WORKER_LOCK_MS (3000), VERDICT_WORKER_STALLED_CHECK_MS (1000), VERDICT_WORKER_DRAIN_MS (10000).
 * A value that cannot be used stops the process with a message naming the variable.
 */
export function distributedOptionsFromEnv(redisUrl: string, env: Env): DistributedOptions {
  const rateLimit = env.VERDICT_MODEL_RATE_LIMIT?.trim();
  return {
    redisUrl,
    prefix: env.VERDICT_REDIS_PREFIX?.trim() || 'verdict',
    windowPerRun: positiveInteger(env, 'VERDICT_QUEUE_WINDOW', 2000),
    modelRateLimitPerSecond: rateLimit ? positiveNumber(env, 'VERDICT_MODEL_RATE_LIMIT', 0) : null,
    lockDurationMs: positiveInteger(env, 'VERDICT_WORKER_LOCK_MS', 3000),
    stalledIntervalMs: positiveInteger(env, 'VERDICT_WORKER_STALLED_CHECK_MS', 1000),
    drainTimeoutMs: positiveInteger(env, 'VERDICT_WORKER_DRAIN_MS', 10_000),
  };
}
