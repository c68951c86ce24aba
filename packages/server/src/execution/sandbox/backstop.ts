import type { CheckKind } from './types.js';

const MAX_TIMER_MS = 2 ** 31 - 1;
/** VERDICT_CHECK_TIMEOUT_MS by default. */
export const DEFAULT_CHECK_TIMEOUT_MS = 10_000;

/** What the pool does about a running job when its backstop fires. */
export type BackstopVerdict =
  | { lookAgainInMs: number }
  | { reason: 'timeout' | 'check_timeout'; message: string; details?: Record<string, unknown> };

const CHECK_NAMES: Record<CheckKind, string> = {
  output_schema: 'checking the output against its JSON Schema',
  assertion: 'evaluating the assertion',
};

/**
 * The wall-clock backstop of a running job. `transform` has its own deadline inside the sandbox,
 * so the backstop stops it only well past that (a long native call). The checks of its output
 * run on the thread's V8, which nothing interrupts: the backstop is their deadline, and stops the
 * thread once they have run `checkTimeoutMs`. It looks at a running job at least every
 * `checkTimeoutMs`, so checks that start between two looks are stopped in time.
 */
export class Backstop {
  constructor(readonly checkTimeoutMs: number) {}

  /** When to look at a job that starts running now. */
  firstLookMs(timeoutMs: number): number {
    return Math.min(transformLimitMs(timeoutMs), this.checkTimeoutMs);
  }

  /** `check`: what the thread is checking of this job's output, if it got there. */
  judge(timeoutMs: number, runningForMs: number, check: { kind: CheckKind; sinceMs: number } | undefined, nowMs = Date.now()): BackstopVerdict {
    if (check) {
      const left = check.sinceMs + this.checkTimeoutMs - nowMs;
      // While the thread's check engine warms up, sinceMs lies ahead: look again within a deadline.
      if (left > 0) return { lookAgainInMs: Math.min(left, this.checkTimeoutMs) };
      return {
        reason: 'check_timeout',
        message: `${CHECK_NAMES[check.kind]} took longer than the ${this.checkTimeoutMs} ms check deadline (VERDICT_CHECK_TIMEOUT_MS), and was stopped`,
        details: { check: check.kind, check_timeout_ms: this.checkTimeoutMs },
      };
    }
    const left = transformLimitMs(timeoutMs) - runningForMs;
    if (left > 0) return { lookAgainInMs: Math.min(left, this.checkTimeoutMs) };
    return { reason: 'timeout', message: `transform timed out: it ran longer than the ${timeoutMs} ms limit and its thread was terminated` };
  }
}

/** The in-sandbox deadline normally answers first; the thread is terminated only after this. */
function transformLimitMs(timeoutMs: number): number {
  return Math.min(MAX_TIMER_MS, timeoutMs + Math.max(100, timeoutMs / 10));
}
