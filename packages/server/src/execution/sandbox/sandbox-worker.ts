import { Worker } from 'node:worker_threads';
import { HELPER_THREAD_YOUNG_GENERATION_MB, quietSince, threadEntry } from '../thread-entry.js';
import { JobSlots, SLOTS_PER_THREAD } from './job-slots.js';
import type { JobTicket } from './job-ticket.js';
import type { CheckKind, CompiledWasm, JobBatch, JobRequest, JobResult, WorkerReply, WorkerSettings, WorkerStart } from './types.js';

export interface SandboxWorkerEvents {
  ready(worker: SandboxWorker): void;
  /** The thread's checks are warm too (see `warm`). */
  warm(worker: SandboxWorker): void;
  results(worker: SandboxWorker, results: JobResult[]): void;
  /** The thread ended without being retired: crash, uncaught error or V8 heap limit. */
  died(worker: SandboxWorker, error: Error | undefined, exitCode: number): void;
}

/**
 * One worker thread and the tickets handed to it that it has not answered, in the order it runs
 * them: the first is running (or about to), the others wait in the thread's batch and can be taken
 * back until the thread claims them. Once retired, nothing it says is listened to.
 */
export class SandboxWorker {
  readonly #thread: Worker;
  readonly #slots = new JobSlots();
  readonly #freeSlots = Array.from({ length: SLOTS_PER_THREAD }, (_, slot) => slot);
  readonly #slotOf = new Map<JobTicket, number>();
  #retired = false;
  #ready = false;
  #checksWarm = false;
  #lastError: Error | undefined;
  /** When the thread last ran out of jobs (performance.now()); undefined while it holds some. */
  #idleSince: number | undefined = performance.now();
  readonly tickets: JobTicket[] = [];

  constructor(settings: WorkerSettings, compiledQuickJs: CompiledWasm | undefined, events: SandboxWorkerEvents) {
    const entry = threadEntry(import.meta.url, 'worker');
    const workerData: WorkerStart = { settings, compiledQuickJs, slots: this.#slots.buffer };
    this.#thread = new Worker(entry.script, { eval: entry.evaluate, workerData, resourceLimits: threadLimits(settings) });
    this.#thread.on('message', (reply: WorkerReply) => {
      if (this.#retired) return;
      if (reply.type === 'ready') {
        this.#ready = true;
        events.ready(this);
        if (this.#checksWarm) events.warm(this);
      } else if (reply.type === 'warm') {
        this.#checksWarm = true;
        if (this.#ready) events.warm(this);
      } else {
        events.results(this, reply.results);
      }
    });
    this.#thread.on('error', (error) => {
      this.#lastError = error;
    });
    this.#thread.on('exit', (exitCode) => {
      if (!this.#retired) events.died(this, this.#lastError, exitCode);
    });
  }

  /** False until QuickJS is loaded in the thread; a death before that is a failed start. */
  get ready(): boolean {
    return this.#ready;
  }

  /** Ready, and done warming up its checks, which holds the thread's event loop (a batch handed over before waits). */
  get warm(): boolean {
    return this.#ready && this.#checksWarm;
  }

  /** How long the thread has held no jobs; zero while it holds some. */
  idleForMs(now = performance.now()): number {
    return this.#idleSince === undefined ? 0 : now - this.#idleSince;
  }

  /** Hands tickets over in one message; they run after those already handed over. */
  start(tickets: JobTicket[]): void {
    this.#idleSince = undefined;
    const jobs = tickets.map((ticket): JobRequest => {
      const slot = this.#freeSlots.pop()!;
      this.#slotOf.set(ticket, slot);
      this.#slots.offer(slot, ticket.jobId);
      this.tickets.push(ticket);
      const { codeKey, code, inputIn, timeoutMs, check } = ticket.job;
      return { jobId: ticket.jobId, slot, codeKey, code, inputJson: ticket.inputJson, inputPath: inputIn?.path, timeoutMs, check };
    });
    this.#thread.postMessage({ jobs } satisfies JobBatch);
  }

  /** The ticket a result answers, no longer held; undefined if it was not held (taken back, or already settled). */
  answered(jobId: number): JobTicket | undefined {
    const ticket = this.tickets.find((candidate) => candidate.jobId === jobId);
    if (ticket) this.#drop(ticket);
    return ticket;
  }

  /** Takes a ticket back if the thread has not started it; false if it has (or was never handed it). */
  takeBack(ticket: JobTicket): boolean {
    const slot = this.#slotOf.get(ticket);
    if (slot === undefined || !this.#slots.takeBack(slot, ticket.jobId)) return false;
    this.#drop(ticket);
    return true;
  }

  /** The ticket the thread claimed last among those it has not answered: the one it is running. */
  claimedLast(): JobTicket | undefined {
    return this.tickets.findLast((ticket) => this.#claimed(ticket));
  }

  /** Asks the thread to stop the ticket's job, which it runs: the job's code is interrupted and it answers `aborted`. */
  requestStop(ticket: JobTicket): void {
    this.#slots.requestStop(ticket.jobId);
  }

  /** Which check the thread runs on the ticket's output, and since when; undefined while it is not checking it. */
  checkOf(ticket: JobTicket): { kind: CheckKind; sinceMs: number } | undefined {
    return this.#slots.checkOf(ticket.jobId);
  }

  /** Tickets held that the thread has not started. */
  waiting(): number {
    return this.tickets.filter((ticket) => !this.#claimed(ticket)).length;
  }

  #claimed(ticket: JobTicket): boolean {
    return this.#slots.started(this.#slotOf.get(ticket)!);
  }

  /** Every ticket held, for the pool to settle or hand to another thread; the worker holds none after. */
  releaseAll(): JobTicket[] {
    const released = [...this.tickets];
    for (const ticket of released) this.#drop(ticket);
    return released;
  }

  #drop(ticket: JobTicket): void {
    this.tickets.splice(this.tickets.indexOf(ticket), 1);
    this.#freeSlots.push(this.#slotOf.get(ticket)!);
    this.#slotOf.delete(ticket);
    if (this.tickets.length === 0) this.#idleSince = performance.now();
  }

  /** Stops the thread even mid-computation (V8 terminates a spinning wasm loop within milliseconds). */
  async retire(): Promise<void> {
    this.#retired = true;
    await this.#thread.terminate();
  }

  /** Stops the thread once it has run nothing for QUIET_BEFORE_TERMINATE_MS: a graceful stop (the pool closing, an idle burst thread). */
  async retireWhenQuiet(): Promise<void> {
    this.#retired = true;
    await quietSince(performance.now() - this.idleForMs());
    await this.#thread.terminate();
  }
}

/**
 * QuickJS recursion runs on the thread's native stack as well as the wasm stack, at about twice
 * the bytes of the QuickJS stack limit; give V8 enough so QuickJS's own "stack overflow" wins.
 * No V8 heap limit: user data lives in the capped wasm memory, and a worker reaching a V8 heap
 * limit while compiling can abort the whole process instead of just the thread.
 */
function threadLimits(settings: WorkerSettings) {
  return { stackSizeMb: Math.max(4, Math.ceil((settings.maxStackKb * 3) / 1024) + 1), maxYoungGenerationSizeMb: HELPER_THREAD_YOUNG_GENERATION_MB };
}
