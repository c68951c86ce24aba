import type { CheckAnswer, SandboxFailureReason, SandboxJob, SandboxOutcome } from './types.js';

/**
 * One submitted job from `run()` to its outcome. Whatever settles it first (worker answer, abort,
 * wall-clock backstop, worker death, pool close) wins; later attempts are ignored.
 */
export class JobTicket {
  readonly promise: Promise<SandboxOutcome>;
  /** Whose job this is: the pool shares its threads among tenants. */
  readonly tenant: string;
  /** When it was submitted (performance.now()): how long its tenant has been waiting. */
  readonly queuedAt = performance.now();
  #resolve!: (outcome: SandboxOutcome) => void;
  #settled = false;
  #startedAt: number | undefined;
  /** When it became next on its thread, kept while its clock is started again (its thread had not taken it yet). */
  #nextSince: number | undefined;
  #backstop: NodeJS.Timeout | undefined;
  /** Set once the job was asked to stop while it ran; it is given a moment to stop before its thread is terminated. */
  #stopRequestedAt: number | undefined;
  #stopGrace: NodeJS.Timeout | undefined;
  #detachAbort: () => void = () => {};

  constructor(
    readonly jobId: number,
    readonly job: SandboxJob,
    readonly inputJson: string,
  ) {
    this.tenant = job.tenant ?? '';
    this.promise = new Promise((resolve) => {
      this.#resolve = resolve;
    });
  }

  get settled(): boolean {
    return this.#settled;
  }

  onAbort(listener: () => void): void {
    const signal = this.job.signal;
    if (!signal) return;
    const listeners = abortListenersOf(signal);
    listeners.add(listener);
    this.#detachAbort = () => listeners.delete(listener);
  }

  /** True from `started` until settled or handed back. */
  get running(): boolean {
    return this.#startedAt !== undefined;
  }

  /** Marks the job as next on its thread; `onOverdue` fires if no answer came by `afterMs`. */
  started(afterMs: number, onOverdue: () => void): void {
    clearTimeout(this.#backstop);
    this.#startedAt = performance.now();
    this.#nextSince ??= this.#startedAt;
    this.#backstop = setTimeout(onOverdue, afterMs);
  }

  /** How long it has been next on its thread, across restarts of its clock; zero while not. */
  get nextForMs(): number {
    return this.#nextSince === undefined ? 0 : performance.now() - this.#nextSince;
  }

  /** Looks again after `afterMs` (the job is in its checks, or not yet overdue), keeping when it started. */
  lookAgain(afterMs: number, onOverdue: () => void): void {
    clearTimeout(this.#backstop);
    this.#backstop = setTimeout(onOverdue, afterMs);
  }

  /** Time since `started`; zero while not running. */
  get runningForMs(): number {
    return this.#elapsedMs();
  }

  /** Its run was cancelled while it ran: `onStillRunning` fires if no answer came by `graceMs`. */
  stopRequested(graceMs: number, onStillRunning: () => void): void {
    this.#stopRequestedAt = performance.now();
    this.#stopGrace = setTimeout(onStillRunning, graceMs);
  }

  /** Since when the job was asked to stop; undefined if it was not. */
  get stopRequestedAt(): number | undefined {
    return this.#stopRequestedAt;
  }

  /** Back in the pool's queue (its thread was replaced before it ran): its clock starts again on its next thread. */
  handedBack(): void {
    clearTimeout(this.#backstop);
    this.#startedAt = undefined;
    this.#nextSince = undefined;
  }

  /** `durationMs`: as the thread measured it. */
  succeed(outputJson: string, checked: CheckAnswer | undefined, durationMs: number): void {
    this.#settle(new SandboxOutput(outputJson, checked, durationMs));
  }

  fail(reason: SandboxFailureReason, message: string, details?: Record<string, unknown>, durationMs = this.#elapsedMs()): void {
    this.#settle({ ok: false, reason, message, durationMs, ...(details ? { details } : {}) });
  }

  #settle(outcome: SandboxOutcome): void {
    if (this.#settled) return;
    this.#settled = true;
    clearTimeout(this.#backstop);
    clearTimeout(this.#stopGrace);
    this.#detachAbort();
    this.#resolve(outcome);
  }

  /** Time on a worker; zero for a job that never left the queue. */
  #elapsedMs(): number {
    return this.#startedAt === undefined ? 0 : performance.now() - this.#startedAt;
  }
}

/** A job's output: it stays JSON text until someone reads `output`. */
export class SandboxOutput {
  readonly ok = true;
  #parsed: { value: unknown } | undefined;

  constructor(
    readonly outputJson: string,
    readonly checked: CheckAnswer | undefined,
    readonly durationMs: number,
  ) {}

  get output(): unknown {
    this.#parsed ??= { value: JSON.parse(this.outputJson) };
    return this.#parsed.value;
  }
}

const abortListeners = new WeakMap<AbortSignal, Set<() => void>>();

/**
 * The jobs listening to one signal (every test of a run shares its run's): one 'abort' listener
 * on the signal calls them all. Adding and removing an EventTarget listener per job cost more than
 * many a job, and kept V8 re-optimising Node's EventTarget code.
 */
function abortListenersOf(signal: AbortSignal): Set<() => void> {
  let listeners = abortListeners.get(signal);
  if (!listeners) {
    const jobs = new Set<() => void>();
    signal.addEventListener('abort', () => {
      for (const listener of [...jobs]) listener();
    }, { once: true });
    abortListeners.set(signal, jobs);
    listeners = jobs;
  }
  return listeners;
}
