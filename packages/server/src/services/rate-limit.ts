import { createError } from '../errors/index.js';

/**
 * In-process limits on what one address, key or session can make the server do. Each process
 * keeps its own counts: behind a load balancer with several API processes, a client can reach
 * each process's limit once.
 */

/** `count` events per `windowMs`, `count` of them at once (a token bucket of size `count`). */
export interface RateLimit {
  count: number;
  windowMs: number;
}

export interface LimitsConfig {
  /** Failed authentications (wrong API key, wrong sign-in) per client address. */
  authFailuresPerAddress: RateLimit | null;
  /** Authenticated requests per API key (dashboard calls made with a session count for its key). */
  requestsPerKey: RateLimit | null;
  /** Dashboard sessions created per API key. */
  sessionsPerKey: RateLimit | null;
  /**
   * Result rows of test runs an organization creates (a run has one per test). Paid after the
   * creation, so a run of any size can be made: while the organization's budget is overdrawn its
   * next creation is refused. Creating a run holds the store's write lock for every tenant
   * (~1.5 s for 50,000 rows on SQLite), as its cancel does.
   */
  runRowsPerOrganization: RateLimit | null;
  /** Live event streams open at once per dashboard session, and per organization. */
  streamsPerSession: number;
  streamsPerOrganization: number;
}

export const DEFAULT_LIMITS: LimitsConfig = {
  authFailuresPerAddress: { count: 20, windowMs: 60_000 },
  requestsPerKey: { count: 2000, windowMs: 1000 },
  sessionsPerKey: { count: 20, windowMs: 60_000 },
  runRowsPerOrganization: { count: 500_000, windowMs: 60_000 },
  streamsPerSession: 6,
  streamsPerOrganization: 60,
};

/** Entries kept per limiter; past it the least recently seen goes (it has usually refilled anyway). */
const MAX_TRACKED = 100_000;

interface Bucket {
  tokens: number;
  updatedAt: number;
}

/** A token bucket per key. `take` spends one token, or says how many whole seconds until one is back. */
export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly tokensPerMs: number;

  constructor(
    readonly limit: RateLimit,
    private readonly now: () => number = Date.now,
  ) {
    this.tokensPerMs = limit.count / limit.windowMs;
  }

  /** 0 when the event is allowed (and counted), else the seconds to wait, at least 1. */
  take(key: string): number {
    const bucket = this.refilled(key);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return this.secondsUntil(bucket, 1);
  }

  /** For a cost known only afterwards: 0 while `key` is not overdrawn, else the seconds until it is not, at least 1. */
  overdrawn(key: string): number {
    const bucket = this.refilled(key);
    return bucket.tokens >= 0 ? 0 : this.secondsUntil(bucket, 0);
  }

  /** Spends `amount` tokens, overdrawing the bucket if it holds fewer. */
  spend(key: string, amount: number): void {
    this.refilled(key).tokens -= amount;
  }

  /** Whole seconds until `bucket` holds `tokens` again, at least 1. */
  private secondsUntil(bucket: Bucket, tokens: number): number {
    return Math.max(1, Math.ceil((tokens - bucket.tokens) / this.tokensPerMs / 1000));
  }

  private refilled(key: string): Bucket {
    const now = this.now();
    const bucket = this.buckets.get(key) ?? { tokens: this.limit.count, updatedAt: now };
    bucket.tokens = Math.min(this.limit.count, bucket.tokens + (now - bucket.updatedAt) * this.tokensPerMs);
    bucket.updatedAt = now;
    // Re-inserted so that the map's order is least recently seen first.
    this.buckets.delete(key);
    this.buckets.set(key, bucket);
    if (this.buckets.size > MAX_TRACKED) this.buckets.delete(this.buckets.keys().next().value!);
    return bucket;
  }
}

/** At most `limit` holders at once per key (open event streams of a session, of an organization). */
export class ConcurrencyLimiter {
  private readonly holders = new Map<string, number>();

  /** Takes one slot under every key, or none. */
  tryAcquire(keys: { key: string; limit: number }[]): (() => void) | null {
    if (keys.some(({ key, limit }) => (this.holders.get(key) ?? 0) >= limit)) return null;
    for (const { key } of keys) this.holders.set(key, (this.holders.get(key) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      for (const { key } of keys) {
        const left = (this.holders.get(key) ?? 1) - 1;
        if (left > 0) this.holders.set(key, left);
        else this.holders.delete(key);
      }
    };
  }
}

/** The limiters of one process, shared by the API and the dashboard (`services.limits`). */
export class Limits {
  readonly authFailures: RateLimiter | null;
  readonly keyRequests: RateLimiter | null;
  readonly sessionCreations: RateLimiter | null;
  readonly runRows: RateLimiter | null;
  readonly streams = new ConcurrencyLimiter();

  constructor(
    readonly config: LimitsConfig,
    now: () => number = Date.now,
  ) {
    const limiter = (limit: RateLimit | null) => (limit ? new RateLimiter(limit, now) : null);
    this.authFailures = limiter(config.authFailuresPerAddress);
    this.keyRequests = limiter(config.requestsPerKey);
    this.sessionCreations = limiter(config.sessionsPerKey);
    this.runRows = limiter(config.runRowsPerOrganization);
  }

  /** Throws 429 while `organizationId` has created more run rows than its budget allows (`countRunRows`). */
  assertRunCreation(organizationId: string): void {
    const wait = this.runRows?.overdrawn(organizationId) ?? 0;
    if (wait > 0) {
      throw createError('rate_limited', `This organization created more than ${perWindow(this.config.runRowsPerOrganization!, 'test results in runs')}; retry in ${wait} s.`, wait);
    }
  }

  /** Counts the rows of a run `organizationId` just created. */
  countRunRows(organizationId: string, rows: number): void {
    this.runRows?.spend(organizationId, rows);
  }

  /** Counts a failed authentication from `address`; the seconds to wait when it was one too many, else 0. */
  countFailedAuthentication(address: string): number {
    return this.authFailures?.take(address) ?? 0;
  }

  /** Counts a dashboard session about to be created for `apiKeyId`; the seconds to wait when it is one too many, else 0. */
  countSessionCreation(apiKeyId: string): number {
    return this.sessionCreations?.take(apiKeyId) ?? 0;
  }

  /** Throws 429 when `apiKeyId` has spent its requests. */
  assertKeyRequest(apiKeyId: string): void {
    const wait = this.keyRequests?.take(apiKeyId) ?? 0;
    if (wait > 0) throw createError('rate_limited', `This API key sent more than ${perWindow(this.config.requestsPerKey!, 'requests')}; retry in ${wait} s.`, wait);
  }
}

/** `20 failed sign-ins per 1 min`, for messages. */
export function perWindow(limit: RateLimit, noun: string): string {
  const { windowMs } = limit;
  const window = windowMs % 60_000 === 0 ? `${windowMs / 60_000} min` : windowMs % 1000 === 0 ? `${windowMs / 1000} s` : `${windowMs} ms`;
  return `${limit.count} ${noun} per ${window}`;
}
