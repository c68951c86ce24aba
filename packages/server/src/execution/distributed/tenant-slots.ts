interface ParkedJob {
  organizationId: string;
  admit(executes: boolean): void;
}

/**
 * Shares the slots of one queue's worker (BullMQ's concurrency) among organizations. An
 * organization executes at most `cap` tests at once, which keeps a quarter of the slots (at least
 * one) for others: a job fetched beyond the cap parks in its slot, its row still queued, until its
 * organization executes fewer (then it executes) or until another organization's job is next in
 * the queue and could execute here (then it goes back to the queue and the slot takes that one).
 * Without it, one organization's tests, waiting for sandbox threads its infinite loops held,
 * filled every slot, and no other organization's job was fetched until one of them timed out.
 */
export class TenantSlots {
  readonly cap: number;
  readonly #executing = new Map<string, number>();
  readonly #parked: ParkedJob[] = [];

  constructor(concurrency: number) {
    this.cap = Math.max(1, concurrency - Math.max(1, Math.floor(concurrency / 4)));
  }

  get parked(): number {
    return this.#parked.length;
  }

  executing(organizationId: string): number {
    return this.#executing.get(organizationId) ?? 0;
  }

  /**
   * Resolves true when the job may execute (call `release` after), false when it should go back to
   * the queue; an abort of `signal` (cancel, shutdown) resolves false at once.
   */
  acquire(organizationId: string, signal: AbortSignal): Promise<boolean> {
    if (signal.aborted) return Promise.resolve(false);
    if (this.executing(organizationId) < this.cap) {
      this.#count(organizationId, 1);
      return Promise.resolve(true);
    }
    return new Promise((resolve) => {
      const onAbort = () => this.#unpark(job, false);
      const job: ParkedJob = {
        organizationId,
        admit: (executes) => {
          signal.removeEventListener('abort', onAbort);
          if (executes) this.#count(organizationId, 1);
          resolve(executes);
        },
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.#parked.push(job);
    });
  }

  /** A test of the organization stopped executing: its first parked job, if any, takes its place. */
  release(organizationId: string): void {
    this.#count(organizationId, -1);
    const next = this.#parked.find((job) => job.organizationId === organizationId);
    if (next) this.#unpark(next, true);
  }

  /**
   * `waiting`: the organizations of the next jobs in the queue, in order. For each that could
   * execute here, the last parked job of another organization (every organization with parked jobs
   * executes `cap`) goes back to the queue. Returns how many went back.
   */
  yieldTo(waiting: readonly string[]): number {
    let yielded = 0;
    for (const organizationId of waiting) {
      if (this.executing(organizationId) >= this.cap) continue;
      const other = this.#parked.findLast((job) => job.organizationId !== organizationId);
      if (!other) break;
      this.#unpark(other, false);
      yielded++;
    }
    return yielded;
  }

  /** Every parked job goes back to the queue (the worker is stopping). */
  yieldAll(): void {
    for (const job of [...this.#parked]) this.#unpark(job, false);
  }

  #unpark(job: ParkedJob, executes: boolean): void {
    const index = this.#parked.indexOf(job);
    if (index < 0) return;
    this.#parked.splice(index, 1);
    job.admit(executes);
  }

  #count(organizationId: string, change: 1 | -1): void {
    const executing = this.executing(organizationId) + change;
    if (executing > 0) this.#executing.set(organizationId, executing);
    else this.#executing.delete(organizationId);
  }
}
