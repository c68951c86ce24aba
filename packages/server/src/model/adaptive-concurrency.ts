import type { SharedThrottle } from './shared-throttle.js';

/** How a call under the limit ended, for the controller: an answer, a refusal for rate (429), or anything else. */
export type CallOutcome = { kind: 'answered' } | { kind: 'throttled'; pauseMs: number } | { kind: 'failed' };

/** A slot held by one call; `release` it exactly once with what happened. */
export interface Permit {
  release(outcome: CallOutcome): void;
}

export interface AdaptiveConcurrencyOptions {
  /** Never more calls in flight than this (VERDICT_MODEL_CONCURRENCY). */
  ceiling: number;
  /** Where the search starts. */
  initial?: number;
  /** Pauses and refusals seen by other processes of the deployment (Redis); none in a single process. */
  shared?: SharedThrottle | null;
  now?: () => number;
}

interface Waiter {
  organization: string;
  grant: () => void;
}

export const INITIAL_MODEL_CONCURRENCY = 8;
/** What a refusal leaves of the limit: mild, since the pause until Retry-After already stops the flood. */
const DECREASE_FACTOR = 0.8;
/** Recent latency this many times the long-run latency means the server is queueing: stop growing. */
const QUEUEING_RATIO = 2;

/**
 * The number of model calls allowed in flight, found rather than configured, in the manner of TCP
 * congestion control (AIMD): the limit grows by one per answer until the first refusal (slow
 * start), then by one per limit's worth of answers (one per round trip); a 429 multiplies it by
 * 0.8 (once per round trip: the calls that were already in flight refuse together) and pauses
 * every call until its `Retry-After` has passed. It grows only while it is the bottleneck (calls
 * wait for it) and answers do not slow down, so an idle or a queueing server does not inflate it.
 * With `shared`, a refusal seen by any process pauses and shrinks every process: their limits add
 * up to one limit, as flows sharing a link converge to fair shares of it.
 *
 * Waiting calls are granted round-robin across organizations, so one tenant's thousands of queued
 * calls do not delay another tenant's first one.
 */
export class AdaptiveConcurrency {
  private value: number;
  private inFlight = 0;
  private slowStart = true;
  private pausedUntil = 0;
  /** Advances at each decrease: a refusal of a call granted before it has been answered already. */
  private epoch = 0;
  private lastDecreaseAt = Number.NEGATIVE_INFINITY;
  /** When the answers of the last second came back, oldest first. */
  private readonly answeredAt: number[] = [];
  private recentLatencyMs = 0;
  private baselineLatencyMs = 0;
  private waiting = 0;
  /** Waiters per organization; the Map's order is the rotation (a served organization moves to the back). */
  private readonly queues = new Map<string, Waiter[]>();
  private resumeTimer: NodeJS.Timeout | null = null;
  private pumping = false;
  private pumpAgain = false;
  private readonly ceiling: number;
  private readonly shared: SharedThrottle | null;
  private readonly now: () => number;

  constructor(options: AdaptiveConcurrencyOptions) {
    if (!Number.isInteger(options.ceiling) || options.ceiling < 1) throw new RangeError(`A concurrency ceiling must be at least 1; got ${options.ceiling}.`);
    this.ceiling = options.ceiling;
    this.value = Math.min(options.ceiling, options.initial ?? INITIAL_MODEL_CONCURRENCY);
    this.shared = options.shared ?? null;
    this.now = options.now ?? Date.now;
  }

  /** Calls allowed in flight now. */
  get limit(): number {
    return Math.max(1, Math.floor(this.value));
  }

  get active(): number {
    return this.inFlight;
  }

  /** Milliseconds until calls may be sent again (0 when not paused). */
  pauseRemainingMs(): number {
    return Math.max(0, this.pausedUntil - this.now());
  }

  /** Waits for a slot (in `organization`'s turn); an abort leaves the queue at once and takes none. */
  acquire(organization: string, signal: AbortSignal): Promise<Permit> {
    if (signal.aborted) return Promise.reject(signal.reason);
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        organization,
        grant: () => {
          signal.removeEventListener('abort', onAbort);
          resolve(this.permit());
        },
      };
      const onAbort = () => {
        this.dequeue(waiter);
        reject(signal.reason);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.enqueue(waiter);
      this.pump();
    });
  }

  private permit(): Permit {
    this.inFlight++;
    const startedAt = this.now();
    const epoch = this.epoch;
    // Whether the limit, not the demand, is what holds calls back: only then is growing it informative.
    const limiting = this.inFlight >= this.limit || this.waiting > 0;
    let released = false;
    return {
      release: (outcome) => {
        if (released) return;
        released = true;
        this.inFlight--;
        this.observe(outcome, startedAt, epoch, limiting);
        this.pump();
      },
    };
  }

  private observe(outcome: CallOutcome, startedAt: number, epoch: number, limiting: boolean): void {
    const now = this.now();
    if (outcome.kind === 'answered') {
      const latency = now - startedAt;
      this.answeredAt.push(now);
      this.forgetAnswersBefore(now - 1000);
      this.recentLatencyMs = this.recentLatencyMs === 0 ? latency : 0.8 * this.recentLatencyMs + 0.2 * latency;
      this.baselineLatencyMs = this.baselineLatencyMs === 0 ? latency : 0.98 * this.baselineLatencyMs + 0.02 * latency;
      const queueing = this.recentLatencyMs > QUEUEING_RATIO * this.baselineLatencyMs + 5;
      if (limiting && !queueing) this.value = Math.min(this.ceiling, this.value + (this.slowStart ? 1 : 1 / this.value));
    } else if (outcome.kind === 'throttled') {
      this.pauseUntil(now + outcome.pauseMs);
      // Once per round trip: the calls refused together (as a pause ends) are one signal, not many.
      if (epoch === this.epoch && now - this.lastDecreaseAt >= this.recentLatencyMs) this.decrease(now);
      void this.shared?.report(outcome.pauseMs).catch(() => undefined);
    }
  }

  /**
   * Multiplicative decrease, kept between what the last second's answers sustained and 1.1× that (Little's
   * law: answers per second × latency): a rate limit refuses only once its window is spent, so the
   * limit may have doubled several times (slow start) before the first refusal.
   */
  private decrease(now: number): void {
    this.slowStart = false;
    this.epoch++;
    this.lastDecreaseAt = now;
    this.forgetAnswersBefore(now - 1000);
    const sustained = (this.answeredAt.length * this.recentLatencyMs) / 1000;
    const decreased = this.value * DECREASE_FACTOR;
    // Below what the provider just sustained would only leave its capacity unused.
    this.value = Math.max(1, sustained > 0 ? Math.max(sustained, Math.min(decreased, sustained * 1.1)) : decreased);
  }

  private forgetAnswersBefore(time: number): void {
    while (this.answeredAt.length > 0 && this.answeredAt[0] <= time) this.answeredAt.shift();
  }

  private pauseUntil(until: number): void {
    this.pausedUntil = Math.max(this.pausedUntil, until);
  }

  private enqueue(waiter: Waiter): void {
    const queue = this.queues.get(waiter.organization);
    if (queue) queue.push(waiter);
    else this.queues.set(waiter.organization, [waiter]);
    this.waiting++;
  }

  private dequeue(waiter: Waiter): void {
    const queue = this.queues.get(waiter.organization);
    const index = queue?.indexOf(waiter) ?? -1;
    if (queue === undefined || index < 0) return;
    queue.splice(index, 1);
    if (queue.length === 0) this.queues.delete(waiter.organization);
    this.waiting--;
  }

  /** The first waiter of the organization whose turn it is; that organization goes to the back of the rotation. */
  private next(): Waiter | undefined {
    const first = this.queues.entries().next();
    if (first.done) return undefined;
    const [organization, queue] = first.value;
    const waiter = queue.shift()!;
    this.queues.delete(organization);
    if (queue.length > 0) this.queues.set(organization, queue);
    this.waiting--;
    return waiter;
  }

  private pump(): void {
    if (this.pumping) {
      this.pumpAgain = true;
      return;
    }
    if (this.shared === null) return this.grantAll();
    this.pumping = true;
    void this.pumpShared();
  }

  /** Reads the others' news before each batch of grants; `pumping` is cleared in the same turn as the last check of `pumpAgain`. */
  private async pumpShared(): Promise<void> {
    do {
      this.pumpAgain = false;
      if (this.waiting === 0 || this.inFlight >= this.limit) continue;
      const news = await this.shared!.read().catch(() => null); // the shared store down: go on with this process's view
      if (news !== null) {
        const now = this.now();
        if (news.pauseRemainingMs > 0) this.pauseUntil(now + news.pauseRemainingMs);
        if (news.othersThrottled && now - this.lastDecreaseAt > this.recentLatencyMs) this.decrease(now);
      }
      this.grantAll();
    } while (this.pumpAgain);
    this.pumping = false;
  }

  private grantAll(): void {
    const pause = this.pauseRemainingMs();
    if (pause > 0) {
      if (this.waiting > 0) this.resumeAfter(pause);
      return;
    }
    while (this.inFlight < this.limit) {
      const waiter = this.next();
      if (waiter === undefined) return;
      waiter.grant();
    }
  }

  private resumeAfter(ms: number): void {
    if (this.resumeTimer !== null) clearTimeout(this.resumeTimer);
    this.resumeTimer = setTimeout(() => {
      this.resumeTimer = null;
      this.pump();
    }, ms + 1);
  }
}
