import { availableParallelism } from 'node:os';
import { processCompiledQuickJs } from './compiled-quickjs.js';
import { JobTicket } from './job-ticket.js';
import { SandboxWorker } from './sandbox-worker.js';
import type { ExecutionResult, SandboxJob, SandboxOutcome, SandboxPoolOptions, WorkerSettings } from './types.js';

const DEFAULT_MEMORY_LIMIT_MB = 64;
const DEFAULT_MAX_STACK_KB = 1024;
/** The wasm stack of this QuickJS build is 5 MB; a larger QuickJS limit would overrun it silently. */
const MAX_STACK_KB = 4096;
/** wasm32 memory tops out at 4 GiB and the thread's memory is twice the limit plus 16 MB. */
const MAX_MEMORY_LIMIT_MB = 2040;
const MAX_TIMER_MS = 2 ** 31 - 1;
const MB = 1024 * 1024;
/** Failed thread starts in a row after which queued jobs are failed instead of waiting. */
const START_FAILURES_BEFORE_GIVING_UP = 3;

/**
 * Runs user `transform(input)` code in QuickJS inside worker threads: one job per thread at a
 * time, each in a frozen realm that shows it nothing an earlier job left behind. Threads are started up front; a thread that is terminated (abort,
 * wall-clock backstop) or dies is replaced in the background. `run` never rejects.
 */
export class SandboxPool {
  readonly #settings: WorkerSettings;
  readonly #size: number;
  readonly #workers = new Set<SandboxWorker>();
  readonly #idle: SandboxWorker[] = [];
  readonly #queue: JobTicket[] = [];
  readonly #respawnTimers = new Set<NodeJS.Timeout>();
  #nextJobId = 1;
  #restarts = 0;
  #failedStartsInARow = 0;
  #lastStartFailure = '';
  #closed = false;

  constructor(options: SandboxPoolOptions = {}) {
    this.#size = positiveInteger(options.size ?? availableParallelism(), 'size');
    this.#settings = {
      memoryLimitMb: Math.min(MAX_MEMORY_LIMIT_MB, positiveInteger(options.memoryLimitMb ?? DEFAULT_MEMORY_LIMIT_MB, 'memoryLimitMb')),
      maxStackKb: Math.min(MAX_STACK_KB, positiveInteger(options.maxStackKb ?? DEFAULT_MAX_STACK_KB, 'maxStackKb')),
    };
    for (let i = 0; i < this.#size; i++) this.#spawn();
  }

  run(job: SandboxJob): Promise<SandboxOutcome> {
    const inputJson = serialiseInput(job.input);
    if (inputJson === undefined) return refused('error', 'the input is not a JSON value');
    const inputMb = Buffer.byteLength(inputJson) / MB;
    if (inputMb > this.#settings.memoryLimitMb) {
      return refused('memory', `the input (${inputMb.toFixed(0)} MB of JSON) does not fit in the ${this.#settings.memoryLimitMb} MB sandbox limit`);
    }
    const refusal = this.#refusal(job);
    if (refusal) return refused(refusal.reason, refusal.message);
    const ticket = new JobTicket(this.#nextJobId++, job, inputJson);
    ticket.onAbort(() => void this.#abort(ticket));
    this.#queue.push(ticket);
    this.#dispatch();
    return ticket.promise;
  }

  stats(): { size: number; busy: number; queued: number; restarts: number } {
    const busy = [...this.#workers].filter((worker) => worker.running).length;
    return { size: this.#size, busy, queued: this.#queue.length, restarts: this.#restarts };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const timer of this.#respawnTimers) clearTimeout(timer);
    for (const ticket of this.#queue.splice(0)) ticket.fail('aborted', 'the sandbox pool was closed');
    const workers = [...this.#workers];
    this.#workers.clear();
    this.#idle.length = 0;
    await Promise.all(
      workers.map((worker) => {
        worker.running?.fail('aborted', 'the sandbox pool was closed');
        return worker.retire();
      }),
    );
  }

  #refusal(job: SandboxJob): { reason: 'aborted' | 'error' | 'crashed'; message: string } | undefined {
    if (this.#closed) return { reason: 'aborted', message: 'the sandbox pool was closed' };
    if (job.signal?.aborted) return { reason: 'aborted', message: 'cancelled before it started' };
    if (this.#startsKeepFailing()) return { reason: 'crashed', message: `sandbox threads fail to start: ${this.#lastStartFailure}` };
    if (!(job.timeoutMs > 0 && job.timeoutMs <= MAX_TIMER_MS)) return { reason: 'error', message: `invalid timeoutMs: ${job.timeoutMs}` };
    return undefined;
  }

  #spawn(): void {
    const worker = new SandboxWorker(this.#settings, processCompiledQuickJs(), {
      ready: (ready) => {
        this.#failedStartsInARow = 0;
        this.#makeIdle(ready);
      },
      result: (answered, reply) => this.#onResult(answered, reply.jobId, reply.result, reply.fatal),
      died: (dead, error, exitCode) => this.#onDeath(dead, error, exitCode),
    });
    this.#workers.add(worker);
  }

  #makeIdle(worker: SandboxWorker): void {
    this.#idle.push(worker);
    this.#dispatch();
  }

  #dispatch(): void {
    while (this.#idle.length > 0 && this.#queue.length > 0) {
      const worker = this.#idle.pop()!;
      const ticket = this.#queue.shift()!;
      ticket.started(backstopDelayMs(ticket.job.timeoutMs), () => this.#stopOverdue(worker, ticket));
      worker.start(ticket);
    }
  }

  #onResult(worker: SandboxWorker, jobId: number, result: ExecutionResult, fatal: boolean): void {
    const ticket = worker.running;
    if (!ticket || ticket.jobId !== jobId) return;
    worker.running = undefined;
    settleFromResult(ticket, result);
    if (fatal) void this.#replace(worker);
    else this.#makeIdle(worker);
  }

  #onDeath(worker: SandboxWorker, error: Error | undefined, exitCode: number): void {
    this.#forget(worker);
    const detail = error?.message ?? `exit code ${exitCode}`;
    worker.running?.fail(deathReason(error), `the sandbox thread stopped unexpectedly: ${detail}`, { exitCode });
    worker.running = undefined;
    if (!worker.ready) this.#onFailedStart(detail);
    this.#spawnReplacement();
  }

  /** While threads keep failing to start (e.g. worker.js missing), jobs fail fast instead of waiting. */
  #onFailedStart(detail: string): void {
    this.#failedStartsInARow++;
    this.#lastStartFailure = detail;
    if (!this.#startsKeepFailing()) return;
    for (const ticket of this.#queue.splice(0)) ticket.fail('crashed', `sandbox threads fail to start: ${detail}`);
  }

  #startsKeepFailing(): boolean {
    return this.#failedStartsInARow >= START_FAILURES_BEFORE_GIVING_UP;
  }

  /** Wall-clock backstop: the in-sandbox deadline did not stop the job (e.g. a long native call). */
  #stopOverdue(worker: SandboxWorker, ticket: JobTicket): void {
    if (worker.running !== ticket) return;
    void this.#replace(worker);
    ticket.fail('timeout', `transform timed out: it ran longer than the ${ticket.job.timeoutMs} ms limit and its thread was terminated`);
  }

  async #abort(ticket: JobTicket): Promise<void> {
    const queuedAt = this.#queue.indexOf(ticket);
    if (queuedAt >= 0) {
      this.#queue.splice(queuedAt, 1);
      ticket.fail('aborted', 'cancelled before it started');
      return;
    }
    const worker = [...this.#workers].find((candidate) => candidate.running === ticket);
    if (!worker) return;
    const abortedAt = performance.now();
    await this.#replace(worker);
    ticket.fail('aborted', 'cancelled while running; its thread was terminated', {
      stoppedInMs: performance.now() - abortedAt,
    });
  }

  /** Terminates a thread (resolves once it has stopped) and starts its successor at once. */
  #replace(worker: SandboxWorker): Promise<void> {
    this.#forget(worker);
    const stopped = worker.retire();
    this.#spawnReplacement();
    return stopped;
  }

  #forget(worker: SandboxWorker): void {
    this.#workers.delete(worker);
    const idleAt = this.#idle.indexOf(worker);
    if (idleAt >= 0) this.#idle.splice(idleAt, 1);
  }

  #spawnReplacement(): void {
    if (this.#closed) return;
    this.#restarts++;
    if (this.#failedStartsInARow === 0) return this.#spawn();
    const timer = setTimeout(() => {
      this.#respawnTimers.delete(timer);
      if (!this.#closed) this.#spawn();
    }, Math.min(5000, 100 * 2 ** this.#failedStartsInARow));
    this.#respawnTimers.add(timer);
  }
}

function refused(reason: 'aborted' | 'error' | 'crashed' | 'memory', message: string): Promise<SandboxOutcome> {
  return Promise.resolve({ ok: false, reason, message, durationMs: 0 });
}

function settleFromResult(ticket: JobTicket, result: ExecutionResult): void {
  if (!result.ok) return ticket.fail(result.reason, result.message, result.details);
  try {
    ticket.succeed(JSON.parse(result.outputJson));
  } catch (error) {
    ticket.fail('invalid_output', `transform returned output that is not valid JSON: ${(error as Error).message}`);
  }
}

function serialiseInput(input: unknown): string | undefined {
  try {
    return JSON.stringify(input);
  } catch {
    return undefined;
  }
}

/** The in-sandbox deadline normally answers first; the thread is terminated only after this. */
function backstopDelayMs(timeoutMs: number): number {
  return Math.min(MAX_TIMER_MS, timeoutMs + Math.max(100, timeoutMs / 10));
}

function deathReason(error: Error | undefined): 'memory' | 'crashed' {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ERR_WORKER_OUT_OF_MEMORY' || /out of memory/i.test(error?.message ?? '') ? 'memory' : 'crashed';
}

function positiveInteger(value: number, name: string): number {
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`SandboxPool ${name} must be a positive integer, got ${value}`);
  return value;
}
