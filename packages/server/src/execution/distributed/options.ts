/** How the distributed executor and its workers behave (config/variables.ts reads them). */
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
  /** A block execution (answered synchronously) no worker took within this long is taken out of the queue and answered 503. */
  blockExecutionPickupMs: number;
}
