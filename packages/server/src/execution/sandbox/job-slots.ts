/** Slots of one thread; more than the jobs a thread is ever handed at once. */
export const SLOTS_PER_THREAD = 64;
const STARTED = -1;
const TAKEN_BACK = -2;

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

  constructor(readonly buffer: SharedArrayBuffer = new SharedArrayBuffer(SLOTS_PER_THREAD * Int32Array.BYTES_PER_ELEMENT)) {
    this.#cells = new Int32Array(buffer);
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

  /** Pool: whether the job in this slot was started (the slot is still this job's). */
  started(slot: number): boolean {
    return Atomics.load(this.#cells, slot) === STARTED;
  }
}
