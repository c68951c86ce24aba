import { APIConnectionError, APIError } from 'openai';
import { sleep } from './abort.js';
import { ModelError } from './errors.js';

export interface RetryPolicy {
  maxRetries: number;
  /** First backoff; each retry doubles it, up to `maxDelayMs`. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** A server asking for a longer pause than this is waited for this long, then tried again. */
  maxRetryAfterMs: number;
  /** Source of jitter in [0, 1). */
  random: () => number;
}

export const DEFAULT_RETRY_POLICY: Omit<RetryPolicy, 'maxRetries'> = {
  baseDelayMs: 500,
  maxDelayMs: 20_000,
  maxRetryAfterMs: 60_000,
  random: Math.random,
};

// 408 and 409 are what OpenAI's own SDK also retries (request timeout, lock contention).
const RETRYABLE_STATUSES = new Set([408, 409, 429]);

function isRetryable(error: unknown): boolean {
  if (error instanceof APIConnectionError) return true; // network failures and per-attempt timeouts
  if (!(error instanceof APIError) || error.status === undefined) return false;
  return RETRYABLE_STATUSES.has(error.status) || error.status >= 500;
}

/** A refusal for rate: the call was not served and may be sent again after the pause the server asks for. */
export function isThrottled(error: unknown): boolean {
  return error instanceof APIError && error.status === 429;
}

/** The pause a server asked for, in ms: `retry-after-ms`, else `Retry-After` in seconds or as an HTTP date. */
export function requestedRetryDelayMs(headers: Headers | undefined, now = Date.now()): number | null {
  const milliseconds = Number(headers?.get('retry-after-ms') ?? Number.NaN);
  if (Number.isFinite(milliseconds) && milliseconds >= 0) return milliseconds;
  const retryAfter = headers?.get('retry-after')?.trim();
  if (!retryAfter) return null;
  const seconds = Number(retryAfter);
  if (Number.isFinite(seconds)) return seconds >= 0 ? seconds * 1000 : null;
  const date = Date.parse(retryAfter);
  return Number.isNaN(date) ? null : Math.max(0, date - now);
}

/** How long to wait before retry number `retryIndex` (0-based) after `error`, or null when it must not be retried. */
export function retryDelayMs(error: unknown, retryIndex: number, policy: Omit<RetryPolicy, 'maxRetries'>): number | null {
  if (!isRetryable(error)) return null;
  const requested = error instanceof APIError ? requestedRetryDelayMs(error.headers) : null;
  if (requested !== null) return Math.min(requested, policy.maxRetryAfterMs);
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** retryIndex);
  // Half fixed, half random: spreads clients that failed together without ever retrying instantly.
  return ceiling / 2 + (policy.random() * ceiling) / 2;
}

function describeFailure(error: unknown): { message: string; status: number | null } {
  if (error instanceof APIError) return { message: error.message, status: error.status ?? null };
  return { message: error instanceof Error ? error.message : String(error), status: null };
}

/**
 * Runs `call` until it succeeds, retrying 429, 5xx and network errors with backoff. An abort of
 * `signal` (during a call or a backoff wait) rethrows the signal's reason at once; any other
 * final failure becomes a ModelError `provider_error`, caused by it.
 */
export async function withRetries<T>(
  call: (attempt: number) => Promise<T>,
  policy: RetryPolicy,
  signal: AbortSignal,
): Promise<{ value: T; attempts: number }> {
  for (let attempt = 1; ; attempt++) {
    signal.throwIfAborted();
    try {
      return { value: await call(attempt), attempts: attempt };
    } catch (error) {
      // The openai client reports an abort as a plain APIUserAbortError: trust the signal instead.
      signal.throwIfAborted();
      const delay = attempt <= policy.maxRetries ? retryDelayMs(error, attempt - 1, policy) : null;
      if (delay === null) {
        const { message, status } = describeFailure(error);
        const retried = attempt > 1 ? ` after ${attempt} attempts` : '';
        throw new ModelError(`The model server failed${retried}: ${message}`, 'provider_error', { status, attempts: attempt }, { cause: error });
      }
      await sleep(delay, signal);
    }
  }
}
