import { availableParallelism } from 'node:os';
import { DEFAULT_MAX_OUTPUT_BYTES } from '../../limits/output-limits.js';
import { Backstop, DEFAULT_CHECK_TIMEOUT_MS } from './backstop.js';
import { processCompiledQuickJs } from './compiled-quickjs.js';
import { STOPPED_RESULT } from './job-slots.js';
import { JobTicket } from './job-ticket.js';
import { SandboxWorker } from './sandbox-worker.js';
import { TenantQueues } from './tenant-queues.js';
import type { ExecutionResult, JobResult, OutputCheck, SandboxJob, SandboxOutcome, SandboxPoolOptions, WorkerSettings } from './types.js';

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

/** Jobs a thread holds at most (handed over, not answered): one message carries many jobs. */
const MAX_TICKETS_PER_THREAD = 16;
/** A thread is handed more jobs once it holds fewer than this, so it never waits for the next batch. */
const REFILL_BELOW = 4;
/**
 * A tenant with jobs queued that has held no thread for this long, while every thread holds other
 * tenants' jobs, gets a burst thread (which takes ~200-300 ms to start on 2 busy cores).
 */
const STARVED_AFTER_MS = 100;
/**
 * How early a starvation check may fire by performance.now(): Node's timers count from the event
 * loop's cached clock, in whole milliseconds. Tenants queued in the same moment are starved
 * together, not one now and the rest once a burst thread is already starting (which then serves them all).
 */
const TIMER_EARLY_MS = 5;
/** Shortest pause between two starvation checks, while a tenant waits and no burst thread may start. */
const RECHECK_MS = 25;
/** A burst thread with nothing to run stops after this long: the tenant it served may send more soon. */
const BURST_IDLE_MS = 2000;
/**
 * A running job of a cancelled run is asked to stop (QuickJS's interrupt handler reads the request)
 * and its thread, warm, keeps serving; only if it has not answered within this long (a long native
 * call, its checks) is the thread terminated.
 */
const STOP_GRACE_MS = 40;
/** A thread that has not started the job next in its batch within this long is stuck (host work takes well under a second). */
const THREAD_TAKES_JOB_WITHIN_MS = 30_000;

/** Threads per tenant (a thread serves the tenant whose jobs it holds) and each tenant's fair share of `size`. */
interface Occupancy {
  threads: Map<string, number>;
  share: number;
}

/**
 * Runs user `transform(input)` code in QuickJS inside worker threads. Each thread runs one job at
 * a time, each in a frozen realm that shows it nothing an earlier job left behind; jobs are handed
 * to a thread in batches, one message for many jobs, and a job the thread has not started can be
 * taken back (cancelled, or moved to a thread that ran out of work). Threads are started up front;
 * a thread that is terminated (abort, wall-clock backstop) or dies is replaced in the background,
 * and the jobs it had not answered go back to the queue. `run` never rejects.
 *
 * Tenants (`SandboxJob.tenant`) share the threads fairly. Each has its own queue, and a thread's
 * batch holds one tenant's jobs. A tenant is outranked while another with jobs queued holds fewer
 * threads: its threads finish the job they run, the jobs waiting in their batches go back to its
 * queue, and a thread that runs out of work goes to the waiting tenant that holds the fewest threads
 * (the least recently served among equals). A running job cannot be interrupted without losing its
 * work, so a tenant with jobs queued that has held no thread for STARVED_AFTER_MS, every thread
 * running others' jobs (say, infinite loops running to their timeout), gets a burst thread. At most
 * `size` burst threads exist; they serve only tenants below their fair share (size / tenants with
 * work) and stop once none of those has had work for BURST_IDLE_MS.
 */
export class SandboxPool {
  readonly #settings: WorkerSettings;
  readonly #backstop: Backstop;
  readonly #size: number;
  readonly #workers = new Set<SandboxWorker>();
  readonly #queue = new TenantQueues();
  readonly #respawnTimers = new Set<NodeJS.Timeout>();
  /** When each tenant with work last held a thread (performance.now()). */
  readonly #lastServedAt = new Map<string, number>();
  readonly #waitingForStart: Array<() => void> = [];
  #starvationCheck: NodeJS.Timeout | undefined;
  #burstRetirement: NodeJS.Timeout | undefined;
  #nextJobId = 1;
  #restarts = 0;
  #failedStartsInARow = 0;
  #lastStartFailure = '';
  #dispatchScheduled = false;
  #closed = false;

  constructor(options: SandboxPoolOptions = {}) {
    this.#size = positiveInteger(options.size ?? availableParallelism(), 'size');
    this.#settings = {
      memoryLimitMb: Math.min(MAX_MEMORY_LIMIT_MB, positiveInteger(options.memoryLimitMb ?? DEFAULT_MEMORY_LIMIT_MB, 'memoryLimitMb')),
      maxStackKb: Math.min(MAX_STACK_KB, positiveInteger(options.maxStackKb ?? DEFAULT_MAX_STACK_KB, 'maxStackKb')),
      maxOutputBytes: positiveInteger(options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES, 'maxOutputBytes'),
    };
    this.#backstop = new Backstop(Math.min(MAX_TIMER_MS, positiveInteger(options.checkTimeoutMs ?? DEFAULT_CHECK_TIMEOUT_MS, 'checkTimeoutMs')));
    for (let i = 0; i < this.#size; i++) this.#spawn();
  }

  run(job: SandboxJob): Promise<SandboxOutcome> {
    const inputJson = job.inputIn ? job.inputIn.json : serialiseInput(job.input);
    if (inputJson === undefined) return refused('error', 'the input is not a JSON value');
    // A UTF-16 unit takes at most 3 bytes of UTF-8: only a large input is measured exactly.
    const inputMb = (inputJson.length * 3) / MB > this.#settings.memoryLimitMb ? Buffer.byteLength(inputJson) / MB : 0;
    if (inputMb > this.#settings.memoryLimitMb) {
      return refused('memory', `the input (${inputMb.toFixed(0)} MB of JSON) does not fit in the ${this.#settings.memoryLimitMb} MB sandbox limit`);
    }
    const refusal = this.#refusal(job);
    if (refusal) return refused(refusal.reason, refusal.message);
    const ticket = new JobTicket(this.#nextJobId++, job, inputJson);
    ticket.onAbort(() => void this.#abort(ticket));
    this.#queue.push(ticket);
    this.#scheduleDispatch();
    return ticket.promise;
  }

  /** Checks an output made elsewhere (a model block's, as JSON text), in a thread, under the check deadline; no code runs. */
  check(outputJson: string, check: OutputCheck, tenant: string | undefined, signal?: AbortSignal): Promise<SandboxOutcome> {
    return this.run({ codeKey: '', code: null, inputIn: { json: outputJson, path: [] }, timeoutMs: this.#backstop.checkTimeoutMs, check, tenant, signal });
  }

  /**
   * Resolves once every thread has started (loaded QuickJS and warmed its checks), or threads keep
   * failing to start (jobs then fail at once); jobs need not wait for it.
   */
  allStarted(): Promise<void> {
    if (this.#everyThreadWarm() || this.#startsKeepFailing()) return Promise.resolve();
    return new Promise((resolve) => this.#waitingForStart.push(resolve));
  }

  #everyThreadWarm(): boolean {
    return [...this.#workers].every((worker) => worker.warm);
  }

  #notifyIfAllStarted(): void {
    if (!this.#everyThreadWarm() && !this.#startsKeepFailing()) return;
    for (const resolve of this.#waitingForStart.splice(0)) resolve();
  }

  /**
   * `threads`: live threads, burst threads included; `busy`: threads running a job; `queued`: jobs
   * not started yet, in the pool's queues or waiting in a thread's batch; `threadsByTenant`: the
   * threads whose batch holds each tenant's jobs.
   */
  stats(): { size: number; threads: number; busy: number; queued: number; restarts: number; threadsByTenant: Record<string, number> } {
    let busy = 0;
    let waitingOnThreads = 0;
    for (const worker of this.#workers) {
      if (worker.claimedLast()) busy++;
      waitingOnThreads += worker.waiting();
    }
    const threadsByTenant = Object.fromEntries(this.#threadsByTenant());
    return { size: this.#size, threads: this.#workers.size, busy, queued: this.#queue.size + waitingOnThreads, restarts: this.#restarts, threadsByTenant };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const resolve of this.#waitingForStart.splice(0)) resolve();
    for (const timer of this.#respawnTimers) clearTimeout(timer);
    clearTimeout(this.#starvationCheck);
    clearTimeout(this.#burstRetirement);
    for (const ticket of this.#queue.drain()) ticket.fail('aborted', 'the sandbox pool was closed');
    const workers = [...this.#workers];
    this.#workers.clear();
    await Promise.all(
      workers.map((worker) => {
        const released = worker.releaseAll();
        for (const ticket of released) ticket.fail('aborted', 'the sandbox pool was closed');
        // A thread stopped mid-job cannot wait for quiet.
        return released.length > 0 ? worker.retire() : worker.retireWhenQuiet();
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
      ready: () => {
        this.#failedStartsInARow = 0;
        this.#scheduleDispatch();
      },
      warm: () => this.#notifyIfAllStarted(),
      results: (answered, results) => this.#onResults(answered, results),
      died: (dead, error, exitCode) => this.#onDeath(dead, error, exitCode),
    });
    this.#workers.add(worker);
  }

  /** Dispatch waits for the current turn of the event loop to end, so the jobs submitted in it travel together. */
  #scheduleDispatch(): void {
    if (this.#dispatchScheduled || this.#closed) return;
    this.#dispatchScheduled = true;
    setImmediate(() => {
      this.#dispatchScheduled = false;
      this.#dispatch();
    });
  }

  /**
   * Shares the queues among the threads that are running low, fairly among tenants; with nothing
   * queued, an idle thread takes work waiting on a busy one. Empty threads are given their tenants
   * first: a thread between two batches is about to serve its tenant again, and only once it is
   * counted is it known who is outranked (otherwise every thread that drains its batch before the
   * refill arrives would cost the other tenants their batches, and the first tenant of a dispatch
   * would get a single job because the others are not served yet).
   */
  #dispatch(): void {
    if (this.#closed) return;
    const occupancy = this.#occupancy();
    this.#retireIdleBurstThreads(occupancy);
    if (this.#queue.size === 0 && this.#workers.size <= this.#size && this.#hungry().some((worker) => worker.tickets.length === 0)) this.#takeBackWaitingJobs();
    const served = this.#serveEmptyThreads(occupancy, new Map());
    if (this.#takeBackFromOutranked(occupancy)) this.#serveEmptyThreads(occupancy, served);
    const hungry = this.#hungry();
    hungry.forEach((worker, index) => {
      // Empty threads were given their tenants above (served); an empty thread left out stays idle.
      const tenant = worker.tickets.length === 0 ? served.get(worker) : this.#tenantFor(worker, occupancy);
      if (tenant === undefined) return;
      this.#lastServedAt.set(tenant, performance.now());
      // An outranked tenant's batch would be taken back at the next dispatch: it gets one job.
      const share = this.#outranked(tenant, occupancy.threads) ? 1 : Math.ceil(this.#queue.count(tenant) / (hungry.length - index));
      worker.start(this.#queue.take(tenant, Math.min(share, MAX_TICKETS_PER_THREAD - worker.tickets.length)));
      this.#startClock(worker);
    });
    this.#watchForStarvation(occupancy);
  }

  /** Ready threads that hold fewer than REFILL_BELOW jobs, the emptiest first. */
  #hungry(): SandboxWorker[] {
    return [...this.#workers].filter((worker) => worker.ready && worker.tickets.length < REFILL_BELOW).sort((a, b) => a.tickets.length - b.tickets.length);
  }

  /**
   * Each empty thread not yet in `served` goes to the waiting tenant that holds the fewest threads,
   * counted in `occupancy`; a tenant gets no more empty threads than it has jobs queued.
   */
  #serveEmptyThreads(occupancy: Occupancy, served: Map<SandboxWorker, string>): Map<SandboxWorker, string> {
    const promised = new Map<string, number>();
    for (const tenant of served.values()) promised.set(tenant, (promised.get(tenant) ?? 0) + 1);
    for (const worker of this.#hungry()) {
      if (worker.tickets.length > 0 || served.has(worker)) continue;
      const tenant = this.#tenantFor(worker, occupancy, promised);
      if (tenant === undefined) continue;
      served.set(worker, tenant);
      promised.set(tenant, (promised.get(tenant) ?? 0) + 1);
      occupancy.threads.set(tenant, (occupancy.threads.get(tenant) ?? 0) + 1);
    }
    return served;
  }

  /** The later half of the jobs waiting in each thread's batch return to the queue, for threads that have none. */
  #takeBackWaitingJobs(): void {
    for (const worker of this.#workers) {
      const waiting = worker.tickets.slice(1);
      const later = waiting.slice(Math.floor(waiting.length / 2));
      this.#queue.returnToFront(later.filter((ticket) => worker.takeBack(ticket)));
    }
  }

  #threadsByTenant(): Map<string, number> {
    const threads = new Map<string, number>();
    for (const worker of this.#workers) {
      const tenant = worker.tickets[0]?.tenant;
      if (tenant !== undefined) threads.set(tenant, (threads.get(tenant) ?? 0) + 1);
    }
    return threads;
  }

  /** Also notes who holds threads now, and forgets tenants with no work. */
  #occupancy(): Occupancy {
    const now = performance.now();
    const threads = this.#threadsByTenant();
    for (const tenant of threads.keys()) this.#lastServedAt.set(tenant, now);
    let tenantsWithWork = threads.size;
    for (const tenant of this.#queue.tenants()) if (!threads.has(tenant)) tenantsWithWork++;
    for (const tenant of this.#lastServedAt.keys()) if (!threads.has(tenant) && this.#queue.count(tenant) === 0) this.#lastServedAt.delete(tenant);
    return { threads, share: Math.max(1, Math.floor(this.#size / Math.max(1, tenantsWithWork))) };
  }

  /**
   * Whom a hungry thread serves: more of the tenant whose jobs it holds unless that tenant is
   * outranked; an empty thread, the waiting tenant that holds the fewest threads (the least recently
   * served among equals). A burst thread serves only tenants below their share.
   */
  #tenantFor(worker: SandboxWorker, { threads, share }: Occupancy, promised?: Map<string, number>): string | undefined {
    const held = worker.tickets[0]?.tenant;
    if (held !== undefined) return this.#queue.count(held) > 0 && !this.#outranked(held, threads) ? held : undefined;
    const isBurst = this.#workers.size > this.#size;
    let chosen: string | undefined;
    let fewest = Infinity;
    for (const tenant of this.#queue.tenants()) {
      const holding = threads.get(tenant) ?? 0;
      const jobsLeft = this.#queue.count(tenant) > (promised?.get(tenant) ?? 0);
      if (jobsLeft && holding < fewest && !(isBurst && holding >= share)) {
        chosen = tenant;
        fewest = holding;
      }
    }
    return chosen;
  }

  /** Another tenant with jobs queued holds fewer threads. */
  #outranked(tenant: string, threads: Map<string, number>): boolean {
    const holding = threads.get(tenant) ?? 0;
    for (const other of this.#queue.tenants()) if (other !== tenant && (threads.get(other) ?? 0) < holding) return true;
    return false;
  }

  /** Since when each tenant with jobs queued and no thread has waited: its oldest job, or the last time it held a thread. */
  *#unserved({ threads }: Occupancy): Generator<{ tenant: string; since: number }> {
    for (const tenant of this.#queue.tenants()) {
      if (threads.has(tenant)) continue;
      yield { tenant, since: Math.max(this.#queue.oldestQueuedAt(tenant)!, this.#lastServedAt.get(tenant) ?? -Infinity) };
    }
  }

  /** The jobs waiting in the batches of outranked tenants' threads go back to their queues; true if a thread was emptied. */
  #takeBackFromOutranked({ threads }: Occupancy): boolean {
    if (this.#queue.size === 0) return false;
    const taken: JobTicket[] = [];
    let emptied = false;
    for (const worker of this.#workers) {
      const tenant = worker.tickets[0]?.tenant;
      if (tenant === undefined || !this.#outranked(tenant, threads)) continue;
      for (const ticket of [...worker.tickets]) if (worker.takeBack(ticket)) taken.push(ticket);
      if (worker.tickets.length > 0) continue;
      threads.set(tenant, threads.get(tenant)! - 1);
      emptied = true;
    }
    for (const ticket of taken) ticket.handedBack();
    this.#queue.returnToFront(taken);
    return emptied;
  }

  /** Threads beyond `size` that have had nothing they may run for BURST_IDLE_MS are stopped. */
  #retireIdleBurstThreads(occupancy: Occupancy): void {
    const now = performance.now();
    let nextRetirementInMs = Infinity;
    for (const worker of this.#workers) {
      if (this.#workers.size <= this.#size) break;
      if (!worker.ready || worker.tickets.length > 0 || this.#tenantFor(worker, occupancy) !== undefined) continue;
      const idleMs = worker.idleForMs(now);
      if (idleMs < BURST_IDLE_MS) {
        nextRetirementInMs = Math.min(nextRetirementInMs, BURST_IDLE_MS - idleMs);
        continue;
      }
      this.#workers.delete(worker);
      void worker.retireWhenQuiet();
    }
    if (nextRetirementInMs === Infinity || this.#burstRetirement) return;
    this.#burstRetirement = setTimeout(() => {
      this.#burstRetirement = undefined;
      this.#scheduleDispatch();
    }, nextRetirementInMs);
    this.#burstRetirement.unref();
  }

  /** While a tenant with jobs queued holds no thread, looks again when it will have waited STARVED_AFTER_MS. */
  #watchForStarvation(occupancy: Occupancy): void {
    if (this.#starvationCheck) return;
    let longest = Infinity;
    for (const { since } of this.#unserved(occupancy)) longest = Math.min(longest, since);
    if (longest === Infinity) return;
    const delayMs = Math.min(STARVED_AFTER_MS, Math.max(RECHECK_MS, longest + STARVED_AFTER_MS - performance.now()));
    this.#starvationCheck = setTimeout(() => {
      this.#starvationCheck = undefined;
      this.#startBurstThreads();
      this.#scheduleDispatch();
    }, delayMs);
    this.#starvationCheck.unref();
  }

  /**
   * A burst thread for each tenant that has waited STARVED_AFTER_MS without a thread while every
   * thread holds other tenants' jobs, within `size` burst threads; none while threads fail to start.
   */
  #startBurstThreads(): void {
    if (this.#closed || this.#failedStartsInARow > 0) return;
    if ([...this.#workers].some((worker) => worker.tickets.length === 0)) return;
    const now = performance.now();
    let starved = 0;
    for (const { since } of this.#unserved(this.#occupancy())) if (now - since >= STARVED_AFTER_MS - TIMER_EARLY_MS) starved++;
    const room = 2 * this.#size - this.#workers.size;
    for (let started = 0; started < Math.min(starved, room); started++) this.#spawn();
  }

  /** Arms the wall-clock backstop of the job a thread runs next. */
  #startClock(worker: SandboxWorker): void {
    const next = worker.tickets[0];
    if (next && !next.running) next.started(this.#backstop.firstLookMs(next.job.timeoutMs), () => this.#stopOverdue(worker, next));
  }

  #onResults(worker: SandboxWorker, results: JobResult[]): void {
    for (const { jobId, result, durationMs, fatal } of results) {
      const ticket = worker.answered(jobId);
      if (ticket?.stopRequestedAt !== undefined) ticket.fail('aborted', STOPPED_RESULT.message, { stoppedInMs: performance.now() - ticket.stopRequestedAt }, durationMs);
      else if (ticket) settleFromResult(ticket, result, durationMs);
      if (fatal) return void this.#replace(worker);
    }
    this.#startClock(worker);
    if (worker.tickets.length < REFILL_BELOW) this.#scheduleDispatch();
  }

  #onDeath(worker: SandboxWorker, error: Error | undefined, exitCode: number): void {
    this.#workers.delete(worker);
    const detail = error?.message ?? `exit code ${exitCode}`;
    const culprit = worker.claimedLast();
    this.#handBack(worker.releaseAll().filter((ticket) => ticket !== culprit));
    culprit?.fail(deathReason(error), `the sandbox thread stopped unexpectedly: ${detail}`, { exitCode });
    if (!worker.ready) this.#onFailedStart(detail);
    this.#spawnReplacement();
  }

  /** While threads keep failing to start (e.g. worker.js missing), jobs fail fast instead of waiting. */
  #onFailedStart(detail: string): void {
    this.#failedStartsInARow++;
    this.#lastStartFailure = detail;
    if (!this.#startsKeepFailing()) return;
    this.#notifyIfAllStarted();
    for (const ticket of this.#queue.drain()) ticket.fail('crashed', `sandbox threads fail to start: ${detail}`);
  }

  #startsKeepFailing(): boolean {
    return this.#failedStartsInARow >= START_FAILURES_BEFORE_GIVING_UP;
  }

  /**
   * Wall-clock backstop (see Backstop): the in-sandbox deadline did not stop the job (e.g. a long
   * native call), or its checks ran past theirs. The thread may have answered this job and moved on
   * to a later one without telling yet (answers travel in batches): then the clock is the later
   * job's, from now.
   */
  #stopOverdue(worker: SandboxWorker, ticket: JobTicket): void {
    if (!worker.tickets.includes(ticket)) return;
    const running = worker.claimedLast();
    if (running && running !== ticket) {
      running.started(this.#backstop.firstLookMs(running.job.timeoutMs), () => this.#stopOverdue(worker, running));
      return;
    }
    if (!running) return this.#notStartedYet(worker, ticket);
    const verdict = this.#backstop.judge(ticket.job.timeoutMs, ticket.runningForMs, worker.checkOf(ticket));
    if ('lookAgainInMs' in verdict) return ticket.lookAgain(verdict.lookAgainInMs, () => this.#stopOverdue(worker, ticket));
    void this.#replace(worker, ticket);
    ticket.fail(verdict.reason, verdict.message, verdict.details);
  }

  /**
   * The thread has not taken the job yet: it is busy with host work (warming up its checks, building
   * a realm) or waits for a CPU, none of which a tenant's code controls. The job's clock starts
   * again; a thread that has not taken it within THREAD_TAKES_JOB_WITHIN_MS is stuck, and replaced.
   */
  #notStartedYet(worker: SandboxWorker, ticket: JobTicket): void {
    if (ticket.nextForMs < THREAD_TAKES_JOB_WITHIN_MS) return ticket.started(this.#backstop.firstLookMs(ticket.job.timeoutMs), () => this.#stopOverdue(worker, ticket));
    void this.#replace(worker, ticket);
    ticket.fail('crashed', `its sandbox thread had not started it after ${THREAD_TAKES_JOB_WITHIN_MS / 1000} s and was replaced`);
  }

  async #abort(ticket: JobTicket): Promise<void> {
    if (this.#queue.remove(ticket)) {
      ticket.fail('aborted', 'cancelled before it started');
      return;
    }
    const worker = [...this.#workers].find((candidate) => candidate.tickets.includes(ticket));
    if (!worker) return;
    if (worker.takeBack(ticket)) {
      ticket.fail('aborted', 'cancelled before it started');
      this.#startClock(worker);
      this.#scheduleDispatch();
      return;
    }
    if (worker.claimedLast() === ticket) worker.requestStop(ticket);
    ticket.stopRequested(STOP_GRACE_MS, () => void this.#terminateStopped(worker, ticket));
  }

  /** The job did not answer within STOP_GRACE_MS of being asked to stop (a long native call, its checks, or a later job): its thread goes. */
  async #terminateStopped(worker: SandboxWorker, ticket: JobTicket): Promise<void> {
    if (ticket.settled || !worker.tickets.includes(ticket)) return;
    await this.#replace(worker, ticket);
    ticket.fail('aborted', 'cancelled while running; its thread was terminated', { stoppedInMs: performance.now() - ticket.stopRequestedAt! });
  }

  /**
   * Terminates a thread (resolves once it has stopped) and starts its successor at once, unless it
   * was a burst thread. The jobs it held go back to the queue, except `culprit`, which the caller settles.
   */
  #replace(worker: SandboxWorker, culprit?: JobTicket): Promise<void> {
    this.#workers.delete(worker);
    this.#handBack(worker.releaseAll().filter((ticket) => ticket !== culprit));
    const stopped = worker.retire();
    this.#spawnReplacement();
    return stopped;
  }

  /** Jobs a replaced thread held go to the front of the queue, in their order; cancelled ones end here. */
  #handBack(tickets: JobTicket[]): void {
    const live = tickets.filter((ticket) => {
      ticket.handedBack();
      if (ticket.job.signal?.aborted) ticket.fail('aborted', 'cancelled before it started');
      return !ticket.settled;
    });
    this.#queue.returnToFront(live);
    this.#scheduleDispatch();
  }

  /** A thread that stopped is replaced while fewer than `size` are left (a burst thread is not). */
  #spawnReplacement(): void {
    if (this.#closed || this.#workers.size >= this.#size) return;
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

/** The output stays JSON text: the thread checked it, and the main thread parses it only if someone reads it. */
function settleFromResult(ticket: JobTicket, result: ExecutionResult, durationMs: number): void {
  if (!result.ok) return ticket.fail(result.reason, result.message, result.details, durationMs);
  ticket.succeed(result.outputJson, result.checked, durationMs);
}

function serialiseInput(input: unknown): string | undefined {
  try {
    return JSON.stringify(input);
  } catch {
    return undefined;
  }
}

function deathReason(error: Error | undefined): 'memory' | 'crashed' {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ERR_WORKER_OUT_OF_MEMORY' || /out of memory/i.test(error?.message ?? '') ? 'memory' : 'crashed';
}

function positiveInteger(value: number, name: string): number {
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`SandboxPool ${name} must be a positive integer, got ${value}`);
  return value;
}
