import type { CheckKind, ExecutionResult } from './types.js';

/** Slots of one thread; more than the jobs a thread is ever handed at once. */
export const SLOTS_PER_THREAD = 64;
const STARTED = -1;
const TAKEN_BACK = -2;
/**
 * After the slots: the tag of the job whose output the thread checks, which check, the tag of the
 * job the pool asks the thread to stop, and since when the check runs (a float64, 8-byte aligned).
 */
const CHECK_TAG = SLOTS_PER_THREAD;
const CHECK_KIND = SLOTS_PER_THREAD + 1;
const STOP_TAG = SLOTS_PER_THREAD + 2;
const CHECK_SINCE_BYTE = (SLOTS_PER_THREAD + 4) * Int32Array.BYTES_PER_ELEMENT;
const BUFFER_BYTES = CHECK_SINCE_BYTE + Float64Array.BYTES_PER_ELEMENT;
const CHECK_KINDS: readonly CheckKind[] = ['output_schema', 'assertion'];
/** How long a job may wait for its thread's check engine to warm up before its check deadline starts anyway. */
const WARM_UP_ALLOWANCE_MS = 30_000;

/** What a job the pool asked to stop (`requestStop`) answers. */
export const STOPPED_RESULT = { ok: false, reason: 'aborted', message: 'cancelled while running; stopped in its sandbox' } as const satisfies ExecutionResult;

/** Job ids grow without bound; a slot holds a positive int32 derived from its job's id. */
function tagOf(jobId: number): number {
  return (jobId % 0x3fffffff) + 1;
}

/**
 * Decides, for each job handed to a worker thread, whether the thread starts it or the pool takes
 * it back (cancelled, or moved to an idle thread): both claim the job's slot with a compare-and-swap
 * on shared memory, and whoever claims first wins. A job taken back never runs; a started job is
 * never taken back. A slot holds the tag of the job waiting in it, so a claim arriving after the
 * slot went to another job fails.
 */
export class JobSlots {
  readonly #cells: Int32Array;
  readonly #checkSince: Float64Array;

  constructor(readonly buffer: SharedArrayBuffer = new SharedArrayBuffer(BUFFER_BYTES)) {
    this.#cells = new Int32Array(buffer, 0, CHECK_SINCE_BYTE / Int32Array.BYTES_PER_ELEMENT);
    this.#checkSince = new Float64Array(buffer, CHECK_SINCE_BYTE, 1);
  }

  /** Pool: puts a job in a free slot before handing it over. */
  offer(slot: number, jobId: number): void {
    Atomics.store(this.#cells, slot, tagOf(jobId));
  }

  /** Worker thread: true if the job may run now; false if the pool took it back. */
  claimToStart(slot: number, jobId: number): boolean {
    const tag = tagOf(jobId);
    return Atomics.compareExchange(this.#cells, slot, tag, STARTED) === tag;
  }

  /** Pool: true if the job was taken back before the thread started it. */
  takeBack(slot: number, jobId: number): boolean {
    const tag = tagOf(jobId);
    return Atomics.compareExchange(this.#cells, slot, tag, TAKEN_BACK) === tag;
  }

  /** Pool: asks the thread to stop this job, which it has started; the job's sandbox reads `stopRequested` while it runs. */
  requestStop(jobId: number): void {
    Atomics.store(this.#cells, STOP_TAG, tagOf(jobId));
  }

  /** Worker thread: whether the pool asked for this job to stop (a cancelled run). */
  stopRequested(jobId: number): boolean {
    return Atomics.load(this.#cells, STOP_TAG) === tagOf(jobId);
  }

  /** Pool: whether the job in this slot was started (the slot is still this job's). */
  started(slot: number): boolean {
    return Atomics.load(this.#cells, slot) === STARTED;
  }

  /**
   * Worker thread: the job's transform is done and its checks wait for the thread's check engine
   * to load and warm up (a new thread's first job). The check deadline has not started: it starts
   * at the first `checking`, or after WARM_UP_ALLOWANCE_MS should warming never end.
   */
  waitingForChecks(jobId: number): void {
    this.#checkSince[0] = Date.now() + WARM_UP_ALLOWANCE_MS;
    Atomics.store(this.#cells, CHECK_KIND, 0);
    Atomics.store(this.#cells, CHECK_TAG, tagOf(jobId));
  }

  /**
   * Worker thread: the job's output is being checked (`kind`). The checks of a job share one
   * deadline, so the time is that of its first check; the tag is written last, so a pool that
   * reads it reads that time.
   */
  checking(jobId: number, kind: CheckKind): void {
    const tag = tagOf(jobId);
    const now = Date.now();
    if (Atomics.load(this.#cells, CHECK_TAG) !== tag || this.#checkSince[0]! > now) this.#checkSince[0] = now;
    Atomics.store(this.#cells, CHECK_KIND, CHECK_KINDS.indexOf(kind));
    Atomics.store(this.#cells, CHECK_TAG, tag);
  }

  /** Pool: which check the thread runs on the job's output and since when (`Date.now()` ms), if it has started checking it. */
  checkOf(jobId: number): { kind: CheckKind; sinceMs: number } | undefined {
    if (Atomics.load(this.#cells, CHECK_TAG) !== tagOf(jobId)) return undefined;
    return { kind: CHECK_KINDS[Atomics.load(this.#cells, CHECK_KIND)]!, sinceMs: this.#checkSince[0]! };
  }
}
